"""Settings: config/edrm.toml, then EDRM_* variables, then overrides; every mistake is named."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from edrm.settings import DEFAULT_CONFIG_DIR, SettingsError, load_settings


def _config_dir(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "edrm.toml").write_text(text, encoding="utf-8")
    return folder


def test_defaults_come_from_the_shipped_settings_file() -> None:
    shipped = tomllib.loads((DEFAULT_CONFIG_DIR / "edrm.toml").read_text(encoding="utf-8"))
    settings = load_settings(environ={})
    assert shipped, "config/edrm.toml sets nothing"
    for key, value in shipped.items():
        expected = Path(value) if key == "home" else value
        assert getattr(settings, key) == expected, key


def test_a_settings_file_in_another_config_directory_is_used(tmp_path: Path) -> None:
    folder = _config_dir(tmp_path, 'port = 8123\nservice_name = "Records"\n')
    settings = load_settings({"config_dir": folder}, environ={})
    assert settings.port == 8123
    assert settings.service_name == "Records"
    assert settings.config_dir == folder


def test_an_edrm_variable_overrides_the_settings_file() -> None:
    settings = load_settings(
        environ={"EDRM_PORT": "8081", "EDRM_HOME": "/srv/edrm", "EDRM_COOKIE_SECURE": "false"}
    )
    assert settings.port == 8081
    assert settings.home == Path("/srv/edrm")
    assert settings.cookie_secure is False


def test_overrides_beat_the_environment() -> None:
    settings = load_settings({"port": 9090}, environ={"EDRM_PORT": "8081"})
    assert settings.port == 9090


def test_an_unknown_edrm_variable_is_an_error_naming_it() -> None:
    with pytest.raises(SettingsError, match="EDRM_COLOUR"):
        load_settings(environ={"EDRM_COLOUR": "blue"})


def test_a_bad_value_in_a_variable_is_an_error_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match="EDRM_PORT") as caught:
        load_settings(environ={"EDRM_PORT": "abc"})
    assert "abc" in str(caught.value)


def test_a_port_out_of_range_is_an_error_naming_the_setting() -> None:
    with pytest.raises(SettingsError, match="port"):
        load_settings(environ={"EDRM_PORT": "70000"})


def test_an_unsupported_database_url_is_an_error() -> None:
    with pytest.raises(SettingsError, match="database_url"):
        load_settings(environ={"EDRM_DATABASE_URL": "mysql://root@localhost/edrm"})


def test_an_unknown_key_in_a_settings_file_is_an_error_naming_the_key(tmp_path: Path) -> None:
    folder = _config_dir(tmp_path, 'port = 5000\ncolour = "blue"\n')
    with pytest.raises(SettingsError, match="'colour'"):
        load_settings({"config_dir": folder}, environ={})


def test_a_value_of_the_wrong_type_in_a_settings_file_is_an_error_naming_the_key(
    tmp_path: Path,
) -> None:
    folder = _config_dir(tmp_path, 'port = "5000"\n')
    with pytest.raises(SettingsError, match="'port'"):
        load_settings({"config_dir": folder}, environ={})


def test_an_unknown_override_is_an_error_naming_it() -> None:
    with pytest.raises(SettingsError, match="'colour'"):
        load_settings({"colour": "blue"}, environ={})


def test_edrm_test_variables_are_ignored() -> None:
    settings = load_settings(
        environ={
            "EDRM_TEST_DATABASE_URL": "postgresql://postgres@127.0.0.1/edrm_test",
            "EDRM_TEST_ANYTHING_ELSE": "1",
        }
    )
    assert settings.database_url == ""


def test_the_config_directory_variable_is_not_a_setting_error(tmp_path: Path) -> None:
    folder = _config_dir(tmp_path, "port = 8124\n")
    settings = load_settings(environ={"EDRM_CONFIG_DIR": str(folder)})
    assert settings.port == 8124


def test_db_url_defaults_to_sqlite_inside_home(tmp_path: Path) -> None:
    settings = load_settings({"home": str(tmp_path / "data")}, environ={})
    assert settings.database_url == ""
    assert settings.db_url == f"sqlite:///{(tmp_path / 'data' / 'edrm.db').resolve()}"


def test_db_url_is_the_configured_database_when_one_is_set() -> None:
    url = "postgresql://edrm@db.example/edrm"
    settings = load_settings(environ={"EDRM_DATABASE_URL": url})
    assert settings.db_url == url
