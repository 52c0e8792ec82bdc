"""Shared pieces of the disposal tests: a records-management class for certificates, a rule
with its authority, a second records manager, queue items made directly, and a search backend
whose deletes fail for chosen documents."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from edrm import clock
from edrm.access import Principal
from edrm.runtime import Runtime
from retention.models import DisposalItem, RetentionRule
from retention.review import decide
from search.base import SearchQuery, Visibility
from tests.conftest import World, add_person

RM_PLAN = """code,parent,kind,title,description,marking,access,owner_unit,retention,closed
INFO,,function,Information management,Information,OFFICIAL,,KIM,,false
INFO-IM,INFO,activity,Records management,Records,OFFICIAL,,KIM,,false
INFO-IM-DSP,INFO-IM,transaction,Disposal records,Certificates,OFFICIAL,,KIM,,false
"""


def with_records_management(world: World) -> World:
    """The small world plus the records-management class where certificates are filed, the
    invoice rule with its authority, and a second records manager for second stages."""
    from edrm.fileplan.io import parse_csv
    from edrm.fileplan.service import import_rows

    with world.runtime.uow() as s:
        import_rows(s, parse_csv(RM_PLAN))
        s.add(
            RetentionRule(
                code="DESTROY-7Y",
                title="Destroy 7 years after creation",
                trigger="created",
                period_years=7,
                action="destroy",
                authority="Companies Act 2006 s.388",
                review_stages=1,
                updated_at=clock.now(),
            )
        )
        world.people["recman2"] = add_person(s, "recman2", "records_manager", "SECRET", ("hr",))
    return world


def queue(
    rt: Runtime,
    document_id: int,
    *,
    stages: int = 1,
    action: str = "destroy",
    status: str = "pending",
) -> int:
    with rt.uow() as s:
        item = DisposalItem(
            document_id=document_id,
            rule_code="DESTROY-7Y",
            action=action,
            class_code="FIN-AP-INV",
            due_on=date(2024, 1, 1),
            stage=1,
            stages=stages,
            status=status,
            queued_at=clock.now(),
            progress={},
        )
        s.add(item)
        s.flush()
        return item.id


def approve(rt: Runtime, item_ids: Iterable[int], who: Principal) -> None:
    with rt.uow() as s:
        for item_id in item_ids:
            decide(s, item_id, "approve", reason="past its retention period", actor=who)


def hits(rt: Runtime, text: str) -> int:
    return rt.search.search(SearchQuery(text=text, visibility=Visibility.everything())).total


class FailingDeletes:
    """The real search backend, except that deleting the given document ids fails."""

    def __init__(self, real: Any, failing: set[int]) -> None:
        self.real = real
        self.failing = failing

    def delete(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        bad = self.failing.intersection(ids)
        if bad:
            raise OSError(f"index unavailable for {sorted(bad)}")
        self.real.delete(ids)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)
