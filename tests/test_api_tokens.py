"""API tokens (issue 13 part 2): made and shown once, kept only as a hash, sent as
`Authorization: Bearer …`, acting with their person's access narrowed by their scopes, revoked by
their owner or an administrator, and throttled per token."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from edrm import clock
from edrm.audit import AuditEvent
from edrm.errors import InvalidInputError, NotFoundError
from edrm.people.service import set_active
from edrm.people.tokens import ApiToken, TokenPolicy, create_token, revoke_token
from tests.conftest import Cli, World, create_app_for_tests, sign_in

pytestmark = pytest.mark.sqlite_only  # the web layer over services tested on both engines

POLICY = TokenPolicy(default_days=90, max_days=365)


def make_token(world: World, who: str, *scopes: str, **kwargs: Any) -> tuple[int, str]:
    with world.runtime.uow() as s:
        made = create_token(s, world.people[who], list(scopes), policy=POLICY, **kwargs)
        return made.record.id, made.token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_row(world: World, token_id: int) -> ApiToken:
    with world.runtime.uow() as s:
        row = s.get(ApiToken, token_id)
        assert row is not None
        s.expunge(row)
        return row


def test_a_token_is_shown_once_and_the_database_holds_only_its_hash(world: World) -> None:
    """Issue 13 part 2: shown once / stored as hash — no column of the table holds the secret."""
    _token_id, token = make_token(world, "clerk", "read")
    secret = token.split("_", 2)[2]
    with world.runtime.uow() as s:
        rows = s.execute(text("SELECT * FROM api_tokens")).all()
    assert len(rows) == 1
    assert not any(secret in str(value) for value in rows[0])
    assert not any(token in str(value) for value in rows[0])


def test_a_read_token_may_get_what_its_person_may_see(world: World, client: FlaskClient) -> None:
    """Issue 13 part 2: Bearer works for GET with the read scope, with the person's access."""
    _id, token = make_token(world, "clerk", "read")
    mine = client.get(f"/api/v1/documents/{world.docs['invoice']}", headers=bearer(token))
    assert mine.status_code == 200
    secret = client.get(f"/api/v1/documents/{world.docs['secret']}", headers=bearer(token))
    assert secret.status_code == 404  # above the clerk's clearance, token or not


def test_a_change_without_the_write_scope_is_refused(world: World, client: FlaskClient) -> None:
    """Issue 13 part 2: 403 problem details for a POST by a token without `write`."""
    _id, token = make_token(world, "clerk", "read")
    answer = client.post("/api/v1/documents", headers=bearer(token))
    assert answer.status_code == 403
    assert answer.mimetype == "application/problem+json"
    assert "write" in answer.get_json()["detail"]


def test_a_write_token_may_change_without_a_csrf_header(world: World, client: FlaskClient) -> None:
    """Issue 13 part 2: a token with `write` posts (no CSRF token: it is not a browser)."""
    _id, token = make_token(world, "clerk", "read", "write")
    answer = client.post("/api/v1/documents", headers=bearer(token))
    assert answer.status_code == 400  # past authentication and scopes: no files were sent


def test_a_records_route_needs_the_records_scope(world: World, client: FlaskClient) -> None:
    """Issue 13 part 2: 403 on a records-management route without `records`, even for a
    records manager; with it, the records manager's access applies."""
    _id, plain = make_token(world, "recman", "read")
    assert client.get("/api/v1/holds", headers=bearer(plain)).status_code == 403
    _id, records = make_token(world, "recman", "read", "records")
    answer = client.get("/api/v1/holds", headers=bearer(records))
    assert answer.status_code == 200
    assert answer.get_json()["holds"] == []


def test_the_records_scope_gives_no_more_than_the_person_has(
    world: World, client: FlaskClient
) -> None:
    """Issue 13 part 2: a token narrows its person's access, never widens it."""
    _id, token = make_token(world, "clerk", "read", "records")
    assert client.get("/api/v1/holds", headers=bearer(token)).status_code == 403


def test_an_hr_route_needs_the_hr_scope(world: World, client: FlaskClient) -> None:
    """Issue 13 part 2: leavers' API routes need `hr`."""
    _id, plain = make_token(world, "hrofficer", "read")
    assert client.get("/api/v1/leavers", headers=bearer(plain)).status_code == 403
    _id, hr = make_token(world, "hrofficer", "read", "hr")
    assert client.get("/api/v1/leavers", headers=bearer(hr)).status_code == 200


