"""Settings: defaults from edrm.toml in the config folder, then EDRM_* environment variables, then
overrides.

The config folder is the one shipped inside the package (edrm/defaults/: edrm.toml, the file plan,
the retention schedule and the other config files), or the folder named by EDRM_CONFIG_DIR, which
then holds the whole set in its place. Nothing here reads a file at import time;
`load_settings()` is called by each entry point.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import create_model

from edrm.configfile import ConfigError, ConfigModel, load_toml
from edrm.package_files import package_dir

# The config files shipped inside the package (a wheel carries them; a checkout has them there).
DEFAULT_CONFIG_DIR = package_dir("defaults")
ENV_PREFIX = "EDRM_"
# EDRM_* variables that are not settings (read by the config locator, or by the container's
# start script: EDRM_DEMO=1 loads the demo).
_NOT_SETTINGS = {"EDRM_CONFIG_DIR", "EDRM_DEMO"}
# EDRM_<SETTING>_FILE: the setting's value is the content of that file (a secret mounted by
# Docker or an orchestrator, e.g. EDRM_SECRET_KEY_FILE=/run/secrets/edrm_secret_key).
_FILE_SUFFIX = "_FILE"
_NOT_SETTING_PREFIXES = ("EDRM_TEST_",)


class SettingsError(ValueError):
    """A setting is unknown or has a bad value; the message names the key."""


@dataclass(frozen=True)
class Settings:
    home: Path = Path("./var")
    database_url: str = ""
    sqlite_busy_timeout_ms: int = 15000
    host: str = "127.0.0.1"
    port: int = 5000
    server_threads: int = 8
    secret_key: str = ""
    cookie_secure: bool = True
    session_minutes: int = 480
    session_absolute_minutes: int = 720
    sign_in_account_failures: int = 5
    sign_in_address_failures: int = 20
    sign_in_window_minutes: int = 15
    sign_in_lockout_minutes: int = 15
    password_hash_slots: int = 2
    api_token_days: int = 90
    api_token_max_days: int = 365
    api_token_requests_per_minute: int = 600
    max_upload_mb: int = 200
    fileplan_file: str = "fileplan.toml"
    service_name: str = "edrm"
    log_level: str = "INFO"
    inbox: str = ""
    service_workers: int = 1
    worker_stale_seconds: int = 120
    scheduler: bool = True
    search_backend: str = "tantivy"
    elasticsearch_url: str = ""
    audit_key_file: str = ""
    audit_checkpoint_file: str = ""
    audit_checkpoint_every: int = 1000
    audit_syslog: str = ""
    audit_tsa_url: str = ""
    audit_tsa_ca_file: str = ""
    config_dir: Path = field(default=DEFAULT_CONFIG_DIR)
    # issue 13 part 6: e-mail in
    mail_capture_address: str = ""
    mail_listen_host: str = "127.0.0.1"
    mail_listen_port: int = 2525
    mail_max_message_mb: int = 50
    mail_imap_host: str = ""
    mail_imap_port: int = 993
    mail_imap_ssl: bool = True
    mail_imap_user: str = ""
    mail_imap_password: str = ""
    mail_imap_folder: str = "INBOX"
    mail_imap_filed_folder: str = "edrm-filed"
    mail_imap_refused_folder: str = "edrm-refused"

    # issue 13 part 1: single sign-on (OpenID Connect); an empty oidc_issuer means SSO is off.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_provider_name: str = "your organisation's account"
    oidc_scopes: str = "openid profile email"
    oidc_username_claim: str = "preferred_username"
    oidc_email_claim: str = "email"
    oidc_name_claim: str = "name"
    oidc_role_claim: str = "roles"
    oidc_role_map: str = ""
    oidc_groups_claim: str = "groups"
    oidc_group_map: str = ""
    oidc_clearance_claim: str = ""
    oidc_default_clearance: str = "OFFICIAL"
    oidc_allowed_domains: str = ""
    local_passwords: bool = True
    break_glass_accounts: str = ""

    @property
    def sso_on(self) -> bool:
        """Single sign-on is configured (an issuer is set)."""
        return bool(self.oidc_issuer)

    # issue 13 part 5: e-mail out
    mail_link_base_url: str = ""
    mail_from: str = "edrm <edrm@localhost>"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_timeout_seconds: int = 10
    notify_api_key: str = ""
    notify_template_id: str = ""
    notify_digest_template_id: str = ""
    notification_backoff_seconds: int = 60
    notification_max_attempts: int = 8
    notification_lease_seconds: int = 120

    # issue 14 part 3: scheduler
    scheduler_lease_seconds: int = 30
    scheduler_renew_seconds: int = 10
    scheduler_job_lease_seconds: int = 120

    # issue 14 part 4: observability
    log_format: str = "auto"
    metrics_token: str = ""
    ready_outbox_lag_seconds: int = 300
    ready_scheduler_seconds: int = 600
    # issue 14 part 2: scale-out
    blob_store: str = "filesystem"
    s3_endpoint_url: str = ""
    s3_bucket: str = ""
    s3_prefix: str = ""
    s3_region: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    # issue 15 part 4: classification. The auto-file threshold `edrm classifier train` learns:
    # the lowest confidence at which held-out training documents were filed right at least
    # this share of the time (0: learn none; config/ingest.toml's default_threshold applies).
    classifier_target_precision: float = 0.95
    api_idempotency_days: int = 7
    # Record every view and preview in the audit trail, OFFICIAL ones too (for complete access
    # reports); views of anything above OFFICIAL, and every download, are recorded regardless.
    audit_all_views: bool = False
    # Vital records are reviewed this many months after they are flagged or last reviewed.
    vital_review_months: int = 12
    # issue 16: search counts facets on a helper thread while it finds the hits (False: on
    # the searching thread alone; the results are the same).
    search_helper_threads: bool = True
    # Harvest records and declared skills are reviewed by their owners this many months apart.
    knowledge_review_months: int = 12

    @property
    def db_url(self) -> str:
        """The database URL in force: the configured one or SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'edrm.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.home / "blobs"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def inbox_dir(self) -> Path:
        return Path(self.inbox) if self.inbox else self.home / "inbox"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def model_dir(self) -> Path:
        return self.home / "models"

    @property
    def audit_dir(self) -> Path:
        """The audit trail's files outside the database: its keys, checkpoint log, TSA tokens."""
        return self.home / "audit"

    @property
    def audit_key_path(self) -> Path:
        return Path(self.audit_key_file) if self.audit_key_file else self.audit_dir / "keys.json"

    @property
    def audit_checkpoint_path(self) -> Path:
        if self.audit_checkpoint_file:
            return Path(self.audit_checkpoint_file)
        return self.audit_dir / "checkpoints.log"

    def config_path(self, name: str) -> Path:
        path = Path(name)
        return path if path.is_absolute() else self.config_dir / path


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}


