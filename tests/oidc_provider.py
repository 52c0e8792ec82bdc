"""A real OpenID provider process on 127.0.0.1 (oidc-provider-mock), and a person's part in a
sign-in through it: the provider's own authorisation form, answered as a chosen subject.

The provider admits any client id and redirect URI, sets the claims of a subject by
`PUT /users/<sub>`, and puts those claims in the ID token it signs (RS256, its own key, served
at /jwks). It accepts PKCE parameters without checking them (it registers no code-challenge
extension): edrm's side of PKCE is checked by the test that reads the authorisation request.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests


@dataclass(frozen=True)
class OpenIdProvider:
    issuer: str

    def set_claims(self, sub: str, **claims: Any) -> None:
        answer = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5)
        assert answer.status_code == 204, answer.text

    def authorize(self, authorization_url: str, sub: str) -> str:
        """Answer the provider's form as `sub`; the path and query it sends the browser back to."""
        answer = requests.post(
            authorization_url, data={"sub": sub}, allow_redirects=False, timeout=5
        )
        assert answer.status_code == 302, answer.text
        back = urlsplit(answer.headers["Location"])
        return f"{back.path}?{back.query}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_provider() -> Iterator[OpenIdProvider]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None, "the OpenID provider did not start"
            assert time.monotonic() < deadline, "the OpenID provider did not answer in time"
            time.sleep(0.05)
        yield OpenIdProvider(issuer)
    finally:
        process.terminate()
        process.wait(timeout=10)