def _refused_as_invalid(answer: Any) -> None:
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert answer.mimetype == "application/problem+json"


def test_an_unknown_token_is_refused(world: World, client: FlaskClient) -> None:
    """Issue 13 part 2: 401 invalid_token for a token that was never made (or is mistyped)."""
    _token_id, token = make_token(world, "clerk", "read")
    for wrong in ("edrm_nothing_here", "not-a-token", token[:-2] + "xx"):
        _refused_as_invalid(client.get("/api/v1/search?q=x", headers=bearer(wrong)))


def test_an_expired_token_is_refused(world: World, client: FlaskClient) -> None:
    """Issue 13 part 2: 401 invalid_token once a token's expiry has passed."""
    token_id, token = make_token(world, "clerk", "read", expires_days=1)
    with world.runtime.uow() as s:
        row = s.get(ApiToken, token_id)
        assert row is not None
        row.expires_at = clock.now() - timedelta(seconds=1)
    answer = client.get("/api/v1/search?q=x", headers=bearer(token))
    _refused_as_invalid(answer)
    assert "expired" in answer.get_json()["detail"]


def test_a_token_revoked_by_its_owner_stops_working(world: World, client: FlaskClient) -> None:
    """Issue 13 part 2: revoked by its owner, 401 invalid_token."""
    token_id, token = make_token(world, "clerk", "read")
    assert client.get("/api/v1/search?q=x", headers=bearer(token)).status_code == 200
    with world.runtime.uow() as s:
        revoke_token(s, token_id, world.people["clerk"])
    _refused_as_invalid(client.get("/api/v1/search?q=x", headers=bearer(token)))


def test_an_administrator_may_revoke_anyones_token(world: World, client: FlaskClient) -> None:
    """Issue 13 part 2: revoke by an administrator (and it is recorded who did)."""
    token_id, token = make_token(world, "clerk", "read")
    with world.runtime.uow() as s:
        revoke_token(s, token_id, world.people["admin"])
    _refused_as_invalid(client.get("/api/v1/search?q=x", headers=bearer(token)))
    assert token_row(world, token_id).revoked_by == "admin"


def test_another_person_cannot_revoke_a_token(world: World) -> None:
    """Issue 13 part 2: to anyone but its owner and administrators a token does not exist."""
    token_id, _token = make_token(world, "clerk", "read")
    with world.runtime.uow() as s, pytest.raises(NotFoundError):
        revoke_token(s, token_id, world.people["recman"])
    assert token_row(world, token_id).revoked_at is None


def test_a_deactivated_persons_tokens_stop_working(world: World, client: FlaskClient) -> None:
    """Issue 13 part 2: a deactivated owner's token is refused (401 invalid_token)."""
    _id, token = make_token(world, "clerk", "read")
    with world.runtime.uow() as s:
        set_active(s, "clerk", False)
    _refused_as_invalid(client.get("/api/v1/search?q=x", headers=bearer(token)))


def test_a_token_call_notes_its_last_use_at_most_once_a_minute(
    world: World, client: FlaskClient
) -> None:
    """Issue 13 part 2: last used (time and address) is updated, not on every call."""
    token_id, token = make_token(world, "clerk", "read")
    assert token_row(world, token_id).last_used_at is None
    client.get(
        "/api/v1/search?q=x", headers=bearer(token), environ_base={"REMOTE_ADDR": "10.1.2.3"}
    )
    first = token_row(world, token_id)
    assert first.last_used_at is not None and first.last_used_from == "10.1.2.3"
    client.get("/api/v1/search?q=x", headers=bearer(token))
    assert token_row(world, token_id).last_used_at == first.last_used_at


def test_a_token_call_is_not_audited_as_a_sign_in(world: World, client: FlaskClient) -> None:
    """Issue 13 part 2: token calls write no login entry (HTTP Basic still does)."""
    _id, token = make_token(world, "clerk", "read")
    for _ in range(3):
        assert client.get("/api/v1/search?q=x", headers=bearer(token)).status_code == 200
    with world.runtime.uow() as s:
        logins = s.scalars(select(AuditEvent).where(AuditEvent.action == "login")).all()
    assert logins == []