def _coerce(key: str, value: Any, *, from_env: bool) -> Any:
    """Turn a raw value into the type of setting `key`, or raise naming the key."""
    default = _FIELDS[key].default
    try:
        if isinstance(default, bool):
            if isinstance(value, bool):
                return value
            if from_env and str(value).strip().lower() in {"1", "true", "yes", "on"}:
                return True
            if from_env and str(value).strip().lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError("expected true or false")
        if isinstance(default, int):
            if isinstance(value, bool) or not (isinstance(value, int) or from_env):
                raise ValueError("expected a whole number")
            return int(value)
        if isinstance(default, float):
            if isinstance(value, bool) or not (isinstance(value, int | float) or from_env):
                raise ValueError("expected a number")
            return float(value)
        if isinstance(default, Path):
            if not isinstance(value, str | Path) or not str(value):
                raise ValueError("expected a path")
            return Path(value).expanduser()
        # every other setting is text (its default a str)
        if not isinstance(value, str):
            raise ValueError("expected text")
        return value
    except ValueError as exc:
        source = f"{ENV_PREFIX}{key.upper()}" if from_env else key
        raise SettingsError(f"setting {source!r}: {exc} (got {value!r})") from None


def _validate(values: dict[str, Any]) -> None:
    for key in ("port",):
        if not 1 <= values[key] <= 65535:
            raise SettingsError(f"setting {key!r}: must be between 1 and 65535")
    for key in (
        "sqlite_busy_timeout_ms",
        "server_threads",
        "session_minutes",
        "session_absolute_minutes",
        "sign_in_account_failures",
        "sign_in_address_failures",
        "sign_in_window_minutes",
        "sign_in_lockout_minutes",
        "password_hash_slots",
        "api_token_days",
        "api_token_max_days",
        "api_token_requests_per_minute",
        "max_upload_mb",
        "worker_stale_seconds",
        "audit_checkpoint_every",
        "api_idempotency_days",
        "vital_review_months",
        "knowledge_review_months",
    ):
        if values[key] <= 0:
            raise SettingsError(f"setting {key!r}: must be greater than 0")
    if not 0 <= values["classifier_target_precision"] <= 1:
        raise SettingsError("setting 'classifier_target_precision': must be between 0 and 1")
    if values["api_token_days"] > values["api_token_max_days"]:
        raise SettingsError("setting 'api_token_days': must not be above 'api_token_max_days'")
    if values["log_level"].upper() not in _LOG_LEVELS:
        raise SettingsError(f"setting 'log_level': must be one of {', '.join(sorted(_LOG_LEVELS))}")
    if values["search_backend"] not in ("tantivy", "elasticsearch"):
        raise SettingsError("setting 'search_backend': use 'tantivy' or 'elasticsearch'")
    if values["search_backend"] == "elasticsearch" and not values["elasticsearch_url"]:
        raise SettingsError("setting 'elasticsearch_url' is needed for the elasticsearch backend")
    tsa = values["audit_tsa_url"]
    if tsa and not tsa.startswith(("http://", "https://")):
        raise SettingsError("setting 'audit_tsa_url': use an http:// or https:// address")
    _validate_sso(values)

    _validate_mail(values)
    url = values["database_url"]
    if url and not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
        raise SettingsError("setting 'database_url': only sqlite and postgresql URLs are supported")


