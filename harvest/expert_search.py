"""Expert search ("who knows about …?"): the document-centred model.

1. The question's most informative words (a paragraph becomes a dozen) find candidate records
   through the search service AS THE ASKER, so the visibility filter applies in the engine;
   the hits are checked against the database too.
2. The people associated with those records are the candidates (its creators and
   contributors, named or found in its properties; its creator as filed; the person who
   filed it when no one else is named; everyone who added a version; the leaver of a filed
   harvest record).
3. Each candidate is scored on ALL the records they are associated with that the asker may
   see, not only the hits: their profile against the question's words and phrases
   (harvest/expert_ranking.py), normalised by the profile's length so volume alone does not
   win, plus a share of the scores of the people they made records with. That is the
   "inferred" strand; people who opted out get nothing from it.
4. Declared skills that match the question add to it ("endorsed" once a colleague vouched for
   the skill, "declared" otherwise), scaled to the best document score so that they stay
   visible evidence but never drown what the records say.

Each person comes back with the evidence that put them there, and only evidence the asker may
see; people who have left are marked with their successor and harvest record. The asker is
never among their own results: they asked because they want someone else.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm import metrics
from edrm.access import Principal
from edrm.documents.models import Document
from edrm.fileplan.models import FilePlanNode
from edrm.people.models import User
from edrm.runtime import Runtime
from harvest import expert_ranking as ranking
from harvest.directory.profiles import ensure_all_profiles
from harvest.directory.public_profile import public_leaver_status, visible_harvest_document
from harvest.directory.taxonomy import Taxonomy, taxonomy_for
from harvest.expert_evidence import (
    asker_visibility,
    associations,
    person_records,
    record_terms,
    visible_in_database,
)
from harvest.models import Endorsement, Leaver, Profile, Skill
from harvest.terms import stem, term_set, words
from search.base import Hit, SearchError, SearchQuery, Visibility

#: How many records (best first) the engine returns to find the candidates for one question.
DEPTH = 200
#: A question longer than this (in distinct words) is cut down to its most informative words.
MAX_TERMS = 6
#: Informative words of a question that find the candidate records (a paragraph's dozen).
CANDIDATE_TERMS = 16
#: People scored on all their records for one question at most (or the limit asked for, if
#: more): those the engine's hits favour most. Bounds the records read for a question.
SCORED_PEOPLE = 60
#: Words of a long question looked up in the index at most (the first ones).
MAX_CANDIDATES = 80
#: A skill at level 4 that covers the whole question counts as this share of the best
#: document-based score (before endorsements).
SKILL_WEIGHT = 0.5
ENDORSEMENT_BOOST = 0.25
MAX_ENDORSEMENTS_COUNTED = 4
#: Records shown as evidence per person (all of them count).
EVIDENCE_RECORDS = 5
#: The weight of a two-word phrase of the question against a single word (phrases are the
#: informative part of a paragraph: 1.4 bought +0.01 MAP over 1.0 on the expertise dev set).
PHRASE_WEIGHT = 1.4
#: The share of the mean score of the people someone made records with added to their own
#: (0.2 bought +0.013 MAP on the dev set; 0.1 +0.002, 0.3 none, 0.4 lost 0.012).
COLLEAGUE_SHARE = 0.2
KINDS = ("declared", "endorsed", "inferred")


@dataclass(frozen=True)
class Evidence:
    """One strand: a record (inferred) or a skill (declared / endorsed)."""

    kind: str
    score: float
    document_id: int | None = None
    title: str = ""
    class_code: str = ""
    via: str = ""  # creator | contributor | filer | harvest
    skill: str = ""
    skill_title: str = ""
    level: int = 0
    endorsements: int = 0

    def as_dict(self) -> dict[str, Any]:
        if self.kind == "inferred":
            return {
                "kind": self.kind,
                "score": round(self.score, 4),
                "document_id": self.document_id,
                "title": self.title,
                "class_code": self.class_code,
                "via": self.via,
            }
        return {
            "kind": self.kind,
            "score": round(self.score, 4),
            "skill": self.skill,
            "title": self.skill_title,
            "level": self.level,
            "endorsements": self.endorsements,
        }


@dataclass(frozen=True)
class Expert:
    username: str
    name: str
    unit: str
    location: str
    role_title: str
    score: float
    evidence: tuple[Evidence, ...]
    records: int  # relevant records (visible to the asker) associated with the person
    left: bool = False
    successor: str | None = None
    successor_name: str | None = None
    harvest_document_id: int | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        found = {e.kind for e in self.evidence}
        return tuple(k for k in KINDS if k in found)

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "name": self.name,
            "unit": self.unit,
            "location": self.location,
            "role": self.role_title,
            "score": round(self.score, 4),
            "kinds": list(self.kinds),
            "records": self.records,
            "evidence": [e.as_dict() for e in self.evidence],
            "left": self.left,
            "successor": self.successor,
            "successor_name": self.successor_name,
            "harvest_document_id": self.harvest_document_id,
        }


@dataclass(frozen=True)
class ExpertResult:
    query: str
    terms: tuple[str, ...]  # the words searched for
    people: tuple[Expert, ...]
    records: int  # relevant records read
    warning: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "terms": list(self.terms),
            "records": self.records,
            "warning": self.warning,
            "people": [p.as_dict() for p in self.people],
        }


# --- what the asker may see ---------------------------------------------------------------------


def _search(
    runtime: Runtime, visibility: Visibility, text: str, per_page: int
) -> tuple[tuple[Hit, ...], int, str | None]:
    """Records for `text` through the search backend with the asker's visibility filter (as
    edrm.search_service does), best first: hits, total and any warning."""
    result = runtime.search.search(
        SearchQuery(text=text, visibility=visibility, per_page=per_page, facets=(), highlight=False)
    )
    return result.hits, result.total, result.warning


# --- reducing a question to its informative words ----------------------------------------------


@dataclass
class _FreqCache:
    """Document frequencies per (engine, visibility, word), kept a few minutes."""

    ttl: float = 300.0
    size: int = 20_000
    lock: threading.Lock = field(default_factory=threading.Lock)
    data: dict[tuple[Any, ...], tuple[float, int]] = field(default_factory=dict)

    def get(self, key: tuple[Any, ...]) -> int | None:
        with self.lock:
            found = self.data.get(key)
        if found is None or time.monotonic() - found[0] > self.ttl:
            return None
        return found[1]

    def put(self, key: tuple[Any, ...], value: int) -> None:
        with self.lock:
            if len(self.data) >= self.size:
                self.data.clear()
            self.data[key] = (time.monotonic(), value)


_FREQS = _FreqCache()


def _count(runtime: Runtime, visibility: Visibility, text: str) -> int:
    key = (id(runtime.search), visibility, text)
    cached = _FREQS.get(key)
    if cached is not None:
        return cached
    total = _search(runtime, visibility, text, 1)[1]
    _FREQS.put(key, total)
    return total


def query_words(
    session: Session, runtime: Runtime, asker: Principal, text: str, most: int = MAX_TERMS
) -> list[str]:
    """The words to search for: the question's topic words, one per stem; for a long question
    the `most` informative ones (rare in what the asker may see, repeated in the question)."""
    found = words(text)
    by_stem: dict[str, str] = {}
    freq: Counter[str] = Counter()
    for word in found:
        s = stem(word)
        by_stem.setdefault(s, word)
        freq[s] += 1
    stems = list(by_stem)
    if len(stems) <= most:
        return [by_stem[s] for s in stems]
    visibility = asker_visibility(session, asker)
    total = max(_count(runtime, visibility, ""), 1)
    scored: list[tuple[float, int, str]] = []
    for position, s in enumerate(stems[:MAX_CANDIDATES]):
        df = _count(runtime, visibility, by_stem[s])
        if df == 0:
            continue  # nothing the asker may see uses it
        idf = math.log((total + 1) / df)
        scored.append((-(idf * (1 + math.log(freq[s]))), position, s))
    scored.sort()
    chosen = sorted(scored[:most], key=lambda t: t[1])
    return [by_stem[s] for _score, _pos, s in chosen]


# --- who is associated with which record -------------------------------------------------------


@dataclass(frozen=True)
class _Doc:
    id: int
    title: str
    class_code: str
    relevance: float


@lru_cache(maxsize=8192)
def _tag_terms(tag: str) -> frozenset[str]:
    return term_set([tag])


def _matching_skills(
    session: Session, taxonomy: Taxonomy, stems: frozenset[str]
) -> dict[str, frozenset[str]]:
    """Skill name -> the question's stems it shares, for taxonomy skills and free tags."""
    matched: dict[str, frozenset[str]] = {}
    for code, skill in taxonomy.skills.items():
        common = skill.terms & stems
        if common:
            matched[code] = common
    tags = session.scalars(select(Skill.name).where(Skill.is_tag.is_(True)).distinct()).all()
    for tag in tags:
        common = _tag_terms(tag) & stems
        if common:
            matched[tag] = common
    return matched