def test_a_burst_beyond_the_limit_answers_too_many_requests(
    world: World, settings_overrides: dict[str, Any]
) -> None:
    """Issue 13 part 2: throttled per token — past the per-minute limit, 429 with Retry-After;
    another token of the same person is not held back."""
    app: Flask = create_app_for_tests({**settings_overrides, "api_token_requests_per_minute": 3})
    try:
        client = app.test_client()
        _id, token = make_token(world, "clerk", "read")
        answers = [client.get("/api/v1/search?q=x", headers=bearer(token)) for _ in range(5)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
        assert int(answers[-1].headers["Retry-After"]) >= 1
        _id, other = make_token(world, "clerk", "read")
        assert client.get("/api/v1/search?q=x", headers=bearer(other)).status_code == 200
    finally:
        app.extensions["edrm"].close()


def test_an_expiry_above_the_maximum_is_refused(world: World) -> None:
    """Issue 13 part 2: expiry max refused, in one clear line naming the maximum."""
    with world.runtime.uow() as s, pytest.raises(InvalidInputError, match="at most 365 days"):
        create_token(s, world.people["clerk"], ["read"], policy=POLICY, expires_days=366)


def test_a_new_token_lasts_ninety_days_by_default(world: World) -> None:
    """Issue 13 part 2: the default expiry is 90 days."""
    token_id, _token = make_token(world, "clerk", "read")
    row = token_row(world, token_id)
    assert row.expires_at - row.created_at == timedelta(days=90)


# --- the CLI contract ---------------------------------------------------------------------------


def test_token_create_answers_the_contracts_keys(world: World, cli: Cli) -> None:
    """Issue 13 part 2: `edrm token create … --json` → id, token, scopes, expires."""
    made = cli("token", "create", "--as", "clerk", "--scope", "read", "--scope", "write",
               "--name", "case system", "--expires-days", "30", "--json")  # fmt: skip
    assert made.exit_code == 0, made.output
    out = json.loads(made.output)
    assert {"id", "token", "scopes", "expires"} <= set(out)
    assert out["scopes"] == ["read", "write"] and out["token"].startswith("edrm_")


def test_token_list_never_shows_the_secret(world: World, cli: Cli) -> None:
    """Issue 13 part 2: `edrm token list --json` names each token's state, never its secret."""
    _id, token = make_token(world, "clerk", "read", name="nightly export")
    listed = cli("token", "list", "--as", "clerk", "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [r["name"] for r in rows] == ["nightly export"]
    keys = {"id", "name", "scopes", "created", "expires", "last_used", "last_used_from", "revoked"}
    assert keys <= set(rows[0])
    assert token.split("_", 2)[2] not in listed.output


def test_token_revoke_by_another_person_is_not_found(world: World, cli: Cli) -> None:
    """Issue 13 part 2: `edrm token revoke` by someone else: not found, one line."""
    token_id, _token = make_token(world, "clerk", "read")
    refused = cli("token", "revoke", str(token_id), "--as", "analyst")
    assert refused.exit_code == 1
    assert refused.output.strip() == f"edrm: error: token {token_id} not found"
    assert cli("token", "revoke", str(token_id), "--as", "clerk").exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--scope", "everything"), "unknown scope 'everything'"),
        (("--scope", "read", "--expires-days", "999"), "at most 365 days"),
    ],
)
def test_token_create_refuses_bad_input_in_one_line(
    world: World, cli: Cli, args: tuple[str, ...], message: str
) -> None:
    """Issue 13 part 2: an unknown scope or an expiry above the maximum: one clear line."""
    refused = cli("token", "create", "--as", "clerk", *args, "--json")
    assert refused.exit_code == 1
    lines = refused.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("edrm: error:") and message in lines[0]


# --- the page -----------------------------------------------------------------------------------


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_the_page_creates_a_token_and_shows_it_once(world: World, client: FlaskClient) -> None:
    """Issue 13 part 2: the API tokens page makes a token, shows it once, then lists it without
    its secret; the token works."""
    sign_in(client, "clerk")
    page = client.get("/account/tokens")
    made = client.post(
        "/account/tokens",
        data={"csrf_token": _csrf(page.text), "name": "my script", "scopes": ["read"],
              "expires_days": "30"},
    )  # fmt: skip
    assert made.status_code == 200
    token = re.search(r'id="new-token"[^>]*>(edrm_[^<]+)<', made.text)
    assert token and "will not be shown again" in made.text
    again = client.get("/account/tokens")
    assert "my script" in again.text and token.group(1) not in again.text
    assert client.get("/api/v1/search?q=x", headers=bearer(token.group(1))).status_code == 200


def test_the_page_names_a_missing_scope(world: World, client: FlaskClient) -> None:
    """Issue 13 part 2: creating without a scope shows the error, linked to the field."""
    sign_in(client, "clerk")
    page = client.get("/account/tokens")
    answer = client.post("/account/tokens", data={"csrf_token": _csrf(page.text), "name": "x"})
    assert answer.status_code == 400
    assert 'href="#scopes"' in answer.text and 'id="scopes"' in answer.text


