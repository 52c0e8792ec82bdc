"""The OpenID provider as edrm sees it: discovery, the authorization request (code flow with
PKCE, a state and a nonce), the code exchange, ID-token validation, and RP-initiated sign-out.

The provider's metadata (/.well-known/openid-configuration) and signing keys are read on first
use and kept for an hour; an ID token signed with a key not yet seen fetches the keys once more
(the provider rotated them). Nothing here touches the database: what the validated claims make
of a person is `edrm.people.oidc_claims`, and signing them in is `edrm.people.sso`.

Crash story: nothing is stored until the person is signed in; a browser that dies between the
redirect and the callback leaves only its pending state in its own cookie, which the next
sign-in replaces.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingKeyError,
)
from joserfc.jwk import KeySet

from edrm import clock
from edrm.errors import RefusedError

METADATA_SECONDS = 3600
TIMEOUT_SECONDS = 10
LEEWAY_SECONDS = 60
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]


class SsoRefusal(RefusedError):
    """A sign-in through the provider refused; the message says why in plain words. `status`
    is 400 when the request itself is wrong (state, code) and 403 when the answer or the person
    is not accepted."""

    def __init__(self, message: str, *, status: int = 403, username: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.username = username


@dataclass(frozen=True)
class ProviderConfig:
    issuer: str
    client_id: str
    client_secret: str = ""
    scopes: str = "openid profile email"


@dataclass(frozen=True)
class Pending:
    """What the browser keeps between the redirect to the provider and its return."""

    state: str
    nonce: str
    code_verifier: str

    def as_dict(self) -> dict[str, str]:
        return {"state": self.state, "nonce": self.nonce, "code_verifier": self.code_verifier}

    @classmethod
    def from_dict(cls, data: Any) -> Pending | None:
        if not isinstance(data, dict):
            return None
        values = [data.get(k) for k in ("state", "nonce", "code_verifier")]
        texts = [v for v in values if isinstance(v, str) and v]
        return cls(*texts) if len(texts) == len(values) else None


@dataclass(frozen=True)
class SignedIn:
    """A validated answer: the ID token's claims and the token itself (the sign-out hint)."""

    claims: dict[str, Any]
    id_token: str


