"""A property test: for random people, groups, markings and file-plan rules, the search
engine's visibility filter admits exactly the documents the access module lets them see, and
so does its SQL filter (`document_filter`). Some documents are also linked into a class of
another branch of the plan, with rules of its own (multi-filing: every location must admit).

So that the comparison is not mostly of refusals with refusals, every example also has a person
cleared for TOP SECRET in every group, and its first document is filed (not on a triage list):
that person must see it, through both; and hypothesis is steered (`target`) towards examples
where many (person, document) pairs are admitted."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from edrm.access import SYSTEM, Principal, may_see_document, visibility_for, visible_document_ids
from edrm.documents.links import link_document
from edrm.documents.models import Document
from edrm.fileplan.io import NodeRow
from edrm.fileplan.service import import_rows
from edrm.markings import Marking
from edrm.people.roles import Role
from edrm.search_indexer import indexed_document
from tests.conftest import file_text

GROUPS = ["hr", "legal", "security", "finance"]
MARKINGS = [m.value for m in Marking]
_counter = itertools.count()

people = st.lists(
    st.tuples(
        st.sampled_from(list(Role)),
        st.sampled_from(MARKINGS),
        st.sets(st.sampled_from(GROUPS), max_size=2),
    ),
    min_size=1,
    max_size=4,
)
rules = st.lists(st.sets(st.sampled_from(GROUPS), max_size=2), min_size=5, max_size=5)
documents = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(MARKINGS), st.booleans(), st.booleans()),
    min_size=1,
    max_size=6,
).map(lambda docs: [(docs[0][0], docs[0][1], False, docs[0][3]), *docs[1:]])  # first: filed


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=people, rules=rules, documents=documents)
def test_the_engine_filter_admits_exactly_what_the_access_module_does(
    session: Session, runtime: object, people: list, rules: list, documents: list
) -> None:
    from edrm.documents.service import NewDocument, create_document

    run = next(_counter)
    nested = session.begin_nested()
    try:
        codes = [f"P{run}", f"P{run}-A", f"P{run}-A-T", f"Q{run}", f"Q{run}-A"]
        parents = ["", codes[0], codes[1], "", codes[3]]
        kinds = ["function", "activity", "transaction", "function", "activity"]
        import_rows(
            session,
            [
                NodeRow(
                    f"row {i}",
                    code,
                    up,
                    kind,
                    code,
                    access=tuple(r),
                    retention="DESTROY-7Y" if kind == "activity" else "",
                )
                for i, (code, up, kind, r) in enumerate(
                    zip(codes, parents, kinds, rules, strict=True)
                )
            ],
        )
        from tests.conftest import add_person

        principals = []
        for n, (role, clearance, groups) in enumerate(people):
            principals.append(
                add_person(session, f"p{run}x{n}", role.value, clearance, tuple(sorted(groups)))
            )
        cleared = add_person(session, f"p{run}top", "civil_servant", "TOP SECRET", tuple(GROUPS))
        made: list[Document] = []
        for n, (_level, marking, in_triage, linked) in enumerate(documents):
            owner = principals[n % len(principals)]
            if in_triage:
                doc = create_document(
                    session,
                    "0" * 64,
                    1,
                    "text/plain",
                    NewDocument(filename=f"d{n}.txt", into_code="", marking=marking),
                    triage=True,
                )
                doc.filed_by_id = owner.user_id
            else:
                doc_id = file_text(session, runtime, codes[2], f"doc {n}", marking=marking)  # type: ignore[arg-type]
                doc = session.get_one(Document, doc_id)
                if linked:
                    link_document(session, doc_id, codes[4], actor=SYSTEM)
            session.flush()
            made.append(doc)
        admitted = 0
        for person in [*principals, cleared]:
            visibility = visibility_for(session, person)
            by_sql = visible_document_ids(session, person, [d.id for d in made])
            for doc in made:
                allowed = may_see_document(person, doc)
                assert visibility.allows(indexed_document(doc, "")) == allowed, (
                    person,
                    doc.marking_value,
                    doc.status,
                    [link.node.code for link in doc.links],
                )
                assert (doc.id in by_sql) == allowed, (person, doc.id)
                admitted += allowed
        assert may_see_document(cleared, made[0]), "cleared for everything, it sees the first"
        assert visibility_for(session, cleared).allows(indexed_document(made[0], ""))
        target(float(admitted), label="(person, document) pairs admitted")
        for doc in made:
            assert visibility_for(session, _system()).allows(indexed_document(doc, ""))
    finally:
        nested.rollback()
        session.expunge_all()  # ids are reused after the rollback


def _system() -> Principal:
    return SYSTEM
