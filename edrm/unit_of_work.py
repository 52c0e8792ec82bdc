"""The unit of work: one transaction per entry point (web request, CLI command, scheduled job).

Entry points open a unit of work and pass its session down; services never commit.
`edrm.runtime.Runtime.uow` adds the audit entry of a refused change that outlives the
transaction it rolled back (`edrm.audit.keep_refusal`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session


@contextmanager
def unit_of_work(factory: Callable[[], Session]) -> Iterator[Session]:
    """One transaction: committed when the block ends normally, rolled back otherwise."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
