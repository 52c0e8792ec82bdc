"""The configured single sign-on (issue 13 part 1) as the pages see it, and the sign-out that
goes through the provider for a session that came from it (RP-initiated sign-out)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, current_app, session, url_for

from edrm.people.oidc_provider import Provider
from edrm.people.sso import SsoPolicy, policy_for, provider_config_for
from edrm.settings import Settings

EXTENSION = "edrm_sso"
#: Where a signed-in session keeps the ID token it came with (the sign-out hint).
ID_TOKEN = "oidc_id_token"


@dataclass(frozen=True)
class Sso:
    """The configured provider and the policy its claims are read by (in app.extensions)."""

    provider: Provider
    policy: SsoPolicy
    name: str

    @property
    def origin(self) -> str:
        """The provider's origin: the sign-out form's redirect goes there, so the pages' CSP
        form-action must admit it (browsers check a form's redirects against it too)."""
        parts = urlsplit(self.provider.config.issuer)
        return f"{parts.scheme}://{parts.netloc}"


def build(settings: Settings) -> Sso | None:
    """The provider when SSO is on (the claim mapping is checked now, at start-up: a wrong
    one stops the app with SettingsError naming the setting)."""
    policy = policy_for(settings)
    if not settings.sso_on:
        return None
    return Sso(Provider(provider_config_for(settings)), policy, settings.oidc_provider_name)


def install(app: Flask, sso: Sso | None) -> None:
    if sso is not None:
        app.extensions[EXTENSION] = sso


def form_origins() -> str:
    """What the CSP's form-action admits beyond 'self'."""
    sso = configured()
    return f" {sso.origin}" if sso is not None else ""


def configured() -> Sso | None:
    sso: Sso | None = current_app.extensions.get(EXTENSION)
    return sso


def end_session_url() -> str | None:
    """Where signing out sends a session that came from the provider, or None for a session
    that did not (or a provider that offers no end_session_endpoint)."""
    sso = configured()
    id_token = session.get(ID_TOKEN)
    if sso is None or not isinstance(id_token, str):
        return None
    return sso.provider.end_session_url(id_token, url_for("auth.sign_in", _external=True))