def _skill_strands(
    session: Session, taxonomy: Taxonomy, stems: frozenset[str], scale: float = 1.0
) -> dict[int, list[Evidence]]:
    """Matching skills of each profile, scored as a share of `scale` (the best score the
    records gave anyone), so a declaration never outweighs strong documentary evidence."""
    matched = _matching_skills(session, taxonomy, stems)
    if not matched:
        return {}
    skills = session.execute(
        select(Skill.id, Skill.profile_id, Skill.name, Skill.level).where(
            Skill.name.in_(list(matched))
        )
    ).all()
    counts: dict[int, int] = {}
    if skills:
        counts = {
            skill_id: n
            for skill_id, n in session.execute(
                select(Endorsement.skill_id, func.count())
                .where(Endorsement.skill_id.in_([s[0] for s in skills]))
                .group_by(Endorsement.skill_id)
            )
        }
    out: dict[int, list[Evidence]] = {}
    for skill_id, profile_id, name, level in skills:
        coverage = len(matched[name]) / max(len(stems), 1)
        endorsed = counts.get(skill_id, 0)
        score = scale * SKILL_WEIGHT * (0.5 + 0.5 * coverage) * (level / 4)
        score *= 1 + ENDORSEMENT_BOOST * min(endorsed, MAX_ENDORSEMENTS_COUNTED)
        out.setdefault(profile_id, []).append(
            Evidence(
                kind="endorsed" if endorsed else "declared",
                score=score,
                skill=name,
                skill_title=taxonomy.title(name),
                level=level,
                endorsements=endorsed,
            )
        )
    return out


