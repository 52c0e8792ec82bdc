"""The notification preferences page (/account/notifications): which e-mails a signed-in person
gets, each sent immediately or listed in one daily digest (issue 13 part 5)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from edrm.notifications.kinds import kinds_for
from edrm.notifications.models import DIGEST, IMMEDIATE
from edrm.notifications.preferences import preferences_of, set_preferences
from edrm.notifications.senders import sender_for
from edrm.people.models import User
from edrm.web.auth import login_required, principal
from edrm.web.forms import ActionForm
from edrm.web.runtime import db, rt

bp = Blueprint("notifications", __name__)


def _offered() -> Any:
    role = principal().role
    return kinds_for(role.value if role else None)


def _page() -> Any:
    username = principal().username
    email = db().scalar(select(User.email).where(User.username == username)) or ""
    return render_template(
        "account/notifications.html",
        kinds=_offered(),
        preferences=preferences_of(db(), username),
        email=email.strip(),
        sending=sender_for(rt().settings) is not None,
        form=ActionForm(),
    )


@bp.get("/account/notifications")
@login_required
def index() -> Any:
    return _page()


@bp.post("/account/notifications")
@login_required
def save() -> Any:
    if not ActionForm().validate_on_submit():
        return redirect(url_for("notifications.index"))
    wanted = set(request.form.getlist("kinds"))
    choices: dict[str, tuple[bool, str]] = {}
    for k in _offered():  # a kind not offered keeps what it was
        timing = request.form.get(f"timing-{k.name}", k.timing)
        choices[k.name] = (k.name in wanted, DIGEST if timing == DIGEST else IMMEDIATE)
    set_preferences(db(), principal().username, choices)
    flash("Your notification settings have been saved", "success")
    return redirect(url_for("notifications.index"))
