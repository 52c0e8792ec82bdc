"""The API tokens page (/account/tokens): one's own tokens, making one (shown once) and
revoking one (issue 13 part 2)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from edrm import clock
from edrm.errors import InvalidInputError
from edrm.people.tokens import SCOPES, create_token, list_tokens, policy_for, revoke_token
from edrm.web.auth import login_required, principal
from edrm.web.forms import ActionForm
from edrm.web.runtime import db, rt

bp = Blueprint("tokens", __name__)

#: What each scope lets a token do, in the words the page uses.
SCOPE_HINTS = {
    "read": "Read documents, search, people and jobs",
    "write": "Upload and change (with the scopes of the area)",
    "records": "Records management: holds, disposal, retention",
    "hr": "HR: leavers and their knowledge-harvest plans",
    "admin": "Administration",
}


def _page(errors: dict[str, str] | None = None, made: Any = None, status: int = 200) -> Any:
    policy = policy_for(rt().settings)
    page = render_template(
        "account/tokens.html",
        tokens=list_tokens(db(), principal()),
        form=ActionForm(),
        scopes=[(s, SCOPE_HINTS[s]) for s in SCOPES],
        policy=policy,
        errors=errors or {},
        values=request.form if errors else {},
        made=made,
        now=clock.now(),
    )
    return page, status


@bp.get("/account/tokens")
@login_required
def index() -> Any:
    return _page()


@bp.post("/account/tokens")
@login_required
def create() -> Any:
    if not ActionForm().validate_on_submit():
        return redirect(url_for("tokens.index"))
    errors: dict[str, str] = {}
    scopes = request.form.getlist("scopes")
    if not scopes:
        errors["scopes"] = "Select at least one thing the token may do"
    raw_days = (request.form.get("expires_days") or "").strip()
    days: int | None = None
    if raw_days:
        if not raw_days.isdigit() or len(raw_days) > 6:
            errors["expires_days"] = "Enter the number of days as a whole number, like 90"
        else:
            days = int(raw_days)
    if errors:
        return _page(errors, status=400)
    try:
        made = create_token(
            db(),
            principal(),
            scopes,
            policy=policy_for(rt().settings),
            name=request.form.get("name", ""),
            expires_days=days,
        )
    except InvalidInputError as exc:
        db().rollback()
        text = str(exc)
        field = "scopes" if "scope" in text else "expires_days" if "day" in text else "name"
        return _page({field: text[:1].upper() + text[1:]}, status=400)
    db().commit()  # before the page shows the token: it must exist when it is copied
    return _page(made=made)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> Response:
    if ActionForm().validate_on_submit():
        revoked = revoke_token(db(), token_id, principal())
        flash(f"Token “{revoked.name or revoked.id}” revoked: it no longer works.", "success")
    return redirect(url_for("tokens.index"))