# --- the search ---------------------------------------------------------------------------------


def _relevant_records(
    session: Session, runtime: Runtime, asker: Principal, chosen: Sequence[str], depth: int
) -> tuple[list[_Doc], str | None]:
    if not chosen:
        return [], None
    visibility = asker_visibility(session, asker)
    hits, _total, warning = _search(runtime, visibility, " OR ".join(chosen), depth)
    if not hits:
        return [], warning
    # The index may lag the database by a moment: keep only what the asker may see now.
    visible = set(
        session.scalars(
            select(Document.id).where(
                Document.id.in_([h.id for h in hits]), visible_in_database(visibility)
            )
        )
    )
    best = max(h.score for h in hits) or 1.0
    docs = [
        _Doc(h.id, h.title, h.class_code, h.score / best)
        for h in hits
        if h.id in visible and h.score > 0
    ]
    return docs, warning


def _idfs(
    terms_of: dict[int, tuple[str, ranking.Record]], terms: Iterable[str]
) -> dict[str, float]:
    """idf of each term among the records the candidates may be credited for (the asker may
    see all of them), phrases weighted up. Counted on the same terms as the profiles (the
    engine's stemmed counts cost 0.02 MAP on the dev set), and local to the question: what
    tells the candidates apart is what the ranking needs."""
    wanted = set(terms)
    df: Counter[str] = Counter()
    for _title, record in terms_of.values():
        df.update(wanted & record.terms.keys())
    total = len(terms_of)
    return {t: ranking.idf(total, n) * (PHRASE_WEIGHT if " " in t else 1.0) for t, n in df.items()}


