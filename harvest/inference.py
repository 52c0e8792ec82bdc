"""Inferred expertise: the topic terms and file-plan classes a person's records point to.

A person's records are the ones they created, filed or added a version to, and the harvest
records filed from their leaving interviews. Each record's words (title weighted, then the
description and the start of its text) are weighed against how common they are across all
records (tf-idf); its class counts once. Nothing is inferred for people who opted out.
People's names (from the directory), reference codes and short fragments are never topics
(see `harvest.terms.topic_words`).

What is inferred is shown on profiles and groups people into communities, for everyone to see,
so it is drawn only from the records every member of staff may see (OFFICIAL, in classes open
to all staff): expertise never reveals a record its viewer could not open. Expert search does
not use this table; it reads the records themselves as the asker.

Recomputed by the scheduled job `harvest.jobs:scheduled_recompute` and on demand
(`edrm people infer`, and when someone opts back in).
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter

from sqlalchemy import Row, delete, func, select
from sqlalchemy.orm import Session

from edrm import clock
from edrm.access import Principal, document_filter
from edrm.documents.models import Document, DocumentText
from edrm.fileplan.models import FilePlanNode
from edrm.markings import Marking
from edrm.people.models import ALL_STAFF, User
from edrm.people.roles import Role
from harvest.directory.profiles import ensure_all_profiles, get_profile
from harvest.expert_evidence import associations
from harvest.models import InferredExpertise, Profile
from harvest.terms import name_words, stem, topic_words

#: Everyone in the department: what is inferred is drawn only from what this person may see.
EVERYONE = Principal(
    username="directory",
    role=Role.CIVIL_SERVANT,
    clearance=Marking.OFFICIAL,
    groups=frozenset({ALL_STAFF}),
)
TEXT_CHARS = 4000
TITLE_WEIGHT = 3
TOP_TERMS = 15
TOP_CLASSES = 8
CHUNK = 1000
#: A word in more than this share of all records says nothing about anyone.
MAX_SHARE = 0.3


@dataclass(frozen=True)
class InferenceResult:
    people: int
    terms: int
    classes: int
    records: int

    @property
    def message(self) -> str:
        return (
            f"inferred expertise for {self.people} people from {self.records} records "
            f"({self.terms} topic terms, {self.classes} classes)"
        )


def _class_codes(session: Session) -> dict[int, str]:
    nodes = session.scalars(select(FilePlanNode)).all()
    return {n.id: n.class_node().code for n in nodes}


def _records(session: Session) -> Iterator[list[tuple[int, str, str, str, int | None]]]:
    """The records everyone may see, in chunks: (id, title, description, text, node id)."""
    last = 0
    visible = document_filter(session, EVERYONE)
    while True:
        # the stubs lose the row type on substr(); the id is never NULL
        rows: Sequence[Row[int, str | None, str | None, str | None, int | None]] = session.execute(
            select(
                Document.id,
                Document.title,
                Document.description,
                func.substr(DocumentText.text, 1, TEXT_CHARS),
                Document.node_id,
            )
            .outerjoin(DocumentText, DocumentText.document_id == Document.id)
            .where(visible, Document.status == "filed", Document.id > last)
            .order_by(Document.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        yield [(i, t or "", d or "", x or "", n) for i, t, d, x, n in rows]
        last = rows[-1][0]


@dataclass
class _Tally:
    """What the records say, read once: each term's document frequency and spellings, and for
    each person their weighted terms, classes and number of records."""

    df: Counter[str] = field(default_factory=Counter)
    spelt: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    # weighted counts (floats), so plain dicts: Counter is typed for whole-number counts
    person_terms: dict[int, dict[str, float]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(float))
    )
    person_classes: dict[int, dict[str, float]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(float))
    )
    person_records: Counter[int] = field(default_factory=Counter)
    total: int = 0
    #: The words of everyone's name in the directory: never a topic.
    names: frozenset[str] = frozenset()


def recompute(session: Session, *, only: str | None = None) -> InferenceResult:
    """Recompute inferred expertise for everyone (or the person `only`), in the caller's
    transaction."""
    ensure_all_profiles(session)
    target: int | None = None
    if only:
        target = get_profile(session, only)[0].id
    tally = _tally(session, target)
    now = clock.now()
    _wipe(session, target)
    n_terms = n_classes = 0
    for pid, bag in tally.person_terms.items():
        n_terms += _store_terms(session, pid, bag, tally, now)
        n_classes += _store_classes(session, pid, tally, now)
    session.flush()
    return InferenceResult(
        people=len(tally.person_terms), terms=n_terms, classes=n_classes, records=tally.total
    )


def _tally(session: Session, target: int | None) -> _Tally:
    """Read every record everyone may see and credit its words and class to its people (all,
    or only `target`), leaving out people who opted out."""
    opted_out = set(session.scalars(select(Profile.id).where(Profile.opted_out.is_(True))))
    classes_of = _class_codes(session)
    tally = _Tally(names=_directory_names(session))
    for chunk in _records(session):
        links = associations(session, [row[0] for row in chunk])
        for doc_id, title, description, text, node_id in chunk:
            tally.total += 1
            counts = _term_counts(tally, title, f"{description}\n{text}")
            size = sum(counts.values()) or 1
            people = {
                pid: weight
                for pid, (weight, _via) in links.get(doc_id, {}).items()
                if pid not in opted_out and (target is None or pid == target)
            }
            for pid, weight in people.items():
                bag = tally.person_terms[pid]
                for term, n in counts.items():
                    bag[term] += weight * n / size
                if node_id is not None and node_id in classes_of:
                    tally.person_classes[pid][classes_of[node_id]] += weight
                tally.person_records[pid] += 1
    return tally


def _directory_names(session: Session) -> frozenset[str]:
    """Every name and username in the directory and the accounts, as lower-case words."""
    names = [*session.scalars(select(Profile.name)), *session.scalars(select(User.full_name))]
    names += list(session.scalars(select(User.username)))
    return name_words(n for n in names if n)


def _term_counts(tally: _Tally, title: str, body: str) -> Counter[str]:
    """One record's stems (title words weigh more), noting their spellings and document
    frequency in the tally."""
    counts: Counter[str] = Counter()
    for weight, part in ((TITLE_WEIGHT, title), (1, body)):
        for word in topic_words(part, tally.names):
            term = stem(word)
            counts[term] += weight
            tally.spelt[term][word] += 1
    tally.df.update(counts.keys())
    return counts


def _wipe(session: Session, target: int | None) -> None:
    """Forget what was inferred before (for everyone, or for `target`)."""
    scope = [target] if target is not None else None
    wipe = delete(InferredExpertise)
    if scope is not None:
        wipe = wipe.where(InferredExpertise.profile_id.in_(scope))
    session.execute(wipe)


def _store_terms(
    session: Session, pid: int, bag: Mapping[str, float], tally: _Tally, now: datetime
) -> int:
    """A person's top topic terms by tf-idf (too common words left out), weighed against
    their best; returns how many were stored."""
    df, total, spelt = tally.df, tally.total, tally.spelt
    scored = []
    for term, tf in bag.items():
        share = df[term] / max(total, 1)
        if share > MAX_SHARE and total >= 10:
            continue
        scored.append((tf * math.log((total + 1) / df[term]), term))
    scored.sort(key=lambda t: (-t[0], t[1]))
    best = scored[0][0] if scored else 1.0
    stored = 0
    for weight, term in scored[:TOP_TERMS]:
        word = spelt[term].most_common(1)[0][0] if spelt[term] else term
        session.add(
            InferredExpertise(
                profile_id=pid,
                kind="term",
                key=word[:200],
                weight=round(weight / best, 4),
                computed_at=now,
            )
        )
        stored += 1
    return stored


def _store_classes(session: Session, pid: int, tally: _Tally, now: datetime) -> int:
    """A person's top classes by the share of their records filed there; returns how many
    were stored."""
    records = tally.person_records[pid] or 1
    stored = 0
    classes = tally.person_classes[pid]
    for code, weight in heapq.nlargest(TOP_CLASSES, classes.items(), key=itemgetter(1)):
        session.add(
            InferredExpertise(
                profile_id=pid,
                kind="class",
                key=code,
                weight=round(min(weight / records, 1.0), 4),
                computed_at=now,
            )
        )
        stored += 1
    return stored
