"""Pages and JSON endpoints: the directory side of the knowledge service.

The directory, profile pages (edit your own: skills with level, about, opt-out; endorse a
colleague's skill), find an expert ("Harness"), communities of interest ("Hypothesise"), and
the people panel beside record search results. JSON: GET /api/v1/experts?q=…,
GET /api/v1/people and GET /api/v1/people/<username>.
"""

from __future__ import annotations

import re
from math import ceil
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from spectree import Response as Responses

import harvest.web.api_shapes as shapes
from edrm.access import Principal
from edrm.errors import InvalidInputError, NotFoundError
from edrm.web.api import json_api_blueprint
from edrm.web.api_style import Problem, decode_cursor, json_body, next_link, spec
from edrm.web.auth import login_required, principal
from edrm.web.forms import ActionForm
from edrm.web.params import int_arg, page_arg
from edrm.web.runtime import db, rt
from harvest import communities as comm
from harvest.directory.listing import list_people, units_and_locations
from harvest.directory.profiles import own_profile, set_opt_out, update_about
from harvest.directory.public_profile import profile_as_dict
from harvest.directory.skills import declare_skill, endorse, remove_skill, withdraw_endorsement
from harvest.directory.taxonomy import LEVELS, Taxonomy, taxonomy_for
from harvest.expert_search import ExpertResult, find_experts, find_experts_safely
from harvest.inference import recompute
from search.base import SearchError

bp = Blueprint("directory", __name__)
api = json_api_blueprint("directory_api", __name__)
PER_PAGE = 50
PANEL_PEOPLE = 5
#: app.extensions key: the record search page asks this for the people beside its hits.
PEOPLE_PANEL = "edrm.people_for_topic"


def _taxonomy() -> Taxonomy:
    return taxonomy_for(rt().settings)


_SYNTAX = re.compile(r"\b(?:class|type|marking|year|date):\S+|\b(?:title|creator|ref):|[()\"*~^-]")


def people_for_topic(text: str, limit: int = PANEL_PEOPLE) -> ExpertResult | None:
    """The top people for a record search's words (field filters such as class:… and year:…
    left out); None when there are none or the engine cannot answer."""
    topic = " ".join(_SYNTAX.sub(" ", text).split())
    if not topic:
        return None
    return find_experts_safely(db(), rt(), principal(), topic, limit=limit)


@bp.record_once
def _offer_people_panel(state: BlueprintSetupState) -> None:
    state.app.extensions[PEOPLE_PANEL] = people_for_topic


def _done(message: str, category: str = "success") -> None:
    flash(message, category)


def _valid_post() -> bool:
    return bool(ActionForm().validate_on_submit())


# --- the directory and profiles -----------------------------------------------------------------


@bp.get("/people")
@login_required
def index() -> str:
    text = (request.args.get("q") or "").strip()[:200]
    unit = (request.args.get("unit") or "").strip()
    location = (request.args.get("location") or "").strip()
    page = page_arg()
    entries, total = list_people(
        db(), text=text, unit=unit, location=location, page=page, per_page=PER_PAGE
    )
    units, locations = units_and_locations(db())
    return render_template(
        "harvest/directory.html",
        entries=entries,
        total=total,
        text=text,
        unit=unit,
        location=location,
        units=units,
        locations=locations,
        page=page,
        pages=max(ceil(total / PER_PAGE), 1),
    )


@bp.get("/people/<username>")
@login_required
def profile(username: str) -> str:
    who = principal()
    data = profile_as_dict(db(), _taxonomy(), who, username)
    return render_template(
        "harvest/profile.html",
        person=data,
        is_me=who.username == data["username"],
        form=ActionForm(),
    )


@bp.get("/profile")
@login_required
def edit() -> str:
    who = principal()
    own_profile(db(), who)
    taxonomy = _taxonomy()
    data = profile_as_dict(db(), taxonomy, who, who.username)
    return render_template(
        "harvest/edit_profile.html",
        person=data,
        taxonomy=taxonomy,
        levels=LEVELS,
        form=ActionForm(),
    )


@bp.post("/profile/about")
@login_required
def save_about() -> Any:
    if _valid_post():
        try:
            update_about(db(), principal(), request.form.get("about", ""))
        except InvalidInputError as exc:
            db().rollback()
            _done(str(exc), "error")
        else:
            _done("Your profile is saved.")
    return redirect(url_for("directory.edit"))


@bp.post("/profile/skills")
@login_required
def add_skill() -> Any:
    if _valid_post():
        name = (request.form.get("tag") or "").strip() or (request.form.get("skill") or "")
        taxonomy = _taxonomy()
        try:
            skill = declare_skill(db(), principal(), taxonomy, name, request.form.get("level", ""))
        except InvalidInputError as exc:
            db().rollback()
            _done(str(exc), "error")
        else:
            _done(f"{taxonomy.title(skill.name)} is on your profile at level {skill.level}.")
    return redirect(url_for("directory.edit"))


@bp.post("/profile/skills/<int:skill_id>/remove")
@login_required
def drop_skill(skill_id: int) -> Any:
    if _valid_post():
        remove_skill(db(), principal(), skill_id)
        _done("The skill is removed.")
    return redirect(url_for("directory.edit"))


