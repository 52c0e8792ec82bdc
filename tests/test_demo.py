"""The demo: a realistic installation loaded once per data directory."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from edrm import audit
from edrm.demo.corpus import demo_users, generate_documents
from edrm.demo.loader import DEMO_PASSWORD, load_demo
from edrm.documents.models import Document
from edrm.fileplan.models import FilePlanNode
from edrm.markings import Marking
from edrm.people.roles import Role
from edrm.people.signin import authenticate
from edrm.runtime import Runtime

pytestmark = pytest.mark.slow


def test_the_corpus_is_the_same_for_the_same_seed() -> None:
    first = generate_documents(seed=7, count=30)
    again = generate_documents(seed=7, count=30)
    assert [d.content for d in first] == [d.content for d in again]


def test_demo_people_cover_every_role() -> None:
    roles = {u.role for u in demo_users()}
    assert roles == {r.value for r in Role}


def test_the_demo_loads_once_through_the_pipeline_and_keeps_the_audit_trail_intact(
    runtime: Runtime,
) -> None:
    result = load_demo(runtime, documents=40)
    assert not result.already_loaded
    assert result.documents == 40
    assert result.failed == 0
    assert result.scans == 2  # every sixth newer document, if it is text: 2 of the 14
    assert result.filed + result.triage == 40
    again = load_demo(runtime, documents=40)
    assert again.already_loaded
    with runtime.uow() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 40
        functions = s.scalar(
            select(func.count()).select_from(FilePlanNode).where(FilePlanNode.parent_id.is_(None))
        )
        assert functions is not None and functions >= 8
        markings = {Marking(m) for m in s.scalars(select(Document.marking_value).distinct())}
        assert len(markings) >= 2
        assert audit.verify(s).ok


def test_demo_accounts_can_sign_in(runtime: Runtime) -> None:
    load_demo(runtime, documents=6)
    with runtime.uow() as s:
        first = demo_users()[0]
        assert authenticate(s, first.username, DEMO_PASSWORD) is not None