class Provider:
    """One configured provider (state: its cached metadata and keys)."""

    def __init__(self, config: ProviderConfig, *, now: Callable[[], float] = time.monotonic):
        self.config = config
        self._now = now
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._read_at = 0.0

    # --- discovery ----------------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None or self._now() - self._read_at > METADATA_SECONDS:
                self._metadata = self._discover()
                self._keys = None
                self._read_at = self._now()
            return self._metadata

    def _discover(self) -> dict[str, Any]:
        url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
        data = _get_json(url)
        if str(data.get("issuer", "")).rstrip("/") != self.config.issuer.rstrip("/"):
            raise SsoRefusal("the provider names a different issuer than the one configured")
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(data.get(key), str):
                raise SsoRefusal(f"the provider's configuration has no {key}")
        return data

    def _key_set(self, *, fresh: bool = False) -> KeySet:
        meta = self.metadata()
        with self._lock:
            if self._keys is None or fresh:
                self._keys = KeySet.import_key_set(_get_json(meta["jwks_uri"]))  # type: ignore[arg-type]
            return self._keys

    # --- the flow -----------------------------------------------------------------------------

    def _client(self, redirect_uri: str) -> OAuth2Session:
        return OAuth2Session(
            self.config.client_id,
            self.config.client_secret or None,
            scope=self.config.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method=self._auth_method(),
        )

    def _auth_method(self) -> str:
        """How the client proves itself at the token endpoint: HTTP Basic with the secret
        unless the provider takes it only in the form; a public client (no secret): none."""
        if not self.config.client_secret:
            return "none"
        offered = self.metadata().get("token_endpoint_auth_methods_supported")
        if (
            isinstance(offered, list)
            and "client_secret_basic" not in offered
            and "client_secret_post" in offered
        ):
            return "client_secret_post"
        return "client_secret_basic"

    def authorization_url(self, redirect_uri: str) -> tuple[str, Pending]:
        """Where to send the browser, and what it must bring back."""
        pending = Pending(
            secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
        )
        with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                self.metadata()["authorization_endpoint"],
                state=pending.state,
                nonce=pending.nonce,
                code_verifier=pending.code_verifier,
            )
        return url, pending

    def finish(self, code: str, pending: Pending, redirect_uri: str) -> SignedIn:
        """Exchange the code (with the PKCE verifier) and validate the ID token."""
        with self._client(redirect_uri) as client:
            try:
                token = client.fetch_token(
                    self.metadata()["token_endpoint"],
                    code=code,
                    code_verifier=pending.code_verifier,
                    timeout=TIMEOUT_SECONDS,
                )
            except OAuthError as exc:
                raise _code_refusal(exc.error or "") from None
            except requests.RequestException:
                raise SsoRefusal("the provider could not be reached", status=502) from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SsoRefusal("the provider sent no ID token")
        return SignedIn(self.validate_id_token(id_token, pending.nonce), id_token)

    def validate_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The token's claims once its signature, issuer, audience, times and nonce are right."""
        try:
            try:
                token = jwt.decode(id_token, self._key_set(), algorithms=ALGORITHMS)
            except (InvalidKeyIdError, MissingKeyError, ValueError):
                token = jwt.decode(id_token, self._key_set(fresh=True), algorithms=ALGORITHMS)
            registry = jwt.JWTClaimsRegistry(
                now=lambda: int(clock.now().timestamp()),
                leeway=LEEWAY_SECONDS,
                iss={"essential": True, "value": self.metadata()["issuer"]},
                aud={"essential": True, "value": self.config.client_id},
                sub={"essential": True},
                exp={"essential": True},
                iat={"essential": True},
                nonce={"essential": True, "value": nonce},
            )
            registry.validate(token.claims)
        except ExpiredTokenError:
            raise SsoRefusal("the answer from the provider has expired: sign in again") from None
        except ClaimError as exc:
            raise SsoRefusal(_claim_reason(exc.claim)) from None
        except (BadSignatureError, InvalidKeyIdError):
            raise SsoRefusal("the provider's signature on its answer is not valid") from None
        except (JoseError, ValueError):
            raise SsoRefusal("the provider's answer could not be read") from None
        azp = token.claims.get("azp")
        if azp is not None and azp != self.config.client_id:
            raise SsoRefusal(_claim_reason("aud"))
        return dict(token.claims)

    def end_session_url(self, id_token: str, post_logout_redirect_uri: str) -> str | None:
        """The provider's sign-out address for this session (None if it offers none)."""
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except SsoRefusal:
            return None
        if not isinstance(endpoint, str) or not endpoint:
            return None
        query = urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": post_logout_redirect_uri,
                "client_id": self.config.client_id,
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError):
        raise SsoRefusal("the provider could not be reached", status=502) from None
    if not isinstance(data, dict):
        raise SsoRefusal("the provider's configuration could not be read", status=502)
    return data


def _code_refusal(error: str) -> SsoRefusal:
    if error == "invalid_grant":
        return SsoRefusal(
            "the sign-in code has already been used or has expired: sign in again", status=400
        )
    return SsoRefusal(
        f"the provider refused the sign-in ({error or 'no reason given'})", status=400
    )


def _claim_reason(claim: str) -> str:
    return {
        "aud": "the provider's answer was meant for another service (wrong audience)",
        "iss": "the answer came from a provider other than the one configured",
        "nonce": "the provider's answer does not belong to this sign-in",
        "sub": "the provider's answer does not say who you are",
        "iat": "the provider's answer has no time of issue",
        "exp": "the provider's answer has no expiry",
    }.get(claim, f"the provider's answer has a wrong {claim}")
