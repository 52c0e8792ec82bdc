"""Where each queue item's destruction stands, and what one run of the execution did.

An item being destroyed is `executing`; `DisposalItem.progress` records which of its PARTS
(`db`, `blobs`, `index`: retention.destruction_db, _blobs, _index) are done, plus what the later
parts need (`previews`: the preview blobs the database part took off the document) and `from`
(the status it was claimed from). The database part records itself in its own transaction;
the blob and index parts are recorded when their chunk ends (`record_outcome`, which also keeps
the reason an item is not finished). A crash in between leaves those two unrecorded: the next
run does them again, which is harmless (deleting a deleted blob or index entry changes
nothing). So every run resumes each `executing` item from its first unrecorded part. An item
with every part done is `done`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TypedDict

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal
from edrm.db import table_of
from edrm.runtime import Runtime
from retention.models import DisposalItem

#: Item statuses from which destruction may start (or resume).
DESTROYABLE = ("approved", "transferred", "executing")
#: Parts of an item's destruction, in order (keys of DisposalItem.progress).
PARTS = ("db", "blobs", "index")


@dataclass
class ExecutionResult:
    finished: list[int] = field(default_factory=list)  # item ids fully done
    failed: list[tuple[int, str]] = field(default_factory=list)  # (item id, why)
    batches: list[int] = field(default_factory=list)  # batches this run worked on
    certificates: list[int] = field(default_factory=list)  # certificate document ids issued
    held: list[int] = field(default_factory=list)  # item ids skipped: under a legal hold now
    reviewed: list[int] = field(default_factory=list)  # `review` items given a new date
    problems: list[str] = field(default_factory=list)  # batch-level (e.g. certificate) failures
    # item ids left as they were: the person is not cleared to see their records
    uncleared: list[int] = field(default_factory=list)

    def merge(self, other: ExecutionResult) -> None:
        for name in self.__dataclass_fields__:
            mine = getattr(self, name)
            for value in getattr(other, name):
                if value not in mine:
                    mine.append(value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "finished": self.finished,
            "failed": [{"id": i, "error": e} for i, e in self.failed],
            "batches": self.batches,
            "certificates": self.certificates,
            "held": self.held,
            "reviewed": self.reviewed,
            "problems": self.problems,
            "uncleared": self.uncleared,
        }


def set_progress(session: Session, progress: dict[int, dict[str, Any]], **values: Any) -> None:
    """Set each item's progress (and `values`, the same for all): one UPDATE per distinct
    progress value, so a chunk whose items are at the same point costs one statement."""
    groups: dict[str, list[int]] = {}
    for item_id, parts in progress.items():
        groups.setdefault(json.dumps(parts, sort_keys=True), []).append(item_id)
    for key, ids in groups.items():
        session.execute(
            update(DisposalItem)
            .where(DisposalItem.id.in_(ids))
            .values(progress=json.loads(key), **values)
            .execution_options(synchronize_session=False)
        )


class _Unfinished(TypedDict):
    """The parameters of an item's update when its destruction is not finished."""

    b_id: int
    b_progress: dict[str, Any]
    b_error: str


def record_outcome(
    rt: Runtime,
    progress: dict[int, dict[str, Any]],
    errors: dict[int, str],
    items: dict[int, Any],
    *,
    actor: Principal,
    result: ExecutionResult,
) -> None:
    """The end of a chunk, in one transaction: items with every part done become `done`; the
    others keep their progress and the reason they are not finished (audited), for a retry."""
    now = clock.now()
    done: dict[int, dict[str, Any]] = {}
    pending: list[_Unfinished] = []
    for item_id, parts in progress.items():
        if all(parts.get(p) for p in PARTS):
            done[item_id] = parts
            result.finished.append(item_id)
        else:
            why = errors.get(item_id, "not finished")
            pending.append({"b_id": item_id, "b_progress": parts, "b_error": why})
            result.failed.append((item_id, why))
    queue = table_of(DisposalItem)
    with rt.uow() as session:
        if done:
            set_progress(
                session,
                done,
                status="done",
                last_error=None,
                finished_at=now,
            )
        if pending:
            session.execute(
                update(queue)
                .where(queue.c.id == bindparam("b_id"))
                .values(progress=bindparam("b_progress"), last_error=bindparam("b_error")),
                pending,
            )
            audit.record_many(
                session,
                (
                    (
                        actor.username,
                        "disposal.failed",
                        "document",
                        items[row["b_id"]].document_id,
                        {
                            "item": row["b_id"],
                            "error": row["b_error"],
                            "done": [p for p in PARTS if row["b_progress"].get(p)],
                        },
                    )
                    for row in pending
                ),
            )
