"""Single sign-on pages (issue 13 part 1): off to the OpenID provider, and back.

`/sign-in/oidc` sends the browser to the provider with a fresh state, nonce and PKCE challenge
(kept in the browser's session until it returns); `/sign-in/oidc/callback` checks the state,
exchanges the code, validates the ID token and signs the person in (`edrm.people.sso`). Every
refusal answers with a page that says why in plain words (400 for a request that is wrong, 403
for an answer or a person not accepted) and is audited. With SSO off both answer 404.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from edrm.people.oidc_provider import Pending, SignedIn, SsoRefusal
from edrm.people.sso import refuse_answer, sso_sign_in
from edrm.web.auth import begin_session, client_address, safe_next
from edrm.web.runtime import db
from edrm.web.sessions import EdrmSession
from edrm.web.sso_session import ID_TOKEN, Sso, configured

bp = Blueprint("sso", __name__)
PENDING, NEXT = "oidc_pending", "oidc_next"


def _sso() -> Sso:
    sso = configured()
    if sso is None:
        abort(404)
    return sso


def _redirect_uri() -> str:
    return url_for("sso.callback", _external=True)


@bp.route("/sign-in/oidc")
def start() -> Any:
    sso = _sso()
    try:
        url, pending = sso.provider.authorization_url(_redirect_uri())
    except SsoRefusal as refusal:
        return _refused(refusal)
    session[PENDING] = pending.as_dict()
    session[NEXT] = safe_next(request.args.get("next"))
    return redirect(url)


@bp.route("/sign-in/oidc/callback")
def callback() -> Any:
    sso = _sso()
    pending = Pending.from_dict(session.pop(PENDING, None))
    target = safe_next(session.pop(NEXT, None))
    try:
        answer = _answer(sso, pending)
    except SsoRefusal as refusal:
        refuse_answer(db(), refusal, address=client_address())
        return _refused(refusal)
    try:
        user = sso_sign_in(db(), answer.claims, sso.policy, address=client_address())
    except SsoRefusal as refusal:
        return _refused(refusal)
    begin_session(user)
    session[ID_TOKEN] = answer.id_token
    return redirect(target)


def _answer(sso: Sso, pending: Pending | None) -> SignedIn:
    error = request.args.get("error")
    if error:
        text = request.args.get("error_description") or error
        raise SsoRefusal(f"the provider did not sign you in ({text[:200]})", status=400)
    state = request.args.get("state", "")
    if pending is None or not hmac.compare_digest(state.encode(), pending.state.encode()):
        raise SsoRefusal(
            "this sign-in was not started here, or was already finished (the state does not match)",
            status=400,
        )
    code = request.args.get("code", "")
    if not code:
        raise SsoRefusal("the provider sent no sign-in code", status=400)
    return sso.provider.finish(code, pending, _redirect_uri())


def _refused(refusal: SsoRefusal) -> Any:
    """The refusal's page; what it audited and the sessions it ended are committed first."""
    db().commit()
    mine = g.get("user") is not None and g.user.username == refusal.username
    if mine and isinstance(session, EdrmSession):
        session.finish()  # their sessions have just ended, this one among them
    page = render_template("auth/sso_refused.html", reason=str(refusal))
    return page, refusal.status if refusal.status in (400, 403) else 502
