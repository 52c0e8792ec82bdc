"""The shipped image and compose file are safe by default: no demo unless EDRM_DEMO=1, no
password or key written into them (secrets come from the environment or files), and
Elasticsearch with security on. Docker cannot run here, so the files are read, and the start
script is run for real by sh with an `edrm` on PATH that records what it was asked."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from edrm.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
START = ROOT / "scripts" / "container_start.sh"


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8")))


def _edrm_services(compose: dict[str, Any]) -> dict[str, Any]:
    return {n: s for n, s in compose["services"].items() if s.get("image", "").startswith("edrm")}


def _run_start(tmp_path: Path, **env: str) -> list[str]:
    """Run the start script with a stand-in `edrm` that logs its arguments; the calls made."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls"
    stand_in = bin_dir / "edrm"
    stand_in.write_text(f'#!/bin/sh\necho "$*" >> {log}\n', encoding="utf-8")
    stand_in.chmod(0o755)
    environ = {"PATH": f"{bin_dir}:{os.environ['PATH']}", **env}
    subprocess.run(["sh", str(START)], env=environ, check=True, timeout=30)
    return log.read_text(encoding="utf-8").splitlines()


def test_the_image_starts_with_the_start_script() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    cmd = [line for line in dockerfile.splitlines() if line.startswith("CMD")]
    assert cmd == ['CMD ["sh", "/app/scripts/container_start.sh"]']
    assert "edrm demo" not in dockerfile
    assert re.search(r"^ENV EDRM_DEMO=0$", dockerfile, re.MULTILINE)


def test_the_start_script_loads_no_demo_unless_asked(tmp_path: Path) -> None:
    assert _run_start(tmp_path) == ["init", "serve --host 0.0.0.0 --port 5000"]


def test_the_start_script_loads_the_demo_when_asked(tmp_path: Path) -> None:
    calls = _run_start(tmp_path, EDRM_DEMO="1")
    assert calls == ["init", "demo", "serve --host 0.0.0.0 --port 5000"]


def test_every_edrm_service_runs_no_demo_of_its_own() -> None:
    services = _edrm_services(_compose())
    assert set(services) == {"app", "worker", "scheduler"}
    for name, service in services.items():
        assert "demo" not in " ".join(service.get("command", [])), name
    assert services["app"]["command"] == ["sh", "/app/scripts/container_start.sh"]
    assert services["app"]["environment"]["EDRM_DEMO"] == "${EDRM_DEMO:-0}"


def test_no_password_or_key_is_written_in_the_compose_file() -> None:
    compose = _compose()
    app_env = compose["services"]["app"]["environment"]
    assert app_env["EDRM_DATABASE_URL"] == (
        "postgresql://edrm:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}@postgres:5432/edrm"
    )
    assert "EDRM_SECRET_KEY" not in app_env
    assert app_env["EDRM_SECRET_KEY_FILE"] == "/run/secrets/edrm_secret_key"
    for service in _edrm_services(compose).values():
        assert service["secrets"] == ["edrm_secret_key"]
    postgres = compose["services"]["postgres"]
    assert "POSTGRES_PASSWORD" not in postgres["environment"]
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert compose["secrets"] == {
        "edrm_secret_key": {"environment": "EDRM_SECRET_KEY"},
        "postgres_password": {"environment": "POSTGRES_PASSWORD"},
    }


def test_elasticsearch_runs_with_security_on_and_edrm_signs_in_to_it() -> None:
    compose = _compose()
    elastic = compose["services"]["elasticsearch"]
    assert elastic["environment"]["xpack.security.enabled"] == "true"
    assert elastic["environment"]["ELASTIC_PASSWORD"] == "${ELASTIC_PASSWORD:?set ELASTIC_PASSWORD}"
    assert "elastic:$${ELASTIC_PASSWORD}" in " ".join(elastic["healthcheck"]["test"])
    url = compose["services"]["app"]["environment"]["EDRM_ELASTICSEARCH_URL"]
    assert url == "http://elastic:${ELASTIC_PASSWORD:?set ELASTIC_PASSWORD}@elasticsearch:9200"


def test_the_compose_environment_is_all_edrm_settings(tmp_path: Path) -> None:
    """What compose gives edrm loads as settings (no unknown EDRM_ variable stops it)."""
    key_file = tmp_path / "edrm_secret_key"
    key_file.write_text("a-key-from-a-file\n", encoding="utf-8")
    env = {
        k: v.replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "pw")
        .replace("${ELASTIC_PASSWORD:?set ELASTIC_PASSWORD}", "pw")
        .replace("${EDRM_DEMO:-0}", "0")
        for k, v in _compose()["services"]["app"]["environment"].items()
    }
    env["EDRM_SECRET_KEY_FILE"] = str(key_file)
    settings = load_settings(environ=env)
    assert settings.secret_key == "a-key-from-a-file"
    assert settings.database_url == "postgresql://edrm:pw@postgres:5432/edrm"


# --- settings from files ------------------------------------------------------------------------


def test_a_setting_can_be_read_from_the_file_its_file_variable_names(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret-from-a-file\n", encoding="utf-8")
    settings = load_settings(environ={"EDRM_SECRET_KEY_FILE": str(secret)})
    assert settings.secret_key == "s3cret-from-a-file"


def test_a_setting_and_its_file_variable_together_are_an_error(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("x", encoding="utf-8")
    with pytest.raises(SettingsError, match="EDRM_SECRET_KEY and EDRM_SECRET_KEY_FILE"):
        load_settings(environ={"EDRM_SECRET_KEY": "y", "EDRM_SECRET_KEY_FILE": str(secret)})


def test_a_missing_secret_file_is_an_error_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"EDRM_SECRET_KEY_FILE.*cannot read"):
        load_settings(environ={"EDRM_SECRET_KEY_FILE": str(tmp_path / "absent")})


def test_a_file_variable_for_no_setting_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="EDRM_COLOUR_FILE"):
        load_settings(environ={"EDRM_COLOUR_FILE": str(tmp_path)})