@bp.post("/profile/opt-out")
@login_required
def opt_out() -> Any:
    if _valid_post():
        choice = request.form.get("opted_out") == "yes"
        set_opt_out(db(), principal(), choice)
        if not choice:
            recompute(db(), only=principal().username)
        _done(
            "You are found only through the skills you declared."
            if choice
            else "Expertise is inferred from your records again."
        )
    return redirect(url_for("directory.edit"))


@bp.post("/people/<username>/skills/<int:skill_id>/endorse")
@login_required
def endorse_skill(username: str, skill_id: int) -> Any:
    if _valid_post():
        endorse(db(), principal(), skill_id)
        _done("You endorsed the skill.")
    return redirect(url_for("directory.profile", username=username))


@bp.post("/people/<username>/skills/<int:skill_id>/withdraw")
@login_required
def withdraw(username: str, skill_id: int) -> Any:
    if _valid_post():
        withdraw_endorsement(db(), principal(), skill_id)
        _done("You withdrew your endorsement.")
    return redirect(url_for("directory.profile", username=username))


# --- find an expert -----------------------------------------------------------------------------


@bp.get("/find-an-expert")
@login_required
def find_expert() -> str:
    text = (request.args.get("q") or "").strip()[:2000]
    result, error = None, None
    if text:
        try:
            result = find_experts(db(), rt(), principal(), text, limit=20, taxonomy=_taxonomy())
        except (SearchError, ValueError) as exc:
            error = str(exc)
    return render_template("harvest/find_expert.html", text=text, result=result, error=error)


# --- communities --------------------------------------------------------------------------------


@bp.get("/communities/browse")
@login_required
def communities() -> str:
    found = comm.overview(db(), principal(), _taxonomy())
    return render_template("harvest/communities.html", overview=found, labels=comm.KIND_LABELS)


@bp.get("/communities/<kind>/<path:key>")
@login_required
def community(kind: str, key: str) -> str:
    if kind not in comm.KINDS:
        raise NotFoundError(f"no {kind} communities")
    page = comm.community_page(db(), rt(), principal(), _taxonomy(), kind, key)
    return render_template("harvest/community.html", page=page, labels=comm.KIND_LABELS)


# --- JSON ---------------------------------------------------------------------------------------


def _limit(default: int) -> int:
    return int_arg("limit", default, minimum=1, maximum=100)


@api.get("/experts")
@spec.validate(
    query=shapes.ExpertsQuery,
    resp=Responses(HTTP_200=shapes.Experts, HTTP_503=Problem, **shapes.ERRORS),
    tags=["people"],
)
def api_experts() -> Any:
    """Find an expert: the people who know about ?q=…, with the evidence"""
    text = (request.args.get("q") or "").strip()
    if not text:
        raise InvalidInputError("give the question as ?q=…")
    who: Principal = principal()
    try:
        result = find_experts(db(), rt(), who, text[:2000], limit=_limit(10), taxonomy=_taxonomy())
    except SearchError as exc:
        return jsonify({"error": f"search is not available: {exc}"}), 503
    return jsonify(result.as_dict())


@api.get("/people")
@spec.validate(
    query=shapes.PeopleQuery,
    resp=Responses(HTTP_200=shapes.PeoplePage, **shapes.ERRORS),
    tags=["people"],
)
def api_people() -> Any:
    """The directory: people by name or skill (?q=), unit and location, paged by cursor"""
    limit = _limit(PER_PAGE)
    page = decode_cursor(request.args.get("cursor")) // limit + 1
    if "cursor" not in request.args:
        page = page_arg()
    entries, total = list_people(
        db(),
        text=request.args.get("q", ""),
        unit=request.args.get("unit", ""),
        location=request.args.get("location", ""),
        page=page,
        per_page=limit,
    )
    people = [
        {
            "username": e.username,
            "name": e.name,
            "unit": e.unit,
            "location": e.location,
            "role": e.role_title,
        }
        for e in entries
    ]
    offset = (page - 1) * limit
    more = next_link(offset, limit, total > offset + limit)
    return jsonify({"items": people, "next": more, "total": total, "people": people})


@api.get("/people/<username>")
@spec.validate(resp=Responses(HTTP_200=shapes.Person, **shapes.ERRORS_404), tags=["people"])
def api_person(username: str) -> Any:
    """A person's public profile (404 for one who has opted out or does not exist)"""
    return jsonify(profile_as_dict(db(), _taxonomy(), principal(), username))


@api.post("/profile/skills")
@spec.validate(
    json=shapes.NewSkill,
    resp=Responses(HTTP_201=shapes.SkillOut, HTTP_422=Problem, **shapes.ERRORS),
    tags=["people"],
)
def api_add_skill() -> Any:
    """Add a skill to your own profile (or change its level)"""
    wanted = json_body(shapes.NewSkill)
    skill = declare_skill(db(), principal(), _taxonomy(), wanted.skill, wanted.level)
    db().flush()
    return {"id": skill.id, "name": skill.name, "level": skill.level}, 201


@api.delete("/profile/skills/<int:skill_id>")
@spec.validate(resp=Responses(HTTP_204=None, **shapes.ERRORS_404), tags=["people"])
def api_remove_skill(skill_id: int) -> Any:
    """Remove a skill from your own profile"""
    remove_skill(db(), principal(), skill_id)
    return "", 204
