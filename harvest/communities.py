"""Communities of interest ("Hypothesise"): people grouped by the topics and file-plan classes
inferred from their records, by the skills they declared, and by unit and location.

Topic communities are clusters: each inferred topic term gathers the people it was inferred
for, and terms whose people are largely the same merge into one community named by its
leading terms. A community's page lists its people and its most relevant records, found
through the search service as the viewer (so only what they may see).

Opted-out people have nothing inferred, so they join communities only through the skills they
declared (and their unit and location, which are directory facts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.access import Principal, visible_node_ids
from edrm.errors import NotFoundError
from edrm.fileplan.models import FilePlanNode
from edrm.people.models import User
from edrm.runtime import Runtime
from edrm.search_service import search_documents
from harvest.directory.taxonomy import Taxonomy
from harvest.models import InferredExpertise, Profile, Skill
from search.base import Hit, SearchError

KINDS = ("topic", "class", "skill", "unit", "location")
KIND_LABELS = {
    "topic": "Topic",
    "class": "File-plan class",
    "skill": "Skill",
    "unit": "Unit",
    "location": "Location",
}
MIN_MEMBERS = 2
#: Two topic terms whose people overlap at least this much (Jaccard) make one community.
MERGE_AT = 0.5
MAX_TOPICS = 80
TITLE_TERMS = 3
#: A term must weigh at least this in a person's profile to make them a member.
MIN_TERM_WEIGHT = 0.2
MIN_CLASS_WEIGHT = 0.1


@dataclass
class Community:
    kind: str
    key: str
    title: str
    members: dict[int, float] = field(default_factory=dict)  # profile id -> weight
    terms: list[str] = field(default_factory=list)  # topic words that describe it

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class Member:
    username: str
    name: str
    unit: str
    location: str
    weight: float


@dataclass(frozen=True)
class CommunityPage:
    community: Community
    people: tuple[Member, ...]
    records: tuple[Hit, ...]
    shared_terms: tuple[str, ...]
    records_error: str | None = None


def _active_profiles(session: Session) -> dict[int, Profile]:
    return {
        p.id: p
        for p in session.scalars(
            select(Profile).join(User, User.id == Profile.user_id).where(User.active.is_(True))
        )
    }


def _inferred(
    session: Session, kind: str, active: set[int], floor: float
) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = defaultdict(dict)
    for pid, key, weight in session.execute(
        select(InferredExpertise.profile_id, InferredExpertise.key, InferredExpertise.weight)
        .join(Profile, Profile.id == InferredExpertise.profile_id)
        .where(InferredExpertise.kind == kind, Profile.opted_out.is_(False))
    ):
        if pid in active and weight >= floor:
            out[key][pid] = float(weight)
    return out


def topic_communities(session: Session, active: set[int] | None = None) -> list[Community]:
    """Clusters of people by shared inferred topics, largest first."""
    if active is None:
        active = set(_active_profiles(session))
    by_term = _inferred(session, "term", active, MIN_TERM_WEIGHT)
    ordered = sorted(
        ((t, m) for t, m in by_term.items() if len(m) >= MIN_MEMBERS),
        key=lambda tm: (-len(tm[1]), -sum(tm[1].values()), tm[0]),
    )
    clusters: list[Community] = []
    for term, members in ordered:
        people = set(members)
        home = None
        for cluster in clusters:
            ours = set(cluster.members)
            if len(people & ours) / len(people | ours) >= MERGE_AT:
                home = cluster
                break
        if home is None:
            if len(clusters) >= MAX_TOPICS:
                continue
            clusters.append(Community("topic", term, term, dict(members), [term]))
            continue
        home.terms.append(term)
        for pid, weight in members.items():
            home.members[pid] = max(home.members.get(pid, 0.0), weight)
    for cluster in clusters:
        cluster.title = ", ".join(cluster.terms[:TITLE_TERMS])
    clusters.sort(key=lambda c: (-c.size, c.key))
    return clusters


def class_communities(
    session: Session, viewer: Principal, active: set[int] | None = None
) -> list[Community]:
    """People by the file-plan classes their records are in (classes the viewer may see)."""
    if active is None:
        active = set(_active_profiles(session))
    by_class = _inferred(session, "class", active, MIN_CLASS_WEIGHT)
    visible = visible_node_ids(session, viewer)
    nodes = {
        n.code: n
        for n in session.scalars(select(FilePlanNode).where(FilePlanNode.code.in_(list(by_class))))
    }
    out = [
        Community("class", code, f"{code} {nodes[code].title}", members)
        for code, members in by_class.items()
        if code in nodes and nodes[code].id in visible and len(members) >= MIN_MEMBERS
    ]
    out.sort(key=lambda c: (-c.size, c.key))
    return out


def skill_communities(
    session: Session, taxonomy: Taxonomy, active: set[int] | None = None
) -> list[Community]:
    """People by declared skill (opted-out people included: they declared these)."""
    if active is None:
        active = set(_active_profiles(session))
    by_skill: dict[str, dict[int, float]] = defaultdict(dict)
    for pid, name, level in session.execute(select(Skill.profile_id, Skill.name, Skill.level)):
        if pid in active:
            by_skill[name][pid] = level / 4
    out = []
    for name, members in by_skill.items():
        if len(members) < MIN_MEMBERS:
            continue
        found = taxonomy.skills.get(name)
        terms = list(found.keywords[:TITLE_TERMS]) if found else [name]
        out.append(Community("skill", name, taxonomy.title(name), members, terms))
    out.sort(key=lambda c: (-c.size, c.title.lower()))
    return out


def place_communities(session: Session, kind: str) -> list[Community]:
    """Everyone by unit or by location."""
    column = Profile.unit if kind == "unit" else Profile.location
    groups: dict[str, dict[int, float]] = defaultdict(dict)
    for pid, value in session.execute(
        select(Profile.id, column)
        .join(User, User.id == Profile.user_id)
        .where(User.active.is_(True), column != "")
    ):
        groups[value][pid] = 1.0
    out = [Community(kind, value, value, members) for value, members in groups.items()]
    out.sort(key=lambda c: c.title.lower())
    return out


@dataclass(frozen=True)
class Overview:
    topics: list[Community]
    classes: list[Community]
    skills: list[Community]
    units: list[Community]
    locations: list[Community]


def overview(session: Session, viewer: Principal, taxonomy: Taxonomy) -> Overview:
    """Every community, for browsing by topic, class, skill, unit and location."""
    active = set(_active_profiles(session))
    return Overview(
        topics=topic_communities(session, active),
        classes=class_communities(session, viewer, active),
        skills=skill_communities(session, taxonomy, active),
        units=place_communities(session, "unit"),
        locations=place_communities(session, "location"),
    )


def find_community(
    session: Session, viewer: Principal, taxonomy: Taxonomy, kind: str, key: str
) -> Community:
    if kind == "topic":
        found = next((c for c in topic_communities(session) if key in c.terms), None)
    elif kind == "class":
        found = next((c for c in class_communities(session, viewer) if c.key == key), None)
    elif kind == "skill":
        found = next((c for c in skill_communities(session, taxonomy) if c.key == key), None)
    elif kind in ("unit", "location"):
        found = next((c for c in place_communities(session, kind) if c.key == key), None)
    else:
        found = None
    if found is None:
        raise NotFoundError(f"no {kind} community {key!r}")
    return found


def _shared_terms(session: Session, members: Sequence[int], limit: int = 6) -> list[str]:
    """The topic terms most shared among the members (weighted)."""
    if not members:
        return []
    totals: dict[str, float] = defaultdict(float)
    for key, weight in session.execute(
        select(InferredExpertise.key, InferredExpertise.weight).where(
            InferredExpertise.kind == "term", InferredExpertise.profile_id.in_(list(members))
        )
    ):
        totals[key] += float(weight)
    return [k for k, _w in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def community_page(
    session: Session,
    runtime: Runtime,
    viewer: Principal,
    taxonomy: Taxonomy,
    kind: str,
    key: str,
    *,
    people_limit: int = 100,
    records_limit: int = 10,
) -> CommunityPage:
    """A community's people (strongest first) and its most relevant records as the viewer."""
    community = find_community(session, viewer, taxonomy, kind, key)
    ranked = sorted(community.members.items(), key=lambda kv: (-kv[1], kv[0]))[:people_limit]
    rows = {
        p.id: (p, username)
        for p, username in session.execute(
            select(Profile, User.username)
            .join(User, User.id == Profile.user_id)
            .where(Profile.id.in_([pid for pid, _w in ranked]))
        )
    }
    people = tuple(
        Member(rows[pid][1], rows[pid][0].name, rows[pid][0].unit, rows[pid][0].location, w)
        for pid, w in ranked
        if pid in rows
    )
    shared = community.terms or _shared_terms(session, [pid for pid, _w in ranked])
    records: tuple[Hit, ...] = ()
    error = None
    try:
        if kind == "class":
            result = search_documents(
                session,
                runtime,
                viewer,
                "",
                filters={"class": [key]},
                per_page=records_limit,
                facets=(),
                highlight=False,
            )
            records = result.hits
        elif shared:
            result = search_documents(
                session,
                runtime,
                viewer,
                " OR ".join(_plain(t) for t in shared[: TITLE_TERMS + 2]),
                per_page=records_limit,
                facets=(),
                highlight=False,
            )
            records = result.hits
    except (SearchError, ValueError) as exc:
        error = str(exc)
    return CommunityPage(community, people, records, tuple(shared), error)


def _plain(term: str) -> str:
    """A term as a search word (quoted when it holds more than one word)."""
    cleaned = term.replace('"', " ").strip()
    return f'"{cleaned}"' if " " in cleaned else cleaned
