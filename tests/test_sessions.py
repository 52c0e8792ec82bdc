"""Server-side sessions: the cookie is a random id, and a session ends when it should — signing
out, a password change, deactivation, a change of role or clearance (from the web or the CLI),
the idle limit and the absolute limit. On both databases."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm import clock
from edrm.audit import AuditEvent
from edrm.people.sessions import SignInSession
from edrm.runtime import Runtime
from tests.conftest import PASSWORD, Cli, add_person, sign_in

COOKIE = "edrm_session"
T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def people(runtime: Runtime) -> None:
    with runtime.uow() as s:
        add_person(s, "clerk", "civil_servant", "OFFICIAL")
        add_person(s, "other", "civil_servant", "OFFICIAL")
        add_person(s, "admin", "administrator", "TOP SECRET")


@pytest.fixture
def at() -> Iterator[Callable[[datetime], None]]:
    """Set the clock (edrm.clock) to a moment; the real clock is back after the test."""
    moment = [T0]
    clock.set_clock(lambda: moment[0])

    def set_to(when: datetime) -> None:
        moment[0] = when

    yield set_to
    clock.set_clock(None)


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "no session cookie"
    return cookie.value


def _client_with(app: Flask, cookie: str) -> FlaskClient:
    """Another browser that has a copy of a captured session cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie)
    return thief


