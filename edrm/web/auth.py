"""Sign-in and sign-out, the signed-in person for each request, and the login guard.

Sessions are server-side (`edrm.web.sessions`); sign-in attempts are throttled per account and
per client address (`edrm.people.throttle`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from edrm.access import Principal
from edrm.errors import NotFoundError
from edrm.people import signin
from edrm.people.models import User
from edrm.people.sessions import end_session, start_session
from edrm.web.forms import ActionForm, SignInForm
from edrm.web.runtime import db, rt
from edrm.web.sessions import EdrmSession
from edrm.web.sso_session import configured, end_session_url

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])
PUBLIC_ENDPOINTS = {
    "auth.sign_in",
    "health.healthz",
    "health.readyz",
    "static",
    "sso.start",
    "sso.callback",
}
NEXT_LIMIT = 2000


def load_current_user() -> None:
    g.user = None
    g.principal = None
    user_id = getattr(session, "user_id", None)
    if user_id is None:
        return
    user = db().get(User, user_id)
    if user is None or not user.active:  # pragma: no cover - the session would have ended
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


def client_address() -> str:
    return request.remote_addr or ""


def attempt_sign_in(username: str, password: str) -> signin.SignInResult:
    """One throttled, audited attempt; its record is committed whatever the answer will be."""
    settings = rt().settings
    result = signin.sign_in(
        db(),
        username,
        password,
        address=client_address(),
        policy=signin.policy_for(settings),
        password_accounts=signin.password_accounts_for(settings),
    )
    db().commit()
    return result


def safe_next(target: str | None) -> str:
    """Only a plain local path: never another site, and never anything that cannot go in a
    Location header (a newline, a backslash, a character outside printable ASCII)."""
    home = url_for("home.index")
    if not target or len(target) > NEXT_LIMIT:
        return home
    if any(not (0x21 <= ord(c) <= 0x7E) or c == "\\" for c in target):
        return home
    if not target.startswith("/") or target.startswith("//"):
        return home
    try:
        parts = urlsplit(target)
    except ValueError:
        return home
    return home if parts.scheme or parts.netloc else target


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    form = SignInForm()
    failed = False
    sso = configured()
    page = {
        "form": form,
        "sso_name": sso.name if sso is not None else "",
        "passwords": rt().settings.local_passwords,
        "next": request.args.get("next", ""),
    }
    if form.validate_on_submit():
        result = attempt_sign_in(form.username.data or "", form.password.data or "")
        if result.lockout is not None:
            body = render_template("auth/sign_in.html", locked=result.lockout.message(), **page)
            return body, 429, {"Retry-After": str(result.lockout.seconds_left())}
        if result.user is not None:
            begin_session(result.user)
            return redirect(safe_next(request.args.get("next")))
        failed = True
    return render_template("auth/sign_in.html", failed=failed, **page)


def begin_session(user: User) -> None:
    """A new server-side session for this person (any the browser held ends)."""
    assert isinstance(session, EdrmSession)
    if session.record_id is not None:
        end_session(db(), session.record_id)
    limits = signin.session_limits_for(rt().settings)
    started = start_session(db(), user, limits, address=client_address())
    session.begin(started, started.record.created_at + limits.absolute)


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Response:
    form = ActionForm()
    provider_sign_out = None
    if form.validate_on_submit() and g.get("user") is not None:
        provider_sign_out = end_session_url()
        signin.sign_out(db(), g.user)
        db().commit()
    if isinstance(session, EdrmSession):
        session.finish()
    else:
        session.clear()
    # A session that came from the provider signs out there too (RP-initiated sign-out).
    return redirect(provider_sign_out or url_for("auth.sign_in"))
