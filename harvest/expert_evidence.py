"""Whose records an asker may credit to whom, for expert finding: the asker's visibility in the
database, the people associated with a record (creators, contributors, filers, leavers'
harvest records) and the records of each candidate; and each record's terms, read once and
kept between questions. The ranking over them is `harvest.expert_search`'s."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from edrm.access import Principal, visibility_for
from edrm.documents.models import Document, DocumentPerson, DocumentText, DocumentVersion
from edrm.people.models import User
from harvest import expert_ranking as ranking
from harvest.models import HarvestPlan, Leaver, Profile
from search.base import Visibility

#: Association weights of a person with a record.
CREATOR, FILER_ALSO, CONTRIBUTOR, HARVEST = 1.0, 0.5, 0.5, 1.0


def asker_visibility(session: Session, asker: Principal) -> Visibility:
    """The asker as a search-engine filter (the access module's rule), worked out once per unit
    of work: a batch of questions in one session asks for it once."""
    cache: dict[Principal, Visibility] = session.info.setdefault("harvest.visibility", {})
    if asker not in cache:
        cache[asker] = visibility_for(session, asker)
    return cache[asker]


def visible_in_database(visibility: Visibility) -> ColumnElement[bool]:
    """The same rule as a SQL condition on Document, from the keys the indexer gives each
    document (its node; on a triage list, 'triage' and its filer as 'owner:<id>')."""
    if visibility.sees_nothing:
        return false()
    marked = Document.marking_value.in_(sorted(visibility.markings))
    if visibility.keys is None:
        return marked
    nodes = [int(k[5:]) for k in visibility.keys if k.startswith("node:") and k[5:].isdigit()]
    owners = [int(k[6:]) for k in visibility.keys if k.startswith("owner:") and k[6:].isdigit()]
    in_triage = Document.node_id.is_(None)
    placed = Document.node_id.in_(nodes) if nodes else false()
    if "triage" in visibility.keys:
        triage: ColumnElement[bool] = in_triage
    elif owners:
        triage = and_(in_triage, Document.filed_by_id.in_(owners))
    else:
        triage = false()
    return and_(marked, or_(placed, triage))


def associations(
    session: Session, doc_ids: Sequence[int]
) -> dict[int, dict[int, tuple[float, str]]]:
    """document id -> {profile id: (weight, via)} for the people associated with it."""
    if not doc_ids:
        return {}
    ids = list(doc_ids)
    docs = session.execute(
        select(Document.id, Document.creator, Document.filed_by_id).where(Document.id.in_(ids))
    ).all()
    versions = session.execute(
        select(DocumentVersion.document_id, DocumentVersion.created_by).where(
            DocumentVersion.document_id.in_(ids)
        )
    ).all()
    named_people = session.execute(
        select(DocumentPerson.document_id, DocumentPerson.role, Profile.id)
        .join(Profile, Profile.user_id == DocumentPerson.user_id)
        .where(DocumentPerson.document_id.in_(ids))
    ).all()
    harvests = session.execute(
        select(HarvestPlan.record_document_id, Leaver.profile_id)
        .join(Leaver, Leaver.id == HarvestPlan.leaver_id)
        .where(HarvestPlan.record_document_id.in_(ids))
    ).all()
    creators = {(c or "").strip().lower() for _i, c, _f in docs} - {""}
    usernames = creators | {(v or "").lower() for _d, v in versions}
    filer_ids = {f for _i, _c, f in docs if f is not None}
    profile_of_user: dict[int, int] = {}
    by_username: dict[str, int] = {}
    by_name: dict[str, list[int]] = {}
    if usernames or filer_ids:
        rows = session.execute(
            select(Profile.id, Profile.user_id, User.username, Profile.name)
            .join(User, User.id == Profile.user_id)
            .where(
                User.username.in_(usernames)
                | User.id.in_(filer_ids)
                | func.lower(Profile.name).in_(creators)
            )
        ).all()
        for pid, uid, username, name in rows:
            profile_of_user[uid] = pid
            by_username[username] = pid
            by_name.setdefault(name.strip().lower(), []).append(pid)
    out: dict[int, dict[int, tuple[float, str]]] = {i: {} for i in ids}

    def add(doc_id: int, pid: int, weight: float, via: str) -> None:
        current = out[doc_id].get(pid)
        if current is None or weight > current[0]:
            out[doc_id][pid] = (weight, via)

    with_people = {doc_id for doc_id, _role, _pid in named_people}
    filer_of = {doc_id: filer for doc_id, _c, filer in docs}
    for doc_id, role, pid in named_people:
        if role == "creator":
            add(doc_id, pid, CREATOR, "creator")
        else:
            add(doc_id, pid, CONTRIBUTOR, "contributor")
    for doc_id, creator, filer in docs:
        key = (creator or "").strip().lower()
        named = by_name.get(key) or ([by_username[key]] if key in by_username else [])
        for pid in named:
            add(doc_id, pid, CREATOR, "creator")
        if doc_id in with_people:
            continue  # its creators and contributors are named: filing it says nothing more
        if filer is not None and filer in profile_of_user:
            pid = profile_of_user[filer]
            add(doc_id, pid, FILER_ALSO if named and pid not in named else CREATOR, "filer")
    for doc_id, username in versions:
        contributor = by_username.get((username or "").lower())
        filer_pid = profile_of_user.get(filer_of.get(doc_id) or -1)
        if doc_id in with_people and contributor == filer_pid:
            continue  # filing a record others made (its first version) is not contributing
        if contributor is not None:
            add(doc_id, contributor, CONTRIBUTOR, "contributor")
    for record_id, leaver_pid in harvests:
        if record_id is not None and record_id in out:
            out[record_id][leaver_pid] = (HARVEST, "harvest")
    return out


# --- skills that answer the question -----------------------------------------------------------


def person_records(
    session: Session, visibility: Visibility, candidates: set[int]
) -> dict[int, dict[int, tuple[float, str]]]:
    """Every record the asker may see that each candidate (profile id) is associated with,
    however: profile id -> {document id: (weight, via)}. Kept for the unit of work, so a
    batch of questions reads each person's records once."""
    cache: dict[int, dict[int, tuple[float, str]]] = session.info.setdefault(
        "harvest.person_records", {}
    ).setdefault(visibility, {})
    missing = candidates - set(cache)
    if missing:
        cache.update(_read_person_records(session, visibility, missing))
    return {pid: cache.get(pid, {}) for pid in candidates}


def _read_person_records(
    session: Session, visibility: Visibility, candidates: set[int]
) -> dict[int, dict[int, tuple[float, str]]]:
    if not candidates:
        return {}
    people = session.execute(
        select(Profile.id, User.id, User.username, Profile.name)
        .join(User, User.id == Profile.user_id)
        .where(Profile.id.in_(list(candidates)))
    ).all()
    user_ids = [uid for _p, uid, _u, _n in people]
    usernames = [u for _p, _uid, u, _n in people]
    keys = {u.lower() for u in usernames} | {(n or "").strip().lower() for *_x, n in people} - {""}
    ids: set[int] = set(
        session.scalars(
            select(DocumentPerson.document_id).where(DocumentPerson.user_id.in_(user_ids))
        )
    )
    ids |= set(
        session.scalars(
            select(Document.id).where(
                Document.filed_by_id.in_(user_ids) | func.lower(Document.creator).in_(keys)
            )
        )
    )
    ids |= set(
        session.scalars(
            select(DocumentVersion.document_id).where(DocumentVersion.created_by.in_(usernames))
        )
    )
    ids |= {
        d
        for d in session.scalars(
            select(HarvestPlan.record_document_id)
            .join(Leaver, Leaver.id == HarvestPlan.leaver_id)
            .where(Leaver.profile_id.in_(list(candidates)))
        )
        if d is not None
    }
    out: dict[int, dict[int, tuple[float, str]]] = {pid: {} for pid in candidates}
    if not ids:
        return out
    visible: list[int] = []
    ordered = sorted(ids)
    for start in range(0, len(ordered), 5000):
        visible += session.scalars(
            select(Document.id).where(
                Document.id.in_(ordered[start : start + 5000]),
                Document.status != "destroyed",
                visible_in_database(visibility),
            )
        ).all()
    for doc_id, linked in associations(session, visible).items():
        for pid, link in linked.items():
            if pid in out:
                out[pid][doc_id] = link
    return out


def record_terms(session: Session, doc_ids: set[int]) -> dict[int, tuple[str, ranking.Record]]:
    """document id -> (title, its terms), from its title and the text extracted from it; kept
    for the unit of work (and, by version, between questions)."""
    known: dict[int, tuple[str, ranking.Record]] = session.info.setdefault(
        "harvest.record_terms", {}
    )
    wanted = doc_ids - set(known)
    if wanted:
        known.update(_read_record_terms(session, wanted))
    return {d: known[d] for d in doc_ids if d in known}


def _read_record_terms(
    session: Session, doc_ids: set[int]
) -> dict[int, tuple[str, ranking.Record]]:
    rows = session.execute(
        select(Document.id, Document.title, DocumentText.extracted_at)
        .outerjoin(DocumentText, DocumentText.document_id == Document.id)
        .where(Document.id.in_(list(doc_ids)))
    ).all()
    out: dict[int, tuple[str, ranking.Record]] = {}
    missing: list[tuple[int, str, str]] = []
    for doc_id, title, extracted in rows:
        key = (doc_id, f"{title}|{extracted}")
        cached = _TERMS.get(key)
        if cached is None:
            missing.append((doc_id, title, key[1]))
        else:
            out[doc_id] = (title, cached)
    if missing:
        texts = dict(
            session.execute(
                select(DocumentText.document_id, DocumentText.text).where(
                    DocumentText.document_id.in_([m[0] for m in missing])
                )
            ).all()
        )
        for doc_id, title, version in missing:
            text = texts.get(doc_id) or ""
            if title.lower() not in text[:2000].lower():
                text = f"{title}\n\n{text}"  # a title of its own says what it is about
            record = ranking.Record.of(text)
            _TERMS.put((doc_id, version), record)
            out[doc_id] = (title, record)
    return out


@dataclass
class _TermCache:
    """Terms of records by (id, title and extraction time), kept between questions."""

    size: int = 50_000
    lock: threading.Lock = field(default_factory=threading.Lock)
    data: dict[tuple[int, str], ranking.Record] = field(default_factory=dict)

    def get(self, key: tuple[int, str]) -> ranking.Record | None:
        with self.lock:
            return self.data.get(key)

    def put(self, key: tuple[int, str], value: ranking.Record) -> None:
        with self.lock:
            if len(self.data) >= self.size:
                self.data.clear()
            self.data[key] = value


_TERMS = _TermCache()
