"""The knowledge pages (on the `leavers` blueprint): what you own and its reviews, and for HR
the knowledge at risk beyond the leavers' list (harvest.stewardship, harvest.knowledge_risk)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from edrm.errors import NotFoundError
from edrm.ids import id_from_text
from edrm.web.auth import login_required, principal
from edrm.web.forms import ActionForm
from edrm.web.runtime import db, rt
from harvest.directory.taxonomy import taxonomy_for
from harvest.knowledge_risk import ghost_classes, orphaned_harvest_records
from harvest.models import HarvestPlan, Leaver, Profile, Skill
from harvest.stewardship import EXPERTISE, HARVEST_RECORD, items_owned, review_item
from harvest.web.leavers import bp, leavers


def _describe(kind: str, item_id: int) -> tuple[str, int | None]:
    """What an owned item is, in words, and the record it is (for a harvest record)."""
    session = db()
    if kind == EXPERTISE:
        skill = session.get(Skill, item_id)
        if skill is None:
            return "A skill", None
        known = taxonomy_for(rt().settings).skills.get(skill.name)
        return f"Your skill: {known.title if known else skill.name}", None
    plan = session.get(HarvestPlan, item_id)
    leaver = session.get(Leaver, plan.leaver_id) if plan else None
    name = leavers.name_of(session, leaver.profile_id) if leaver else None
    return (
        f"Knowledge harvested from {name or 'a leaver'}",
        plan.record_document_id if plan else None,
    )


@bp.get("/knowledge/mine")
@login_required
def my_knowledge() -> str:
    who = principal()
    profile = db().scalar(select(Profile).where(Profile.user_id == who.user_id))
    items = items_owned(db(), profile.id) if profile else []
    rows = [(item, *_describe(item.kind, item.item_id)) for item in items]
    return render_template("harvest/knowledge_mine.html", rows=rows, form=ActionForm())


@bp.post("/knowledge/review")
@login_required
def review_knowledge() -> Any:
    if not ActionForm().validate_on_submit():
        raise NotFoundError("no such review")
    kind = request.form.get("kind", "")
    item_id = id_from_text(request.form.get("item_id")) or 0
    item = review_item(
        db(), kind if kind in (EXPERTISE, HARVEST_RECORD) else "", item_id, actor=principal()
    )
    flash(f"Reviewed: the next review is due {item.review_due:%-d %B %Y}.", "success")
    return redirect(url_for("leavers.my_knowledge"))


@bp.get("/leavers/knowledge-at-risk")
@login_required
def knowledge_at_risk() -> str:
    who = principal()
    ghosts = ghost_classes(db(), who)
    return render_template(
        "harvest/knowledge_risk.html",
        ghosts=ghosts,
        orphans=orphaned_harvest_records(db(), who),
    )
