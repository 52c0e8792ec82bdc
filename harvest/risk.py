"""Knowledge at risk when someone leaves.

For a leaver and each file-plan class they worked in: the share of the class's recent records of
which the leaver is the only creator still employed, the months until they leave, and the
class's criticality (the line manager's rating, else 5 for a vital-records class, else the
configured default). Risk = leaving-soon band (1-5) x criticality band (1-5); at or above the
threshold, where the leaver is the sole creator of anything, a harvest plan is required. Classes
rank by risk, then by sole-creator share.

The functions at the top are pure; the SQL below them counts the records. A record's creators
are the person who filed it and everyone who added a version of it; a creator is still employed
while their account is active and their leaving date (if any) has not passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, case, exists, func, not_, or_, select
from sqlalchemy.orm import Session, aliased

from edrm import clock
from edrm.documents.models import Document, DocumentVersion
from edrm.fileplan.models import FilePlanNode
from edrm.people.models import User
from harvest.loader import HarvestConfig
from harvest.models import ClassCriticality, Leaver, Profile

# --- pure functions ---------------------------------------------------------------------------


def months_until(today: date, leaving: date) -> int:
    """Whole calendar months from `today` until `leaving` (0 once the date is reached)."""
    if leaving <= today:
        return 0
    months = (leaving.year - today.year) * 12 + (leaving.month - today.month)
    if leaving.day < today.day:
        months -= 1
    return max(months, 0)


def leaving_soon_band(months: int, limits: Sequence[int] = (1, 3, 6, 12)) -> int:
    """5 when leaving within `limits[0]` whole months (or already gone), down to 1 beyond the
    last limit."""
    for band, limit in zip((5, 4, 3, 2), limits, strict=False):
        if months <= limit:
            return band
    return 1


def criticality_band(criticality: int) -> int:
    """The 1-5 band of a criticality rating (ratings outside the scale are clamped)."""
    return max(1, min(5, int(criticality)))


def risk_score(soon_band: int, crit_band: int) -> int:
    return soon_band * crit_band


def sole_share(sole: int, records: int) -> float:
    return round(sole / records, 4) if records else 0.0


@dataclass(frozen=True)
class ClassCount:
    """What the database says about one class the leaver worked in."""

    class_code: str
    class_title: str
    records: int  # recent records in the class (its folders included)
    created: int  # of which the leaver is a creator
    sole: int  # of which the leaver is the only creator still employed


@dataclass(frozen=True)
class ClassRisk:
    class_code: str
    class_title: str
    records: int
    created: int
    sole: int
    share: float
    months_until_leaving: int
    leaving_soon_band: int
    criticality: int
    criticality_source: str  # line_manager | vital | default
    risk: int
    plan_required: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "class_code": self.class_code,
            "title": self.class_title,
            "records": self.records,
            "created_by_leaver": self.created,
            "sole_created": self.sole,
            "share": self.share,
            "months_until_leaving": self.months_until_leaving,
            "leaving_soon_band": self.leaving_soon_band,
            "criticality": self.criticality,
            "criticality_source": self.criticality_source,
            "risk": self.risk,
            "plan_required": self.plan_required,
        }


def rank_key(row: ClassRisk) -> tuple[int, float, str]:
    """Highest risk first, then the higher sole-creator share, then the code (stable)."""
    return (-row.risk, -row.share, row.class_code)


def assess_classes(
    counts: Iterable[ClassCount],
    *,
    months: int,
    ratings: Mapping[str, int],
    config: HarvestConfig,
) -> list[ClassRisk]:
    """Risk per class, ranked. `ratings` are the line manager's criticality per class code."""
    soon = leaving_soon_band(months, config.leaving_soon_months)
    rows = []
    for count in counts:
        if count.class_code in ratings:
            criticality, source = ratings[count.class_code], "line_manager"
        elif config.is_vital(count.class_code):
            criticality, source = config.vital_criticality, "vital"
        else:
            criticality, source = config.default_criticality, "default"
        risk = risk_score(soon, criticality_band(criticality))
        rows.append(
            ClassRisk(
                class_code=count.class_code,
                class_title=count.class_title,
                records=count.records,
                created=count.created,
                sole=count.sole,
                share=sole_share(count.sole, count.records),
                months_until_leaving=months,
                leaving_soon_band=soon,
                criticality=criticality,
                criticality_source=source,
                risk=risk,
                plan_required=risk >= config.threshold and count.sole > 0,
            )
        )
    return sorted(rows, key=rank_key)


def top_at_risk(rows: Sequence[ClassRisk], n: int = 3) -> list[ClassRisk]:
    """The first `n` ranked classes where the leaver is the sole creator of something."""
    return [r for r in rows if r.sole > 0][:n]


@dataclass(frozen=True)
class LeaverRisk:
    """The whole picture for one leaver (HR-only)."""

    username: str
    name: str
    leaving_date: date
    left: bool
    months_until_leaving: int
    threshold: int
    window_years: int
    classes: tuple[ClassRisk, ...]

    @property
    def plan_required(self) -> bool:
        return any(c.plan_required for c in self.classes)

    @property
    def top_risk(self) -> int:
        return self.classes[0].risk if self.classes else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "name": self.name,
            "leaving_date": self.leaving_date.isoformat(),
            "left": self.left,
            "months_until_leaving": self.months_until_leaving,
            "threshold": self.threshold,
            "window_years": self.window_years,
            "plan_required": self.plan_required,
            "top_risk": self.top_risk,
            "classes": [c.as_dict() for c in self.classes],
        }


