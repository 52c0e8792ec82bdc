"""What every CLI command shares: one-line errors, the runtime, the acting person, JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import click
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from edrm.db import current_revision, head_revision
from edrm.errors import EdrmError
from edrm.ids import MAX_ID
from edrm.people.service import principal_for
from edrm.settings import Settings, SettingsError, load_settings
from edrm.wiring import Runtime, build_runtime

F = TypeVar("F", bound=Callable[..., Any])


class CliError(click.ClickException):
    def show(self, file: Any = None) -> None:
        click.echo(f"edrm: error: {self.format_message()}", err=True)


def friendly_errors(fn: F) -> F:
    """Turn expected failures into one clear line and exit code 1."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (EdrmError, SettingsError) as exc:
            raise CliError(str(exc)) from None
        except (OperationalError, ProgrammingError) as exc:
            raise CliError(f"database problem: {str(exc.orig).strip().splitlines()[0]}") from None
        except BrokenPipeError:
            sys.stderr.close()  # the reader went away (e.g. `| head`): stop quietly
            sys.exit(0)
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            raise CliError(f"{exc.strerror or exc}{where}") from None

    return wrapper  # type: ignore[return-value]


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise CliError(str(exc)) from None


@contextmanager
def runtime(*, need_schema: bool = True) -> Iterator[Runtime]:
    settings = _settings()
    rt = build_runtime(settings)
    try:
        if need_schema:
            try:
                current = current_revision(rt.engine)
            except OperationalError as exc:
                raise CliError(f"cannot open the database: {exc.orig}") from None
            if current is None:
                raise CliError(
                    f"the data directory {settings.home} is not initialised: run `edrm init`"
                )
            if current != head_revision():
                raise CliError("the database schema is out of date: run `edrm init` to migrate")
        yield rt
    finally:
        rt.close()


def _principal(session: Session, username: str | None) -> Any:
    return principal_for(session, username)


def _json_out(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


#: A row id (documents, holds, queue items …): 1 to the largest a table can hold.
ID = click.IntRange(1, MAX_ID)
#: How many to list or which page: a whole number of at least 1, within reason.
COUNT = click.IntRange(1, 100_000)

as_option = click.option(
    "--as", "as_user", metavar="USERNAME", help="Act as this person (their access applies)."
)
