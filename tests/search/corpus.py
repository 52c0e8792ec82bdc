"""A small, hand-made corpus for the search conformance suite, and Python models of what a
person should see (computed from the documents, independently of any engine)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from search.base import FacetCount, IndexedDocument, Visibility

OFFICIAL, SENSITIVE, SECRET, TOP_SECRET = (
    "OFFICIAL",
    "OFFICIAL-SENSITIVE",
    "SECRET",
    "TOP SECRET",
)

#: An ordinary civil servant: OFFICIAL and OFFICIAL-SENSITIVE, finance and HR nodes.
CIVIL_SERVANT = Visibility(frozenset({OFFICIAL, SENSITIVE}), frozenset({"node:1", "node:2"}))
EVERYTHING = Visibility.everything()


def make_doc(
    doc_id: int,
    title: str,
    body: str,
    *,
    class_code: str = "FIN-AP",
    doc_type: str = "report",
    creator: str = "Jane Smith",
    marking: str = OFFICIAL,
    created: str = "2021-03-01",
    references: Iterable[str] = (),
    keys: Iterable[str] = ("node:1",),
    status: str = "filed",
    folder_code: str = "F-1",
) -> IndexedDocument:
    return IndexedDocument(
        id=doc_id,
        title=title,
        body=body,
        class_code=class_code,
        folder_code=folder_code,
        doc_type=doc_type,
        creator=creator,
        marking=marking,
        created=datetime.fromisoformat(created).replace(tzinfo=UTC),
        references=tuple(references),
        access_keys=tuple(keys),
        status=status,
    )


CORPUS: tuple[IndexedDocument, ...] = (
    make_doc(
        1,
        "Flood defence procurement plan",
        "The council will procure flood barriers and pumps to strengthen the river defences.",
        class_code="FIN-AP",
        doc_type="report",
        creator="Jane Smith",
        created="2021-03-01",
        references=["FIN/2021/0001"],
    ),
    make_doc(
        2,
        "Supplier invoice for pumps",
        "Invoice from Acme Pumps Ltd for the flood pumps delivered in May, under the procurement "
        "framework.",
        class_code="FIN-AP-INV",
        doc_type="invoice",
        creator="Bob Jones",
        created="2022-05-10",
        references=["INV-7781"],
    ),
    make_doc(
        3,
        "Risk register 2023",
        "The corporate risk register lists flood risk, cyber risk and supplier risk.",
        class_code="GOV-RISK",
        doc_type="register",
        creator="Jane Smith",
        marking=SENSITIVE,
        created="2023-01-15",
    ),
    make_doc(
        4,
        "Staff appraisal guidance",
        "Guidance for line managers on annual appraisal conversations with their staff.",
        class_code="HR-PERF",
        doc_type="guidance",
        creator="Priya Patel",
        created="2020-07-01",
        keys=["node:2"],
    ),
    make_doc(
        5,
        "Budget forecast",
        "Financial forecast for the next three years, including the flood defence budget.",
        class_code="FIN-BUD",
        doc_type="spreadsheet",
        creator="Bob Jones",
        created="2024-02-01",
    ),
    make_doc(
        6,
        "Minutes of the procurement board",
        "The board met in June; the risk register was reviewed and two tenders approved.",
        class_code="FIN-AP",
        doc_type="minutes",
        creator="Jane Smith",
        created="2024-06-30",
    ),
    make_doc(
        7,
        "Covert surveillance authorisation",
        "Authorisation for covert surveillance near the flood barrier. Codeword zanzibar.",
        class_code="LEGAL-RIPA",
        doc_type="authorisation",
        creator="Agent Orange",
        marking=SECRET,
        created="2022-09-09",
        keys=["node:1"],
    ),
    make_doc(
        8,
        "Disciplinary case file",
        "Hearing notes about flood damage claims and the pumps contract. Codeword zanzibar.",
        class_code="HR-DISC",
        doc_type="case",
        creator="Priya Patel",
        created="2023-11-11",
        keys=["owner:9"],
    ),
    make_doc(
        9,
        "Pump maintenance contract",
        "Contract for the maintenance of flood pumps with Acme Pumps Ltd. <b>Fees</b> & terms "
        "attached.",
        class_code="FIN-AP",
        doc_type="contract",
        creator="Bob Jones",
        created="2019-12-31",
        references=["CON-2019-44"],
    ),
    make_doc(
        10,
        "Draft flood strategy",
        "A draft of the flood strategy for consultation with the public.",
        class_code="GOV-STRAT",
        doc_type="draft",
        creator="Jane Smith",
        created="2024-01-01",
        status="draft",
    ),
)

BY_ID: Mapping[int, IndexedDocument] = {d.id: d for d in CORPUS}
FACET_OF = {
    "class": lambda d: d.class_code,
    "type": lambda d: d.doc_type,
    "year": lambda d: str(d.created.year),
    "creator": lambda d: d.creator,
    "marking": lambda d: d.marking,
}


def visible_ids(visibility: Visibility, docs: Iterable[IndexedDocument] = CORPUS) -> set[int]:
    return {d.id for d in docs if visibility.allows(d)}


def facet_counts(docs: Iterable[IndexedDocument], name: str) -> dict[str, int]:
    return dict(Counter(FACET_OF[name](d) for d in docs))


def as_dict(counts: Iterable[FacetCount]) -> dict[str, int]:
    return {c.value: c.count for c in counts}