def _csrf(client: FlaskClient, path: str = "/") -> str:
    match = re.search(
        r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', client.get(path).text
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _sign_out(client: FlaskClient) -> None:
    response = client.post("/sign-out", data={"csrf_token": _csrf(client)})
    assert response.status_code == 302


def _sessions_of(runtime: Runtime, username: str) -> int:
    from edrm.people.models import User

    with runtime.uow() as s:
        rows = s.scalars(select(SignInSession).join(User).where(User.username == username)).all()
        return len(rows)


def _actions(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.uow() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- the cookie -------------------------------------------------------------------------------


def test_the_cookie_carries_only_a_random_session_id_stored_hashed(
    client: FlaskClient, people: None, runtime: Runtime
) -> None:
    sign_in(client, "clerk")
    token = _cookie(client)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert "clerk" not in token
    with runtime.uow() as s:
        stored = s.scalars(select(SignInSession.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


def test_a_cookie_captured_before_sign_out_is_refused_after(
    app: Flask, client: FlaskClient, people: None
) -> None:
    sign_in(client, "clerk")
    captured = _cookie(client)
    assert _signed_in(_client_with(app, captured))
    _sign_out(client)
    thief = _client_with(app, captured)
    response = thief.get("/")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]
    assert thief.get("/api/v1/jobs/1").status_code == 401


def test_signing_out_ends_every_session_of_that_person_but_not_of_others(
    app: Flask, people: None
) -> None:
    laptop, phone, colleague = app.test_client(), app.test_client(), app.test_client()
    sign_in(laptop, "clerk")
    sign_in(phone, "clerk")
    sign_in(colleague, "other")
    _sign_out(laptop)
    assert not _signed_in(phone)
    assert _signed_in(colleague)


def test_signing_in_again_replaces_the_browsers_session(
    client: FlaskClient, people: None, runtime: Runtime
) -> None:
    sign_in(client, "clerk")
    first = _cookie(client)
    sign_in(client, "clerk")
    assert _cookie(client) != first
    assert _sessions_of(runtime, "clerk") == 1
    assert _signed_in(client)


def test_a_made_up_session_id_signs_nobody_in(app: Flask, people: None) -> None:
    assert not _signed_in(_client_with(app, "A" * 43))


# --- changes to the person end their sessions --------------------------------------------------


def test_a_password_change_ends_every_session_of_that_person(
    app: Flask, client: FlaskClient, people: None, cli: Cli
) -> None:
    sign_in(client, "clerk")
    result = cli("user", "password", "clerk", "--password-stdin", input="a-new-password-1\n")
    assert result.exit_code == 0, result.output
    assert not _signed_in(client)
    assert sign_in(client, "clerk", PASSWORD).status_code == 200  # the old one is refused
    assert sign_in(client, "clerk", "a-new-password-1").status_code == 302


def test_a_password_change_through_the_service_ends_sessions_too(
    app: Flask, client: FlaskClient, people: None, runtime: Runtime
) -> None:
    from edrm.people.service import change_password

    sign_in(client, "clerk")
    with runtime.uow() as s:
        change_password(s, "clerk", "another-password-2")
    assert not _signed_in(client)
    [event] = _actions(runtime, "user.password")
    assert event.details_dict == {"sessions_ended": 1}


def test_deactivation_ends_every_session_of_that_person(
    client: FlaskClient, people: None, cli: Cli, runtime: Runtime
) -> None:
    sign_in(client, "clerk")
    assert cli("user", "deactivate", "clerk").exit_code == 0
    assert _sessions_of(runtime, "clerk") == 0
    assert not _signed_in(client)
    assert sign_in(client, "clerk").status_code == 200  # a deactivated account cannot sign in


def test_a_role_change_ends_every_session_of_that_person(
    client: FlaskClient, people: None, cli: Cli, runtime: Runtime
) -> None:
    sign_in(client, "clerk")
    result = cli("user", "update", "clerk", "--role", "records_manager")
    assert result.exit_code == 0, result.output
    assert not _signed_in(client)
    [event] = _actions(runtime, "user.access")
    assert event.details_dict["role"] == ["civil_servant", "records_manager"]


def test_a_clearance_change_ends_every_session_of_that_person(
    client: FlaskClient, people: None, cli: Cli
) -> None:
    sign_in(client, "clerk")
    result = cli("user", "update", "clerk", "--clearance", "SECRET")
    assert result.exit_code == 0, result.output
    assert not _signed_in(client)


def test_an_administrator_ends_a_persons_sessions_from_the_cli(
    client: FlaskClient, people: None, cli: Cli
) -> None:
    sign_in(client, "clerk")
    result = cli("user", "sign-out", "clerk")
    assert result.exit_code == 0, result.output
    assert "ended 1 session of clerk" in result.output
    assert not _signed_in(client)


def test_a_change_that_changes_nothing_leaves_sessions_alone(
    client: FlaskClient, people: None, cli: Cli
) -> None:
    sign_in(client, "clerk")
    assert cli("user", "update", "clerk", "--role", "civil_servant").exit_code == 0
    assert _signed_in(client)


def test_only_an_administrator_may_change_another_persons_account(
    people: None, runtime: Runtime
) -> None:
    from edrm.errors import RefusedError
    from edrm.people.service import change_access, change_password, principal_for

    with runtime.uow() as s:
        other = principal_for(s, "other")
        with pytest.raises(RefusedError):
            change_access(s, "clerk", clearance="SECRET", actor=other)
        with pytest.raises(RefusedError):
            change_password(s, "clerk", "x" * 12, actor=other)
        change_password(s, "other", "my-own-new-password", actor=other)  # one's own is fine


# --- limits -----------------------------------------------------------------------------------


def test_a_session_ends_after_the_idle_limit(
    client: FlaskClient, people: None, at: Callable[[datetime], None]
) -> None:
    sign_in(client, "clerk")
    at(T0 + timedelta(hours=7, minutes=59))
    assert _signed_in(client)
    at(T0 + timedelta(hours=7, minutes=59) + timedelta(hours=8, minutes=1))
    assert not _signed_in(client)


def test_activity_does_not_keep_a_session_past_the_absolute_limit(
    client: FlaskClient, people: None, at: Callable[[datetime], None]
) -> None:
    sign_in(client, "clerk")
    for hours in (3, 6, 9, 11.9):
        at(T0 + timedelta(hours=hours))
        assert _signed_in(client), f"signed out after {hours} hours of activity"
    at(T0 + timedelta(hours=12, minutes=1))
    assert not _signed_in(client)


def test_the_limits_are_settings(
    settings_overrides: dict[str, Any], people: None, at: Callable[[datetime], None]
) -> None:
    from edrm.settings import load_settings
    from tests.conftest import create_app_for_tests

    defaults = load_settings({}, environ={})
    assert (defaults.session_minutes, defaults.session_absolute_minutes) == (480, 720)
    app = create_app_for_tests(
        {**settings_overrides, "session_minutes": 10, "session_absolute_minutes": 30}
    )
    try:
        client = app.test_client()
        sign_in(client, "clerk")
        at(T0 + timedelta(minutes=9))
        assert _signed_in(client)
        at(T0 + timedelta(minutes=20))
        assert not _signed_in(client)
    finally:
        app.extensions["edrm"].close()


def test_an_ended_sessions_cookie_is_removed(
    client: FlaskClient, people: None, at: Callable[[datetime], None]
) -> None:
    sign_in(client, "clerk")
    at(T0 + timedelta(hours=13))
    response = client.get("/")
    assert response.status_code == 302
    assert client.get_cookie(COOKIE) is None


# --- what a session holds ---------------------------------------------------------------------


def test_forms_keep_working_within_a_server_side_session(client: FlaskClient, people: None) -> None:
    """The CSRF token lives in the session row: a token from one page is good on the next."""
    sign_in(client, "clerk")
    token = _csrf(client)
    response = client.post("/sign-out", data={"csrf_token": token})
    assert response.status_code == 302
    assert not _signed_in(client)


# --- next= ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/\n", "/fileplan/\r\nSet-Cookie: x=1", "/\\evil.example", "/é", "/\x00", "//evil.example"],
    ids=["newline", "header-injection", "backslash", "non-ascii", "nul", "other-site"],
)
def test_an_odd_next_redirects_home_with_a_valid_session_and_a_login_event(
    client: FlaskClient, people: None, runtime: Runtime, target: str
) -> None:
    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page.text)
    assert token
    response = client.post(
        "/sign-in",
        query_string={"next": target},
        data={"username": "clerk", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert _signed_in(client)
    assert [e.actor for e in _actions(runtime, "login")] == ["clerk"]


def test_a_plain_local_next_is_followed(client: FlaskClient, people: None) -> None:
    client.get("/fileplan/")
    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page.text)
    assert token
    response = client.post(
        "/sign-in?next=/fileplan/",
        data={"username": "clerk", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.headers["Location"] == "/fileplan/"
