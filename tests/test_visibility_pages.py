"""A property test over the pages: for random people (role, clearance, groups), file-plan access
rules, markings and documents, no page in the list below shows a title the access module hides
from the person looking. The pages: record search, each document, file-plan browsing, the
audit search, the disposal queue and its items, the legal holds and one hold, and find an
expert.

One app serves every example (hypothesis runs them in one test function); each example adds
its own classes, people, records, queue items and holds with names no other example uses, so
the records of every earlier example are checked again against each new person."""

from __future__ import annotations

import io
import itertools
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from edrm import clock
from edrm.access import SYSTEM, Principal, may_see_document
from edrm.documents.models import Document
from edrm.documents.service import NewDocument, add_document, create_document
from edrm.fileplan.io import NodeRow
from edrm.fileplan.service import import_rows
from edrm.markings import Marking
from edrm.people.roles import Role
from edrm.search_indexer import apply_outbox
from retention.holds import place_hold
from retention.models import DisposalItem
from tests.conftest import add_person, sign_in

# Pages over services tested on both databases (see tests/conftest.py).
pytestmark = [pytest.mark.sqlite_only, pytest.mark.slow]

GROUPS = ["hr", "legal", "security"]
MARKINGS = [m.value for m in Marking]
_runs = itertools.count()
#: Every record made so far in this test function: (document id, the token in its title).
_made: list[tuple[int, str]] = []

people = st.lists(
    st.tuples(
        st.sampled_from(list(Role)),
        st.sampled_from(MARKINGS),
        st.sets(st.sampled_from(GROUPS), max_size=2),
    ),
    min_size=1,
    max_size=2,
)
rules = st.lists(st.sets(st.sampled_from(GROUPS), max_size=2), min_size=4, max_size=4)
#: (where: 0 and 1 are the two classes, 2 the owner's triage list; marking)
documents = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(MARKINGS)), min_size=1, max_size=4
)


def _plan(session: Any, run: int, drawn: list[set[str]]) -> list[str]:
    """F (rule 0) > F-A (rule 1) > F-A-T (rule 2), and F > F-B (rule 3) > F-B-T: the two
    classes records are filed in."""
    f = f"V{run}"
    rows = [
        (f, "", "function", drawn[0]),
        (f"{f}-A", f, "activity", drawn[1]),
        (f"{f}-A-T", f"{f}-A", "transaction", drawn[2]),
        (f"{f}-B", f, "activity", drawn[3]),
        (f"{f}-B-T", f"{f}-B", "transaction", set()),
    ]
    import_rows(
        session,
        [
            NodeRow(
                f"row {i}", code, parent, kind, code, access=tuple(sorted(rule)), retention=keep
            )
            for i, (code, parent, kind, rule) in enumerate(rows)
            for keep in ["DESTROY-7Y" if kind == "activity" else ""]
        ],
    )
    return [f"{f}-A-T", f"{f}-B-T"]


def _records(
    session: Any, blobs: Any, run: int, classes: list[str], owners: list[Principal], drawn: list
) -> list[tuple[int, str]]:
    made = []
    for n, (where, marking) in enumerate(drawn):
        token = f"Q{run:03d}Z{n:02d}K"
        owner = owners[n % len(owners)]
        title = f"vis{run:03d} {token} record"
        new = NewDocument(
            filename=f"{token}.txt",
            into_code=classes[where] if where < 2 else "",
            title=title,
            marking=marking,
            creator=owner.username,
        )
        if where < 2:
            doc = add_document(session, blobs, io.BytesIO(f"{title}\n".encode()), new)
        else:
            doc = create_document(session, "0" * 64, 1, "text/plain", new, triage=True)
            doc.filed_by_id = owner.user_id
        session.flush()
        made.append((doc.id, token))
    return made


def _queue_and_hold(session: Any, rt: Any, made: list[tuple[int, str]]) -> list[str]:
    """Every filed record in the queue, a hold on the first, a folder hold on its class;
    the pages of the items and holds."""
    pages = []
    filed = [session.get(Document, d) for d, _t in made]
    filed = [d for d in filed if d is not None and d.node is not None]
    for doc in filed:
        item = DisposalItem(
            document_id=doc.id,
            rule_code="DESTROY-7Y",
            action="destroy",
            class_code=doc.node.code,
            due_on=clock.now().date(),
            stage=1,
            stages=1,
            status="pending",
            queued_at=clock.now(),
            progress={},
        )
        session.add(item)
        session.flush()
        pages.append(f"/records-management/queue/{item.id}")
    if filed:
        for target in ({"document_id": filed[0].id}, {"folder_code": filed[0].node.code}):
            hold = place_hold(
                session, reason="Inquiry", authority="Counsel", actor=SYSTEM, search=rt, **target
            )
            pages.append(f"/records-management/holds/{hold.id}")
    return pages


def _pages(run: int, classes: list[str], made: list[tuple[int, str]], extra: list[str]) -> list:
    word = f"vis{run:03d}"
    return [
        f"/search?q={word}",
        f"/find-an-expert?q={word}",
        "/fileplan/",
        f"/fileplan/V{run}",
        *(f"/fileplan/{c}" for c in classes),
        *(f"/documents/{d}" for d, _t in made),
        "/records-management/audit",
        "/records-management/queue",
        "/records-management/holds",
        *extra,
    ]


# No shrinking: the world grows with every example, so a smaller example replayed later meets a
# different world; the failing example is reported as it was found.
@settings(
    max_examples=25,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=people, rules=rules, documents=documents)
def test_no_page_reveals_a_title_the_access_module_hides(
    app: Flask, client: FlaskClient, people: list, rules: list, documents: list
) -> None:
    rt = app.extensions["edrm"]
    run = next(_runs)
    with rt.uow() as s:
        classes = _plan(s, run, rules)
        persons = [
            add_person(s, f"u{run}x{n}", role.value, clearance, tuple(sorted(groups)))
            for n, (role, clearance, groups) in enumerate(people)
        ]
        made = _records(s, rt.blobs, run, classes, persons, documents)
        extra = _queue_and_hold(s, rt, made)
    _made.extend(made)
    apply_outbox(rt.sessions, rt.search)
    for person in persons:
        with rt.uow() as s:
            hidden = {
                token
                for doc_id, token in _made
                if not may_see_document(person, s.get(Document, doc_id))
            }
        assert sign_in(client, person.username).status_code == 302
        for path in _pages(run, classes, made, extra):
            response = client.get(path)
            assert response.status_code < 500, (path, response.status_code)
            page = response.get_data(as_text=True)
            leaked = sorted(t for t in hidden if t in page)
            assert not leaked, (person, path, leaked)