# --- SQL ----------------------------------------------------------------------------------------


def window_start(today: date, years: int) -> datetime:
    """The first moment of the recent-records window ending `today`."""
    try:
        start = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - years, day=28)
    return datetime(start.year, start.month, start.day, tzinfo=UTC)


def employed_user_ids(today: date) -> Select[int]:
    """Ids of people still employed on `today`: active, and not past a leaving date."""
    person = aliased(User, name="employed_user")
    profile = aliased(Profile, name="employed_profile")
    gone = aliased(Leaver, name="employed_leaver")
    departed = (
        select(gone.id)
        .join(profile, profile.id == gone.profile_id)
        .where(profile.user_id == person.id, gone.leaving_date < today)
    )
    return select(person.id).where(person.active.is_(True), ~departed.exists())


def _created_by(user_id: int, username: str) -> ColumnElement[bool]:
    """The document (the enclosing query's) was filed, or given a version, by this person."""
    version = aliased(DocumentVersion, name="own_version")
    return or_(
        Document.filed_by_id == user_id,
        exists(
            select(version.id).where(
                version.document_id == Document.id, version.created_by == username
            )
        ),
    )


def _another_employed_creator(user_id: int, today: date) -> ColumnElement[bool]:
    version = aliased(DocumentVersion, name="other_version")
    person = aliased(User, name="other_user")
    return or_(
        and_(
            Document.filed_by_id.is_not(None),
            Document.filed_by_id != user_id,
            Document.filed_by_id.in_(employed_user_ids(today)),
        ),
        exists(
            select(version.id)
            .join(person, person.username == version.created_by)
            .where(
                version.document_id == Document.id,
                person.id != user_id,
                person.id.in_(employed_user_ids(today)),
            )
        ),
    )


def _recent(since: datetime) -> ColumnElement[bool]:
    return and_(
        Document.node_id.is_not(None),
        Document.status != "destroyed",
        Document.created_at >= since,
    )


def _class_of_nodes(session: Session) -> dict[int, FilePlanNode]:
    """Every node id mapped to its class (a folder to the class it sits under)."""
    nodes = session.scalars(select(FilePlanNode)).all()
    return {n.id: n.class_node() for n in nodes}


def class_counts(session: Session, user: User, *, since: datetime, today: date) -> list[ClassCount]:
    """Per class the person created a recent record in: the class's recent records, how many
    they created, and how many they alone (of those still employed) created."""
    mine = _created_by(user.id, user.username)
    worked_in = session.scalars(select(Document.node_id).where(_recent(since), mine).distinct())
    classes = _class_of_nodes(session)
    codes = {classes[node_id].code for node_id in worked_in if node_id in classes}
    if not codes:
        return []
    node_ids = [node_id for node_id, cls in classes.items() if cls.code in codes]
    sole = and_(mine, not_(_another_employed_creator(user.id, today)))
    # (node id, records, created, sole): the stubs lose the row type on the sums of CASE
    rows: Sequence[Row[int, int, int | None, int | None]] = session.execute(
        select(
            Document.node_id,
            func.count(Document.id),
            func.sum(case((mine, 1), else_=0)),
            func.sum(case((sole, 1), else_=0)),
        )
        .where(_recent(since), Document.node_id.in_(node_ids))
        .group_by(Document.node_id)
    ).all()
    totals: dict[str, list[int]] = {}
    for node_id, records, created, sole_count in rows:
        tally = totals.setdefault(classes[node_id].code, [0, 0, 0])
        tally[0] += int(records or 0)
        tally[1] += int(created or 0)
        tally[2] += int(sole_count or 0)
    titles = {cls.code: cls.title for cls in classes.values()}
    return [
        ClassCount(code, titles[code], records, created, sole_count)
        for code, (records, created, sole_count) in sorted(totals.items())
    ]


def sole_created_document_ids(
    session: Session, user: User, *, since: datetime, today: date, limit: int = 500
) -> list[int]:
    """The person's recent records that no one else still employed created, newest first."""
    stmt = (
        select(Document.id)
        .where(
            _recent(since),
            _created_by(user.id, user.username),
            not_(_another_employed_creator(user.id, today)),
        )
        .order_by(Document.created_at.desc(), Document.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def today_date() -> date:
    return clock.now().date()


def leaver_user(session: Session, leaver: Leaver) -> tuple[Profile, User]:
    profile = session.get(Profile, leaver.profile_id)
    assert profile is not None
    user = session.get(User, profile.user_id)
    assert user is not None
    return profile, user


def ratings_for(session: Session, leaver: Leaver) -> dict[str, int]:
    rows = session.scalars(select(ClassCriticality).where(ClassCriticality.leaver_id == leaver.id))
    return {r.class_code: r.criticality for r in rows}


def assess_leaver(
    session: Session, leaver: Leaver, config: HarvestConfig, *, today: date | None = None
) -> LeaverRisk:
    """The ranked knowledge at risk for one leaver, as of `today` (the clock's date)."""
    today = today or today_date()
    profile, user = leaver_user(session, leaver)
    since = window_start(today, config.window_years)
    counts = class_counts(session, user, since=since, today=today)
    months = months_until(today, leaver.leaving_date)
    rows = assess_classes(
        counts, months=months, ratings=ratings_for(session, leaver), config=config
    )
    return LeaverRisk(
        username=user.username,
        name=profile.name or user.full_name or user.username,
        leaving_date=leaver.leaving_date,
        left=leaver.leaving_date < today,
        months_until_leaving=months,
        threshold=config.threshold,
        window_years=config.window_years,
        classes=tuple(rows),
    )