def _validate_mail_in(values: dict[str, Any]) -> None:
    """issue 13 part 6: e-mail in."""
    for key in ("mail_listen_port", "mail_imap_port"):
        if not 1 <= values[key] <= 65535:
            raise SettingsError(f"setting {key!r}: must be between 1 and 65535")
    if values["mail_max_message_mb"] <= 0:
        raise SettingsError("setting 'mail_max_message_mb': must be greater than 0")
    address = values["mail_capture_address"]
    if address and (address.count("@") != 1 or "+" in address or " " in address):
        raise SettingsError(
            "setting 'mail_capture_address': give one address such as records@dept.gov.uk"
            " (without a +tag)"
        )


def _validate_sso(values: dict[str, Any]) -> None:
    """Issue 13 part 1: what single sign-on needs (the claim mapping is checked when the app is
    built, by `edrm.people.oidc_claims.mapping_from`)."""
    issuer = values["oidc_issuer"]
    if issuer:
        local = issuer.startswith(("http://127.0.0.1", "http://localhost"))
        if not (issuer.startswith("https://") or local):
            raise SettingsError("setting 'oidc_issuer': use an https:// address")
        if not values["oidc_client_id"]:
            raise SettingsError("setting 'oidc_client_id' is needed when 'oidc_issuer' is set")
    elif not values["local_passwords"]:
        raise SettingsError(
            "setting 'local_passwords' can be off only when single sign-on is on ('oidc_issuer')"
        )


def _validate_mail(values: dict[str, Any]) -> None:
    """issue 13 part 5: e-mail out."""
    if not 1 <= values["smtp_port"] <= 65535:
        raise SettingsError("setting 'smtp_port': must be between 1 and 65535")
    for key in (
        "smtp_timeout_seconds",
        "notification_max_attempts",
        "notification_lease_seconds",
    ):
        if values[key] <= 0:
            raise SettingsError(f"setting {key!r}: must be greater than 0")
    if values["notification_backoff_seconds"] < 0:
        raise SettingsError("setting 'notification_backoff_seconds': must not be negative")
    if values["notify_api_key"] and not values["notify_template_id"]:
        raise SettingsError("setting 'notify_template_id' is needed with 'notify_api_key'")
    if values["smtp_host"] and "@" not in values["mail_from"]:
        raise SettingsError("setting 'mail_from': give an e-mail address, e.g. edrm@example.org")
    base = values["mail_link_base_url"]
    if base and not base.startswith(("http://", "https://")):
        raise SettingsError("setting 'mail_link_base_url': use an http:// or https:// address")


def _validate_scheduler(values: dict[str, Any]) -> None:
    """issue 14 part 3: scheduler."""
    for key in (
        "scheduler_lease_seconds",
        "scheduler_renew_seconds",
        "scheduler_job_lease_seconds",
    ):
        if values[key] <= 0:
            raise SettingsError(f"setting {key!r}: must be greater than 0")
    if values["scheduler_renew_seconds"] >= values["scheduler_lease_seconds"]:
        raise SettingsError(
            "setting 'scheduler_renew_seconds': must be less than 'scheduler_lease_seconds'"
        )
    if values["scheduler_job_lease_seconds"] < 2:
        raise SettingsError("setting 'scheduler_job_lease_seconds': must be at least 2")


def _validate_observability(values: dict[str, Any]) -> None:
    """issue 14 part 4: observability."""
    if values["log_format"] not in ("auto", "json", "text"):
        raise SettingsError("setting 'log_format': use 'auto', 'json' or 'text'")
    if values["ready_outbox_lag_seconds"] <= 0:
        raise SettingsError("setting 'ready_outbox_lag_seconds': must be greater than 0")
    if values["ready_scheduler_seconds"] < 0:
        raise SettingsError("setting 'ready_scheduler_seconds': must not be negative")
    token = values["metrics_token"]
    if token and len(token) < 16:
        raise SettingsError("setting 'metrics_token': use at least 16 characters")


