"""Shared pieces of the disposal tests: a records-management class for certificates, a rule
with its authority, a second records manager, queue items made directly, previews, the search
index read and written by a backend of its own, a config folder with other disposal settings,
and a search backend whose deletes fail for chosen documents."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from edrm import clock
from edrm.access import Principal
from edrm.documents.models import Document
from edrm.runtime import Runtime
from edrm.search_indexer import apply_outbox
from edrm.settings import DEFAULT_CONFIG_DIR
from retention.models import DisposalItem, RetentionRule
from retention.review import decide
from search.base import SearchQuery, Visibility
from tests.conftest import World, add_person

RM_PLAN = """code,parent,kind,title,description,marking,access,owner_unit,retention,closed
INFO,,function,Information management,Information,OFFICIAL,,KIM,,false
INFO-IM,INFO,activity,Records management,Records,OFFICIAL,,KIM,,false
INFO-IM-DSP,INFO-IM,transaction,Disposal records,Certificates,OFFICIAL,,KIM,RETAIN-PERMANENT,false
"""

#: The rules the small plan's other classes name (the certificates' class keeps its records).
OTHER_RULES = (
    ("RETAIN-PERMANENT", "created", 0, "retain_permanently"),
    ("EMPLOYEE-LEFT-6Y", "event:employee_left", 6, "destroy"),
)


def with_records_management(world: World) -> World:
    """The small world plus the records-management class where certificates are filed, the
    invoice rule with its authority (and the rules of the other classes, which would otherwise
    take no records: class determines destiny), and a second records manager for second
    stages."""
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
        for code, trigger, years, action in OTHER_RULES:
            s.add(
                RetentionRule(
                    code=code,
                    title=code.title(),
                    trigger=trigger,
                    period_years=years,
                    action=action,
                    authority="Business need",
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


def store_preview(rt: Runtime, document_id: int, png: bytes) -> str:
    """Give the document a preview (as the ingest pipeline does), with a personal-data note."""
    sha = rt.blobs.put_bytes(png).sha256
    with rt.uow() as s:
        doc = s.get(Document, document_id)
        assert doc is not None
        doc.extra = {**doc.extra, "preview_sha256": sha, "pii": {"emails": 1}}
    return sha


def index_everything(rt: Runtime) -> None:
    """Apply the search outbox with a backend opened and closed here, so that no writer of the
    index stays open in this process (the app, the CLI or a child process writes next)."""
    from search.tantivy_backend import TantivyBackend

    with TantivyBackend(rt.settings.index_dir) as backend:
        apply_outbox(rt.sessions, backend)


def indexed_ids(rt: Runtime) -> set[int]:
    """Every document id in the search index, read afresh from disk."""
    from search.tantivy_backend import TantivyBackend

    with TantivyBackend(rt.settings.index_dir) as backend:
        query = SearchQuery("", Visibility.everything(), per_page=1000, facets=(), sort="date")
        return {h.id for h in backend.search(query).hits}


def config_dir_with(tmp_path: Path, disposal: str) -> Path:
    """A copy of the shipped config folder whose disposal.toml is `disposal`."""
    folder = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, folder)
    (folder / "disposal.toml").write_text(disposal)
    return folder


def confirm_execution(client: Any) -> Any:
    """Carry out the approved decisions through the pages, as a records manager does: open the
    check page, then press its confirm button (the CSRF token, `confirm` and the plan's
    fingerprint are the form's hidden fields)."""
    import re

    page = client.get("/records-management/execute/check").text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    assert {"csrf_token", "confirm", "plan"} <= set(fields), "no confirm form on the check page"
    return client.post("/records-management/execute", data=fields)