@dataclass
class _Scored:
    """The inferred strand: each candidate's score, and what it was worked out from."""

    scores: dict[int, float]
    records: dict[int, dict[int, tuple[float, str]]] = field(default_factory=dict)
    terms_of: dict[int, tuple[str, ranking.Record]] = field(default_factory=dict)
    question: ranking.Question | None = None
    idfs: dict[str, float] = field(default_factory=dict)

    def evidence(self, pid: int) -> list[Evidence]:
        """The person's records that share a term with the question, each with its own score
        (worked out only for the people shown)."""
        if self.question is None:
            return []
        found = []
        for doc_id, (weight, via) in self.records.get(pid, {}).items():
            if doc_id not in self.terms_of:
                continue
            title, record = self.terms_of[doc_id]
            own = ranking.score(self.question, [(weight, record)], self.idfs)
            if own > 0:
                found.append(
                    Evidence(kind="inferred", score=own, document_id=doc_id, title=title, via=via)
                )
        return found


def _inferred(
    session: Session,
    visibility: Visibility,
    text: str,
    candidates: set[int],
) -> _Scored:
    """Each candidate scored on the whole of their visible records (module docstring, 3)."""
    records = person_records(session, visibility, candidates)
    all_docs = {d for linked in records.values() for d in linked}
    if not all_docs:
        return _Scored({})
    terms_of = record_terms(session, all_docs)
    asked = ranking.term_counts(text)
    idfs = _idfs(terms_of, asked)
    question = ranking.Question.of({t: n for t, n in asked.items() if t in idfs}, idfs)
    scores: dict[int, float] = {}
    for pid, linked in records.items():
        if not linked:
            continue
        strength = ranking.score(
            question,
            ((weight, terms_of[d][1]) for d, (weight, _via) in linked.items() if d in terms_of),
            idfs,
        )
        if strength <= 0:
            continue
        scores[pid] = strength
    shared: dict[int, set[int]] = {}
    for pid, linked in records.items():
        for doc_id in linked:
            shared.setdefault(doc_id, set()).add(pid)
    neighbours: dict[int, set[int]] = {}
    for group in shared.values():
        for pid in group:
            neighbours.setdefault(pid, set()).update(group - {pid})
    return _Scored(
        ranking.propagate(scores, neighbours, COLLEAGUE_SHARE), records, terms_of, question, idfs
    )


def _candidates(
    session: Session, runtime: Runtime, asker: Principal, text: str, depth: int, most: int
) -> tuple[set[int], int, str | None]:
    """The people associated with the records the engine finds for the question's most
    informative words, at most `most` of them (those the hits favour most): (profile ids,
    records read, warning)."""
    words_ = query_words(session, runtime, asker, text, most=CANDIDATE_TERMS)
    docs, warning = _relevant_records(session, runtime, asker, words_, depth)
    links = associations(session, [d.id for d in docs])
    first: dict[int, float] = {}
    for doc in docs:
        for pid, (weight, _via) in links.get(doc.id, {}).items():
            first[pid] = first.get(pid, 0.0) + doc.relevance * weight
    favoured = sorted(first, key=lambda pid: (-first[pid], pid))[:most]
    return set(favoured), len(docs), warning