def _validate_scale_out(values: dict[str, Any]) -> None:
    """issue 14 part 2: scale-out."""
    if values["blob_store"] not in ("filesystem", "s3"):
        raise SettingsError("setting 'blob_store': use 'filesystem' or 's3'")
    if values["blob_store"] == "s3" and not values["s3_bucket"]:
        raise SettingsError("setting 's3_bucket' is needed when 'blob_store' is 's3'")
    url = values["s3_endpoint_url"]
    if url and not url.startswith(("http://", "https://")):
        raise SettingsError("setting 's3_endpoint_url': use an http:// or https:// address")
    if bool(values["s3_access_key_id"]) != bool(values["s3_secret_access_key"]):
        raise SettingsError(
            "settings 's3_access_key_id' and 's3_secret_access_key' go together: give both"
            " (or neither, to use the machine's own credentials)"
        )


def _file_type(default: Any) -> Any:
    """What edrm.toml may hold for a setting with this default (a path is written as text)."""
    return str if isinstance(default, Path) else type(default)


# config/edrm.toml: every setting but config_dir (the folder the file itself is in).
_FILE_FIELDS: dict[str, Any] = {
    name: (_file_type(f.default) | None, None)
    for name, f in _FIELDS.items()
    if name != "config_dir"
}
_SettingsFile = create_model("_SettingsFile", __base__=ConfigModel, **_FILE_FIELDS)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        values = load_toml(path, _SettingsFile)
    except FileNotFoundError:
        raise SettingsError(f"settings file {path} does not exist") from None
    except ConfigError as exc:
        problem = exc.problems[0]
        if problem.kind == "unknown":
            detail = f"unknown setting {problem.key!r}"
        elif problem.kind == "syntax":
            detail = problem.text
        else:
            detail = f"setting {problem.text}"
        raise SettingsError(f"settings file {problem.at}: {detail}") from None
    return values.model_dump(exclude_unset=True)


def _from_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The settings given as EDRM_<SETTING>, or read from the file EDRM_<SETTING>_FILE names."""
    found: dict[str, str] = {}
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or name in _NOT_SETTINGS:
            continue
        if name.startswith(_NOT_SETTING_PREFIXES):
            continue
        key = name[len(ENV_PREFIX) :].lower()
        from_file = key.endswith(_FILE_SUFFIX.lower()) and key not in _FIELDS
        if from_file:
            key = key[: -len(_FILE_SUFFIX)]
        if key not in _FIELDS or key == "config_dir":
            raise SettingsError(f"environment variable {name!r} is not an edrm setting")
        if from_file:
            if f"{ENV_PREFIX}{key.upper()}" in env:
                raise SettingsError(
                    f"environment variables {ENV_PREFIX}{key.upper()} and {name} are both set:"
                    " give one"
                )
            raw = _read_secret(name, raw)
        found[key] = raw
    return found


def _read_secret(name: str, path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SettingsError(
            f"environment variable {name!r}: cannot read {path}: {reason}"
        ) from None


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build validated settings: edrm.toml in the config folder < EDRM_* environment < overrides."""
    env = os.environ if environ is None else environ
    config_dir = Path(env.get("EDRM_CONFIG_DIR") or DEFAULT_CONFIG_DIR)
    if overrides and "config_dir" in overrides:
        config_dir = Path(overrides["config_dir"])
    values: dict[str, Any] = {name: f.default for name, f in _FIELDS.items()}
    values["config_dir"] = config_dir
    for key, raw in _read_toml(config_dir / "edrm.toml").items():
        values[key] = _coerce(key, raw, from_env=False)
    for key, raw in _from_environment(env).items():
        values[key] = _coerce(key, raw, from_env=True)
    for key, raw in (overrides or {}).items():
        if key not in _FIELDS:
            raise SettingsError(f"unknown setting {key!r}")
        if key != "config_dir":
            values[key] = _coerce(key, raw, from_env=False)
    _validate(values)
    _validate_mail_in(values)
    _validate_scheduler(values)
    _validate_observability(values)
    _validate_scale_out(values)
    values["log_level"] = values["log_level"].upper()
    return Settings(**values)


def ensure_home(settings: Settings) -> None:
    """Create the data directory and its parts; readable only by the service's user."""
    for path in (
        settings.home,
        settings.blob_dir,
        settings.quarantine_dir,
        settings.model_dir,
        settings.inbox_dir,
        settings.audit_dir,
    ):
        path.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.home, 0o700)
    os.chmod(settings.audit_dir, 0o700)


def secret_key(settings: Settings) -> str:
    """The configured secret, or the one kept in the data directory (made on first use)."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.home / "secret_key"
    if not path.exists():
        settings.home.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        os.replace(tmp, path)
    return path.read_text().strip()
