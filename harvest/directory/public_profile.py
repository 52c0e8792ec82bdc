"""A person as anyone may see them: their profile, declared skills with endorsements, what was
inferred from their records (unless they opted out), and, once they have left, their successor
and the harvest record if the viewer may open it. Never HR-only data.

Read only; the profile is made on first use like everywhere else in the directory.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.access import Principal, may_see_document
from edrm.documents.models import Document
from edrm.fileplan.models import FilePlanNode
from edrm.people.models import User
from harvest.directory.profiles import get_profile
from harvest.directory.skills import skills_of
from harvest.directory.taxonomy import Taxonomy
from harvest.leavers import leaver_status
from harvest.models import InferredExpertise, Profile


def inferred_of(session: Session, profile_id: int, limit: int = 12) -> dict[str, list[tuple]]:
    """What was inferred for a profile: {'term': [(word, weight)], 'class': [(code, weight)]}."""
    rows = session.execute(
        select(InferredExpertise.kind, InferredExpertise.key, InferredExpertise.weight)
        .where(InferredExpertise.profile_id == profile_id)
        .order_by(InferredExpertise.weight.desc(), InferredExpertise.key)
    ).all()
    out: dict[str, list[tuple]] = {"term": [], "class": []}
    for kind, key, weight in rows:
        if kind in out and len(out[kind]) < limit:
            out[kind].append((key, round(float(weight), 3)))
    return out


def public_leaver_status(session: Session, profile_id: int) -> dict[str, Any] | None:
    """Whether the person has left, their successor and harvest record (never HR-only data);
    None for someone not leaving, or whose leaving date has not come yet."""
    status = leaver_status(session, profile_id)
    if status is None or not status.get("left"):
        return None
    return {
        "left": True,
        "leaving_date": status.get("leaving_date"),
        "successor": status.get("successor"),
        "successor_name": status.get("successor_name"),
        "harvest_document_id": status.get("harvest_document_id"),
    }


def visible_harvest_document(
    session: Session, viewer: Principal, status: dict[str, Any] | None
) -> int | None:
    """The harvest record's id if the viewer may open it, else None."""
    if not status or not status.get("harvest_document_id"):
        return None
    document = session.get(Document, status["harvest_document_id"])
    if document is None or not may_see_document(viewer, document):
        return None
    return document.id


def profile_as_dict(
    session: Session, taxonomy: Taxonomy, viewer: Principal, username: str
) -> dict[str, Any]:
    """A person as anyone may see them (GET /api/v1/people/<username>, `edrm people show`)."""
    profile, user = get_profile(session, username)
    manager = session.get(Profile, profile.manager_id) if profile.manager_id else None
    manager_user = session.get(User, manager.user_id) if manager else None
    viewer_profile = (
        session.scalar(select(Profile.id).where(Profile.user_id == viewer.user_id))
        if viewer.user_id is not None
        else None
    )
    skills = skills_of(session, taxonomy, [profile.id], viewer_profile)[profile.id]
    status = public_leaver_status(session, profile.id)
    inferred = {"term": [], "class": []} if profile.opted_out else inferred_of(session, profile.id)
    codes = [k for k, _ in inferred["class"]]
    titles = dict(
        session.execute(
            select(FilePlanNode.code, FilePlanNode.title).where(FilePlanNode.code.in_(codes))
        ).all()
    )
    return {
        "username": user.username,
        "name": profile.name,
        "unit": profile.unit,
        "location": profile.location,
        "role": profile.role_title,
        "manager": manager_user.username if manager_user else None,
        "manager_name": manager.name if manager else None,
        "start_date": profile.start_date.isoformat() if profile.start_date else None,
        "about": profile.about,
        "opted_out": profile.opted_out,
        "skills": [
            {
                "id": s.id,
                "skill": s.name,
                "title": s.title,
                "area": s.area,
                "tag": s.is_tag,
                "level": s.level,
                "level_label": s.level_label,
                "kind": s.kind,
                "endorsements": len(s.endorsers),
                "endorsed_by": list(s.endorsers),
                "endorsed_by_me": s.endorsed_by_viewer,
            }
            for s in skills
        ],
        "inferred": {
            "topics": [{"term": k, "weight": w} for k, w in inferred["term"]],
            "classes": [
                {"class_code": k, "class_title": titles.get(k, k), "weight": w}
                for k, w in inferred["class"]
            ],
        },
        "left": bool(status),
        "successor": status.get("successor") if status else None,
        "successor_name": status.get("successor_name") if status else None,
        "harvest_document_id": visible_harvest_document(session, viewer, status),
    }
