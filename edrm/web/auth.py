"""Sign-in and sign-out, the signed-in person for each request, and the login guard."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from edrm.access import Principal
from edrm.errors import NotFoundError
from edrm.people.service import authenticate, get_user
from edrm.web.forms import ActionForm, SignInForm
from edrm.web.runtime import db

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])
PUBLIC_ENDPOINTS = {"auth.sign_in", "health.healthz", "static"}


def load_current_user() -> None:
    g.user = None
    g.principal = None
    username = session.get("username")
    if not username:
        return
    try:
        user = get_user(db(), username)
    except NotFoundError:
        session.clear()
        return
    g.user = user
    g.principal = Principal.of(user)


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def principal() -> Principal:
    who: Principal | None = g.get("principal")
    if who is None:  # pragma: no cover - guarded by login_required
        raise NotFoundError("not signed in")
    return who


def _safe_next(target: str | None) -> str:
    """Only local paths, so sign-in cannot bounce a person to another site."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    form = SignInForm()
    failed = False
    if form.validate_on_submit():
        user = authenticate(db(), form.username.data or "", form.password.data or "")
        if user is not None:
            session.clear()
            session.permanent = True
            session["username"] = user.username
            return redirect(_safe_next(request.args.get("next")))
        failed = True
    return render_template("auth/sign_in.html", form=form, failed=failed)


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Response:
    form = ActionForm()
    if form.validate_on_submit() and g.get("user") is not None:
        from edrm import audit

        audit.record(db(), g.user.username, "logout", "user", g.user.username)
    session.clear()
    return redirect(url_for("auth.sign_in"))