@metrics.timed_search("experts")
def find_experts(
    session: Session,
    runtime: Runtime,
    asker: Principal,
    text: str,
    *,
    limit: int = 10,
    taxonomy: Taxonomy | None = None,
    depth: int = DEPTH,
) -> ExpertResult:
    """The people who know about `text`, best first, each with their evidence (see the module
    docstring). Raises SearchError when the search engine cannot answer."""
    taxonomy = taxonomy if taxonomy is not None else taxonomy_for(runtime.settings)
    limit = max(1, min(limit, 100))
    if not session.info.get("harvest.profiles_ensured"):
        ensure_all_profiles(session)  # everyone with an account can be found
        session.info["harvest.profiles_ensured"] = True
    chosen = query_words(session, runtime, asker, text)
    stems = frozenset(stem(w) for w in chosen)
    visibility = asker_visibility(session, asker)
    most = max(limit, SCORED_PEOPLE)
    candidates, read, warning = _candidates(session, runtime, asker, text, depth, most)
    opted_out = set(session.scalars(select(Profile.id).where(Profile.opted_out.is_(True))))
    inferred = _inferred(session, visibility, text, candidates - opted_out)
    best = max(inferred.scores.values(), default=0.0) or 1.0
    skilled = _skill_strands(session, taxonomy, stems, best)
    scores: dict[int, float] = {}
    myself = _profile_of(session, asker)
    for pid in (set(inferred.scores) | set(skilled)) - {myself}:
        scores[pid] = inferred.scores.get(pid, 0.0) + sum(e.score for e in skilled.get(pid, []))
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    experts = _describe(
        session, asker, ranked, {pid: inferred.evidence(pid) for pid, _s in ranked}, skilled
    )
    return ExpertResult(
        query=text,
        terms=tuple(chosen),
        people=tuple(experts),
        records=read,
        warning=warning,
    )


def _profile_of(session: Session, asker: Principal) -> int | None:
    """The asker's own directory entry, if they have one (left out of their results)."""
    if asker.user_id is None:
        return None
    return session.scalar(select(Profile.id).where(Profile.user_id == asker.user_id))


def _describe(
    session: Session,
    asker: Principal,
    ranked: list[tuple[int, float]],
    inferred: dict[int, list[Evidence]],
    skilled: dict[int, list[Evidence]],
) -> list[Expert]:
    if not ranked:
        return []
    rows = {
        p.id: (p, username)
        for p, username in session.execute(
            select(Profile, User.username)
            .join(User, User.id == Profile.user_id)
            .where(Profile.id.in_([pid for pid, _s in ranked]))
        )
    }
    leaving = set(
        session.scalars(
            select(Leaver.profile_id).where(Leaver.profile_id.in_([pid for pid, _s in ranked]))
        )
    )
    shown = {
        pid: sorted(inferred.get(pid, []), key=lambda e: (-e.score, e.document_id or 0))
        for pid, _s in ranked
    }
    codes = _class_codes(
        session, {e.document_id for r in shown.values() for e in r[:EVIDENCE_RECORDS]}
    )
    out: list[Expert] = []
    for pid, score in ranked:
        profile, username = rows[pid]
        records = shown[pid]
        top = [replace(e, class_code=codes.get(e.document_id or 0, "")) for e in records]
        skills = sorted(skilled.get(pid, []), key=lambda e: -e.score)
        status = public_leaver_status(session, pid) if pid in leaving else None
        out.append(
            Expert(
                username=username,
                name=profile.name,
                unit=profile.unit,
                location=profile.location,
                role_title=profile.role_title,
                score=score,
                evidence=(*skills, *top[:EVIDENCE_RECORDS]),
                records=len(records),
                left=bool(status),
                successor=status.get("successor") if status else None,
                successor_name=status.get("successor_name") if status else None,
                harvest_document_id=visible_harvest_document(session, asker, status),
            )
        )
    return out


def _class_codes(session: Session, doc_ids: set[int | None]) -> dict[int, str]:
    """document id -> the code of the class it is filed in (none for the triage list)."""
    ids = [d for d in doc_ids if d]
    if not ids:
        return {}
    placed = {
        doc_id: node_id
        for doc_id, node_id in session.execute(
            select(Document.id, Document.node_id).where(Document.id.in_(ids))
        )
    }
    nodes = {n for n in placed.values() if n is not None}
    code_of: dict[int, str] = {}
    if nodes:
        for node in session.scalars(select(FilePlanNode).where(FilePlanNode.id.in_(nodes))):
            code_of[node.id] = node.class_node().code
    return {d: code_of[n] for d, n in placed.items() if n is not None and n in code_of}


def find_experts_safely(
    session: Session, runtime: Runtime, asker: Principal, text: str, *, limit: int = 5
) -> ExpertResult | None:
    """For side panels: None instead of an error when the engine cannot answer."""
    try:
        return find_experts(session, runtime, asker, text, limit=limit)
    except (SearchError, ValueError):
        return None
