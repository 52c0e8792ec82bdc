"""Every file in config/ is read through one schema library (edrm.configfile): an unknown key, a
value of the wrong type and a TOML syntax error are each refused with one message naming the
file, the line and the key."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from disclosure.loader import load_config as load_disclosure_config
from disclosure.redaction_config import load_redaction_config
from edrm.configfile import ConfigError, ConfigModel, parse_toml, validate
from edrm.errors import InvalidInputError
from edrm.fileplan.io import read_file
from edrm.ingest.classify.rules import load_rules
from edrm.ingest.metadata import load_metadata_config
from edrm.ingest.types import load_ingest_config
from edrm.settings import DEFAULT_CONFIG_DIR, Settings, SettingsError, load_settings
from edrm.webhooks.config import load_config as load_webhook_config
from edrm.wiring.scheduler import load_definitions
from harvest.directory.taxonomy import load_taxonomy
from harvest.interviews.questions import load_question_banks
from harvest.loader import load_harvest_config
from retention.disposal_config import load_config as load_disposal_config
from retention.loader import load_schedule

Reader = Callable[[Path], Any]

# Each file, the reader the product uses for it (given the config folder), and the key whose
# line the test changes: the first `key = …` line of that name in the shipped file.
READERS: dict[str, tuple[Reader, str]] = {
    "classification.toml": (lambda d: load_rules(d / "classification.toml"), "evidence_scale"),
    "disposal.toml": (lambda d: load_disposal_config(Settings(config_dir=d)), "chunk_size"),
    "disclosure.toml": (lambda d: load_disclosure_config(Settings(config_dir=d)), "hourly_rate"),
    "edrm.toml": (lambda d: load_settings({"config_dir": d}, environ={}), "port"),
    "fileplan.toml": (lambda d: read_file(d / "fileplan.toml"), "title"),
    "harvest.toml": (load_harvest_config, "threshold"),
    "ingest.toml": (lambda d: load_ingest_config(d / "ingest.toml"), "max_pages"),
    "interviews.toml": (load_question_banks, "title"),
    "jobs.toml": (lambda d: load_definitions(d / "jobs.toml"), "cron"),
    "metadata.toml": (lambda d: load_metadata_config(d / "metadata.toml"), "regex"),
    "redaction.toml": (lambda d: load_redaction_config(Settings(config_dir=d)), "bundle_dpi"),
    "retention.toml": (lambda d: load_schedule(d / "retention.toml"), "years"),
    "skills.toml": (lambda d: load_taxonomy(d / "skills.toml"), "title"),
    "webhooks.toml": (lambda d: load_webhook_config(Settings(config_dir=d)), "max_attempts"),
}


def test_every_shipped_config_file_has_a_reader_here() -> None:
    assert {p.name for p in DEFAULT_CONFIG_DIR.glob("*.toml")} == set(READERS)


def _config_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, folder)
    return folder


def _anchor(lines: list[str], key: str) -> int:
    """The index of the first line that sets `key`."""
    return next(i for i, line in enumerate(lines) if re.match(rf"\s*{key}\s*=", line))


def _refusal(name: str, folder: Path) -> str:
    reader, _ = READERS[name]
    with pytest.raises((InvalidInputError, SettingsError)) as caught:
        reader(folder)
    message = str(caught.value)
    assert "\n" not in message
    assert name in message, message
    return message


@pytest.mark.parametrize("name", sorted(READERS))
def test_the_shipped_file_is_read(tmp_path: Path, name: str) -> None:
    reader, _ = READERS[name]
    assert reader(_config_copy(tmp_path))


@pytest.mark.parametrize("name", sorted(READERS))
def test_an_unknown_key_is_refused_naming_file_line_and_key(tmp_path: Path, name: str) -> None:
    folder = _config_copy(tmp_path)
    path = folder / name
    lines = path.read_text(encoding="utf-8").splitlines()
    at = _anchor(lines, READERS[name][1]) + 1
    lines.insert(at, "colour_of_the_day = 1")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    message = _refusal(name, folder)
    assert f"line {at + 1}:" in message, message
    assert "colour_of_the_day" in message
    assert "unknown" in message


@pytest.mark.parametrize("name", sorted(READERS))
def test_a_value_of_the_wrong_type_is_refused_naming_file_line_and_key(
    tmp_path: Path, name: str
) -> None:
    folder = _config_copy(tmp_path)
    path = folder / name
    lines = path.read_text(encoding="utf-8").splitlines()
    key = READERS[name][1]
    at = _anchor(lines, key)
    value = lines[at].partition("=")[2].strip()
    wrong = "12345" if value.startswith(('"', "'")) else '"twelve"'
    lines[at] = f"{key} = {wrong}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    message = _refusal(name, folder)
    assert f"line {at + 1}:" in message, message
    assert f"'{key}'" in message or f".{key}'" in message, message
    assert "must be" in message


@pytest.mark.parametrize("name", sorted(READERS))
def test_a_toml_syntax_error_is_refused_naming_file_line_and_key(tmp_path: Path, name: str) -> None:
    folder = _config_copy(tmp_path)
    path = folder / name
    lines = path.read_text(encoding="utf-8").splitlines()
    key = READERS[name][1]
    at = _anchor(lines, key)
    lines[at] = f"{key} = @"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    message = _refusal(name, folder)
    assert f"line {at + 1}" in message, message
    assert f"'{key}'" in message or f".{key}'" in message, message
    assert "not valid TOML" in message


# --- the library itself -----------------------------------------------------------------------


class _Question(ConfigModel):
    id: str
    text: str = ""


class _Bank(ConfigModel):
    questions: list[_Question] = []


class _Rule(ConfigModel):
    code: str = ""
    keywords: list[str] = []


class _Limits(ConfigModel):
    max_pages: int = 1
    language: str = "eng"


class _File(ConfigModel):
    entry_names: ClassVar = {"rule": "code"}
    limits: _Limits = _Limits()
    rule: list[_Rule] = []
    banks: dict[str, _Bank] = {}


def _problem(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_toml(text, "conf/x.toml", _File)
    return str(caught.value)


def test_a_wrong_type_in_a_table_names_its_dotted_key() -> None:
    message = _problem('[limits]\nlanguage = "eng"\nmax_pages = "500"\n')
    assert message == ("conf/x.toml, line 3: 'limits.max_pages' must be a whole number (got '500')")


def test_an_entry_of_an_array_of_tables_is_found_by_its_index_and_named() -> None:
    text = '[[rule]]\ncode = "A"\n\n[[rule]]\ncode = "B"\nkeywords = "x"\n'
    assert _problem(text) == "conf/x.toml, line 6: rule 2 (B): 'keywords' must be a list (got 'x')"


def test_unknown_keys_of_one_table_are_one_problem_at_the_first() -> None:
    text = "[limits]\nmax_pages = 5\ncolour = 1\nsize = 2\n"
    assert _problem(text) == "conf/x.toml, line 3: unknown key(s) limits.colour, limits.size"


def test_an_item_of_a_list_spread_over_lines_is_found_on_its_own_line() -> None:
    text = '[banks.b]\nquestions = [\n  { id = "a" },\n  { text = "no id" },\n]\n'
    assert _problem(text) == "conf/x.toml, line 4: banks.b.questions 2: 'id' is missing"
    text = '[[rule]]\ncode = "A"\nkeywords = [\n  "a",\n  3,\n]\n'
    assert "line 5: rule 1 (A): 'keywords' item 2 must be text (got 3)" in _problem(text)


def test_text_inside_a_multi_line_string_is_not_taken_for_tables() -> None:
    text = 'note = """\n[limits]\nmax_pages = 1\n"""\n[limits]\nmax_pages = "x"\n'
    with pytest.raises(ConfigError) as caught:
        parse_toml(text, "conf/x.toml", _File)
    lines = sorted(p.line or 0 for p in caught.value.problems)
    assert lines == [1, 6]


def test_a_syntax_error_names_the_key_on_its_line() -> None:
    message = _problem('[limits]\nlanguage = "eng"\nmax_pages = = 3\n')
    assert message.startswith("conf/x.toml, line 3: 'limits.max_pages': not valid TOML:")


def test_data_without_its_text_is_named_without_a_line() -> None:
    with pytest.raises(ConfigError) as caught:
        validate("harvest.toml", {"limits": {"max_pages": True}}, _File)
    assert str(caught.value) == (
        "harvest.toml: 'limits.max_pages' must be a whole number (got True)"
    )
