"""The language model unpacked once into a cache folder answers as py3langid's own model does
(issue 16, start-up: unpacking it cost every `edrm ingest` most of a second)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from py3langid import langid

from edrm.ingest import language

TEXTS = [
    "Supplier invoice for stationery and paper from the office, payable within thirty days",
    "Dies ist ein deutscher Text über die Rechnung und das Papier für das Büro",
    "Ceci est une lettre concernant la facture du fournisseur pour le bureau",
    "Mae hwn yn llythyr am yr anfoneb gan y cyflenwr ar gyfer y swyddfa",
    "x",
]


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "cache"
    language.use_cache(folder)
    yield folder
    language.use_cache(language.default_cache())


def _packaged() -> langid.LanguageIdentifier:
    return langid.LanguageIdentifier.from_model_file(Path(langid.MODEL_DIR) / langid.MODEL_FILE)


@pytest.mark.slow
def test_the_unpacked_model_gives_the_packaged_model_s_answers_and_scores(cache: Path) -> None:
    packaged = _packaged()
    first = [language.classify(text) for text in TEXTS]  # unpacks into the cache
    (folder,) = [p for p in cache.iterdir()]  # one folder, no temporary one left
    assert folder.name.startswith("langid-")
    language.use_cache(cache)  # a new process: reads the cache
    again = [language.classify(text) for text in TEXTS]
    expected = [packaged.classify(text)[0] for text in TEXTS]
    assert first == again == expected
    unpacked = language._identifier()
    for text in TEXTS:
        assert unpacked.rank(text) == packaged.rank(text)


@pytest.mark.slow
def test_a_damaged_cache_is_not_an_error_and_is_made_again(cache: Path) -> None:
    language.classify(TEXTS[0])
    (folder,) = list(cache.iterdir())
    (folder / "nextmove.npy").write_bytes(b"not a table")
    language.use_cache(cache)
    assert language.classify(TEXTS[1]) == "de"
    language.use_cache(cache)
    assert language.classify(TEXTS[2]) == "fr"  # from the cache made again
    assert language._state["identifier"].tk_nextmove == _packaged().tk_nextmove


@pytest.mark.slow
def test_with_no_cache_the_packaged_model_answers() -> None:
    language.use_cache(None)
    try:
        assert language.classify(TEXTS[1]) == "de"
    finally:
        language.use_cache(language.default_cache())
