"""Shared fixtures: a real database (SQLite always, PostgreSQL when EDRM_TEST_DATABASE_URL is
set), a fresh data directory per test, the app, its client, and the CLI.

Database-backed fixtures are parametrised over the engines, so every database test runs on
each; the run ends with a line counting the tests per database.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from edrm.access import Principal
from edrm.cli import main as cli_main
from edrm.db import Base, make_engine, migrate, normalise_url
from edrm.settings import Settings, ensure_home, load_settings
from edrm.wiring import Runtime, build_runtime
from tests.s3_server import s3_server  # noqa: F401  (the S3-compatible server fixture)

PG_URL = os.environ.get("EDRM_TEST_DATABASE_URL", "")
DATABASES = ["sqlite", *(["postgresql"] if PG_URL else [])]
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> None:
    """Real argon2, with the cheapest parameters: hashing dominates fixture time otherwise."""
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST

    from edrm.people.service import use_password_hasher

    use_password_hasher(PasswordHasher.from_parameters(CHEAPEST))


# --- databases --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, copied for each test (migrating once is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "edrm.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    assert not path.with_name("edrm.db-wal").exists()
    return path


@pytest.fixture(scope="session")
def pg_worker_url(worker_id: str) -> Iterator[str]:
    """A database of this test worker's own, migrated once, on the PostgreSQL under test."""
    if not PG_URL:
        pytest.skip("EDRM_TEST_DATABASE_URL is not set")
    base = make_url(normalise_url(PG_URL))
    name = f"{base.database}_{worker_id}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(
            text("INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, :h)"),
            {"h": "0" * 64},
        )
    engine.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database for this test."""
    if request.param == "sqlite":
        target = tmp_path / "db" / "edrm.db"
        target.parent.mkdir()
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("pg_worker_url")
    _empty_postgres(url)
    return url


# --- settings, runtime, sessions --------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def settings_overrides(home: Path, database_url: str) -> dict[str, Any]:
    return {
        "home": str(home),
        "database_url": database_url,
        "cookie_secure": False,
        "secret_key": "test-secret-key",
    }


@pytest.fixture
def settings(settings_overrides: dict[str, Any]) -> Settings:
    s = load_settings(settings_overrides, environ={})
    ensure_home(s)
    return s


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = build_runtime(settings)
    yield rt
    rt.close()


@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    """A session for service tests; the test decides whether to commit."""
    s = runtime.sessions()
    yield s
    s.rollback()
    s.close()


# --- people and a small file plan -------------------------------------------------------------

SMALL_PLAN_CSV = """code,parent,kind,title,description,marking,access,owner_unit,retention,closed
FIN,,function,Finance,Managing money,OFFICIAL,,Finance,,false
FIN-AP,FIN,activity,Accounts payable,Paying suppliers,OFFICIAL,,Finance,DESTROY-7Y,false
FIN-AP-INV,FIN-AP,transaction,Supplier invoices,From suppliers,OFFICIAL,,Finance,DESTROY-7Y,false
HR,,function,Human resources,People,OFFICIAL,,HR,,false
HR-CASE,HR,activity,Employee relations,Casework,OFFICIAL-SENSITIVE,hr,HR,EMPLOYEE-LEFT-6Y,false
HR-CASE-DIS,HR-CASE,transaction,Discipline cases,Discipline,OFFICIAL-SENSITIVE,,HR,,false
SEC,,function,Security,Protective security,OFFICIAL,,Security,,false
SEC-OPS,SEC,activity,Security operations,Operations,OFFICIAL,,Security,RETAIN-PERMANENT,false
SEC-OPS-INC,SEC-OPS,transaction,Security incidents,Incidents,OFFICIAL,,Security,,false
"""


@pytest.fixture
def world_plan(runtime: Runtime) -> None:
    """The small file plan, committed (for tests that run real worker processes)."""
    from edrm.fileplan.io import parse_csv
    from edrm.fileplan.service import import_rows

    with runtime.uow() as s:
        import_rows(s, parse_csv(SMALL_PLAN_CSV))


@dataclass
class World:
    """A small populated installation: people of each role, a plan, some documents."""

    runtime: Runtime
    people: dict[str, Principal]
    docs: dict[str, int]


def add_person(
    session: Session, username: str, role: str, clearance: str, groups: tuple[str, ...] = ()
) -> Principal:
    from edrm.people.service import add_user

    user = add_user(
        session, username, PASSWORD, role, clearance, groups=groups, full_name=username.title()
    )
    return Principal.of(user)


def file_text(
    session: Session,
    runtime: Runtime,
    into: str,
    title: str,
    *,
    marking: str | None = None,
    actor: Principal | None = None,
    body: str | None = None,
    filename: str | None = None,
) -> int:
    from edrm.access import SYSTEM
    from edrm.documents.service import NewDocument, add_document

    content = (body or f"{title}\n\nThe text of {title}.\n").encode()
    doc = add_document(
        session,
        runtime.blobs,
        io.BytesIO(content),
        NewDocument(
            filename=filename or f"{title}.txt", into_code=into, title=title, marking=marking
        ),
        actor=actor or SYSTEM,
    )
    return doc.id


@pytest.fixture
def world(runtime: Runtime) -> World:
    from edrm.fileplan.io import parse_csv
    from edrm.fileplan.service import create_folder, import_rows

    with runtime.uow() as s:
        import_rows(s, parse_csv(SMALL_PLAN_CSV))
        create_folder(s, "FIN-AP-INV-2024", "FIN-AP-INV", "Supplier invoices 2024-25")
        create_folder(s, "FIN-AP-INV-2019", "FIN-AP-INV", "Supplier invoices 2019-20")
        people = {
            "clerk": add_person(s, "clerk", "civil_servant", "OFFICIAL"),
            "analyst": add_person(s, "analyst", "civil_servant", "OFFICIAL-SENSITIVE"),
            "hrofficer": add_person(s, "hrofficer", "hr", "OFFICIAL-SENSITIVE", ("hr",)),
            "recman": add_person(s, "recman", "records_manager", "SECRET", ("hr",)),
            "admin": add_person(s, "admin", "administrator", "TOP SECRET"),
        }
        docs = {
            "invoice": file_text(
                s, runtime, "FIN-AP-INV-2024", "Invoice 1001 from Acme Ltd", actor=people["clerk"]
            ),
            "sensitive": file_text(
                s, runtime, "FIN-AP-INV", "Supplier bank details", marking="OFFICIAL-SENSITIVE"
            ),
            "secret": file_text(
                s, runtime, "SEC-OPS-INC", "Intrusion at the data centre", marking="SECRET"
            ),
            "discipline": file_text(s, runtime, "HR-CASE-DIS", "Discipline case 17"),
            "old": file_text(s, runtime, "FIN-AP-INV-2019", "Invoice 17 from Beta plc"),
        }
        from edrm.fileplan.service import close_folder

        close_folder(s, "FIN-AP-INV-2019")
    return World(runtime, people, docs)


# --- web and CLI ------------------------------------------------------------------------------


@pytest.fixture
def app(settings_overrides: dict[str, Any], settings: Settings) -> Iterator[Flask]:
    flask_app = create_app_for_tests(settings_overrides)
    yield flask_app
    flask_app.extensions["edrm"].close()


def create_app_for_tests(overrides: dict[str, Any]) -> Flask:
    from edrm.web.app import create_app

    return create_app({**overrides, "flask": {"TESTING": True}})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    """Sign in through the real form (fetching its CSRF token first)."""
    import re

    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text) or re.search(
        r'name="csrf_token" value="([^"]+)"', page.text
    )
    assert token, "sign-in form has no CSRF token"
    return client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
    )


class Cli:
    """Runs `edrm …` in-process with EDRM_HOME and EDRM_DATABASE_URL pointing at the test's."""

    def __init__(self, settings: Settings) -> None:
        self.env = {
            "EDRM_HOME": str(settings.home),
            "EDRM_DATABASE_URL": settings.database_url,
            "EDRM_SECRET_KEY": "test-secret-key",
        }

    def __call__(self, *args: str, input: str | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(
            cli_main, list(args), env=self.env, input=input, catch_exceptions=False
        )


@pytest.fixture
def cli(settings: Settings) -> Cli:
    return Cli(settings)


# --- report -----------------------------------------------------------------------------------


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Page and browser tests exercise services whose database behaviour is tested on both
    engines already: run them on SQLite only, to keep the suite within its time budget. Slow
    tests are put first."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.get_closest_marker("sqlite_only") and params.get("database_url") == "postgresql":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    # The slow tests first: run in parallel (make test: pytest -n 2), the longest ones start at
    # once on their own worker instead of leaving one worker running alone at the end.
    keep.sort(key=lambda item: item.get_closest_marker("slow") is None)
    items[:] = keep


def pytest_terminal_summary(terminalreporter: Any) -> None:
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if getattr(report, "when", "call") not in ("call", None) and outcome == "passed":
                continue
            for db in ("sqlite", "postgresql"):
                if f"[{db}" in nodeid or f"-{db}]" in nodeid or f"-{db}-" in nodeid:
                    counts.setdefault(db, {}).setdefault(outcome, 0)
                    counts[db][outcome] += 1
    if not counts:
        return
    terminalreporter.write_sep("-", "database tests")
    for db in ("sqlite", "postgresql"):
        parts = counts.get(db)
        if parts:
            detail = ", ".join(f"{n} {k}" for k, n in sorted(parts.items()))
            terminalreporter.write_line(f"{db}: {sum(parts.values())} tests ({detail})")
        else:
            terminalreporter.write_line(f"{db}: not run (set EDRM_TEST_DATABASE_URL)")
