"""The words Tesseract knows, for telling a reading of real text from a reading of noise.

    lexicon = Lexicon.for_languages("eng")
    lexicon.is_word("council") -> True; lexicon.is_word("cnuocil") -> False

The word lists come from Tesseract's own language data (the LSTM word DAWG inside each
`<lang>.traineddata`, unpacked with `combine_tessdata` and `dawg2wordlist`, which ship with
Tesseract), once per process and language, in about half a second. They are kept as a sorted
array of the words' hashes: 1.6 MB for English's 197,000 words, where a set of the strings
takes 53 MB in every worker process. Where those tools or the data are missing the lexicon
is empty and `is_word` falls back to the shape of a word (letters with a vowel, or a number), so
the OCR engine still works, only with a weaker signal.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pytesseract

_LANGUAGE_FOLDER: Final = re.compile(r'languages in "([^"]+)"')
_NUMBER: Final = re.compile(r"^[(£$€]?[0-9][0-9.,:/%-]*[)%]?$")
_EDGES: Final = "\"'“”‘’()[]{}.,;:!?«»"
_VOWELS: Final = frozenset("aeiouyàáâäèéêëìíîïòóôöùúûü")
_TIMEOUT: Final = 30.0


@dataclass(frozen=True, eq=False)
class Lexicon:
    hashes: np.ndarray  # sorted, unique: hash() of each case-folded word (int64)

    @staticmethod
    def of(words: Iterable[str]) -> Lexicon:
        return Lexicon(_hashes(words))

    @staticmethod
    def for_languages(languages: str) -> Lexicon:
        """The words of every language in a Tesseract language list such as "eng+deu"."""
        parts = [_language_words(lang) for lang in languages.split("+")]
        return Lexicon(np.unique(np.concatenate(parts)) if parts else _hashes([]))

    def __len__(self) -> int:
        return len(self.hashes)

    def __contains__(self, word: str) -> bool:
        key = hash(word.casefold())
        at = int(np.searchsorted(self.hashes, key))
        return at < len(self.hashes) and int(self.hashes[at]) == key

    def is_word(self, token: str) -> bool:
        """A dictionary word or a number (tables are full of them), ignoring edge punctuation."""
        bare = token.strip(_EDGES)
        if not bare:
            return False
        if _NUMBER.match(bare):
            return True
        folded = bare.casefold()
        if not any(c.isalpha() for c in folded):  # Tesseract's list has "|||" and the like
            return False
        if len(self.hashes):
            return folded in self
        return (
            folded.isalpha()
            and (len(folded) > 1 or folded in ("a", "i"))
            and any(c in _VOWELS for c in folded)
        )


def _hashes(words: Iterable[str]) -> np.ndarray:
    return np.unique(np.fromiter((hash(w.casefold()) for w in words), dtype=np.int64))


@functools.cache
def _language_words(language: str) -> np.ndarray:
    """Tesseract's word list for one language (as _hashes); empty when it cannot be unpacked."""
    combine = shutil.which("combine_tessdata")
    dawg2wordlist = shutil.which("dawg2wordlist")
    folder = _tessdata_folder()
    if combine is None or dawg2wordlist is None or folder is None:
        return _hashes([])
    data = folder / f"{language}.traineddata"
    if not data.is_file():
        return _hashes([])
    with tempfile.TemporaryDirectory(prefix="edrm-lexicon-") as tmp:
        unicharset, dawg, listing = (
            Path(tmp) / f"{language}.lstm-unicharset",
            Path(tmp) / f"{language}.lstm-word-dawg",
            Path(tmp) / "words.txt",
        )
        try:
            for component in (unicharset, dawg):
                subprocess.run(
                    [combine, "-e", str(data), str(component)],
                    capture_output=True,
                    timeout=_TIMEOUT,
                    check=True,
                )
            subprocess.run(
                [dawg2wordlist, str(unicharset), str(dawg), str(listing)],
                capture_output=True,
                timeout=_TIMEOUT,
                check=True,
            )
            with listing.open(encoding="utf-8", errors="replace") as lines:
                return _hashes(line.strip() for line in lines if line.strip())
        except (OSError, subprocess.SubprocessError):
            return _hashes([])


def _tessdata_folder() -> Path | None:
    """Where Tesseract keeps its language data, as `tesseract --list-langs` says."""
    try:
        listed = subprocess.run(
            [pytesseract.pytesseract.tesseract_cmd, "--list-langs"],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    found = _LANGUAGE_FOLDER.search(listed.stdout + listed.stderr)
    return Path(found.group(1)) if found else None