def test_the_page_revokes_ones_own_token(world: World, client: FlaskClient) -> None:
    """Issue 13 part 2: revoking from the page; another person's token is not found there."""
    token_id, _token = make_token(world, "clerk", "read", name="old")
    others_id, _other = make_token(world, "analyst", "read")
    sign_in(client, "clerk")
    csrf = _csrf(client.get("/account/tokens").text)
    assert (
        client.post(f"/account/tokens/{others_id}/revoke", data={"csrf_token": csrf}).status_code
        == 404
    )
    answer = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert answer.status_code == 302
    assert token_row(world, token_id).revoked_at is not None
    assert token_row(world, others_id).revoked_at is None


def test_an_administrator_makes_a_token_for_a_service_account(world: World, cli: Cli) -> None:
    """Issue 13 part 2: `edrm token create --as admin --for USER` makes USER's token (a service
    account is an ordinary account); anyone else is refused in one line."""
    made = cli("token", "create", "--as", "admin", "--for", "clerk", "--scope", "read", "--json")
    assert made.exit_code == 0, made.output
    token_id = json.loads(made.output)["id"]
    assert token_row(world, token_id).user.username == "clerk"
    refused = cli("token", "create", "--as", "analyst", "--for", "clerk", "--scope", "read")
    assert refused.exit_code == 1
    assert "only an administrator may make a token for another person" in refused.output


# --- service accounts -----------------------------------------------------------------------------


def _add_service(cli: Cli, name: str = "casework") -> dict[str, Any]:
    made = cli("user", "add-service", name, "--role", "civil_servant", "--clearance", "OFFICIAL",
               "--group", "finance", "--full-name", "Case-working system", "--json")  # fmt: skip
    assert made.exit_code == 0, made.output
    out: dict[str, Any] = json.loads(made.output)
    return out


def test_a_service_account_is_made_without_a_password(world: World, cli: Cli) -> None:
    """Issue 13 part 2: `edrm user add-service` makes an account of kind "service" that no
    password opens; `edrm user list --json` names its kind."""
    out = _add_service(cli)
    assert out == {"username": "casework", "kind": "service", "role": "civil_servant",
                   "clearance": "OFFICIAL", "groups": ["finance"]}  # fmt: skip
    listed = {u["username"]: u for u in json.loads(cli("user", "list", "--json").output)}
    assert listed["casework"]["kind"] == "service" and listed["clerk"]["kind"] == "person"


def test_a_service_account_cannot_sign_in_to_the_pages(
    world: World, cli: Cli, client: FlaskClient
) -> None:
    """Issue 13 part 2: a service account never signs in, whatever password is tried, and the
    refusal is audited with the reason."""
    _add_service(cli)
    for password in ("", "casework", "demo-password-2025"):
        answer = sign_in(client, "casework", password)
        assert b"Sign out" not in answer.data
    with world.runtime.uow() as s:
        reasons = {
            json.loads(e.details).get("reason")
            for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed"))
        }
    assert "service account: it signs in only with an API token" in reasons


def test_a_service_account_gets_no_password(world: World, cli: Cli) -> None:
    """Issue 13 part 2: giving a service account a password is refused in one line."""
    _add_service(cli)
    refused = cli("user", "password", "casework", "--password-stdin", input="long-enough-pw\n")
    assert refused.exit_code == 1
    assert "casework is a service account: it has no password" in refused.output


def test_a_service_accounts_token_acts_with_its_access(
    world: World, cli: Cli, client: FlaskClient
) -> None:
    """Issue 13 part 2: an administrator makes the service account a token; it reads what the
    account may see and nothing more, and calls are audited under the account's name."""
    _add_service(cli)
    made = cli("token", "create", "--as", "admin", "--for", "casework", "--scope", "read",
               "--name", "case-working system", "--json")  # fmt: skip
    assert made.exit_code == 0, made.output
    token = json.loads(made.output)["token"]
    assert (
        client.get(f"/api/v1/documents/{world.docs['invoice']}", headers=bearer(token)).status_code
        == 200
    )
    assert (
        client.get(f"/api/v1/documents/{world.docs['secret']}", headers=bearer(token)).status_code
        == 404
    )
    refused = cli("token", "create", "--as", "clerk", "--for", "casework", "--scope", "read")
    assert refused.exit_code == 1
