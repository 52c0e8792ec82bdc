"""Sign-in resists guessing: failures counted per account and per client address in the database
(so several processes share the counts), a lockout that refuses without hashing, ends by itself
and can be cleared, a bounded number of hashes at once, and an audit trail whose actor is never
the typed name. On both databases."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm import clock
from edrm.audit import AuditEvent
from edrm.people import passwords
from edrm.runtime import Runtime
from edrm.settings import Settings
from tests.conftest import PASSWORD, Cli, add_person, sign_in

LOCKED = "Too many attempts. Try again in 15 minutes."
WRONG = "not-the-password"
T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def people(runtime: Runtime) -> None:
    with runtime.uow() as s:
        add_person(s, "clerk", "civil_servant", "OFFICIAL")
        add_person(s, "other", "civil_servant", "OFFICIAL")
        for n in range(21):
            add_person(s, f"user{n:02d}", "civil_servant", "OFFICIAL")


@pytest.fixture
def at() -> Iterator[Callable[[datetime], None]]:
    moment = [T0]
    clock.set_clock(lambda: moment[0])

    def set_to(when: datetime) -> None:
        moment[0] = when

    yield set_to
    clock.set_clock(None)


class CountingHasher(PasswordHasher):
    """Real argon2 (cheapest parameters) that counts the hashes it computes, and how many ran
    at once."""

    def __init__(self, pause: float = 0.0) -> None:
        params = CHEAPEST
        super().__init__(
            time_cost=params.time_cost,
            memory_cost=params.memory_cost,
            parallelism=params.parallelism,
            hash_len=params.hash_len,
            salt_len=params.salt_len,
        )
        self.pause = pause
        self.verified = 0
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        with self._lock:
            self.verified += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            time.sleep(self.pause)
            return super().verify(hash, password)
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def hasher() -> Iterator[CountingHasher]:
    counting = CountingHasher()
    passwords.use_password_hasher(counting)
    yield counting
    passwords.use_password_hasher(PasswordHasher.from_parameters(CHEAPEST))


def _basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.uow() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _fail(client: FlaskClient, username: str, times: int) -> None:
    """Wrong passwords: refused (200, the form again), the one that reaches a limit with 429."""
    for _ in range(times):
        assert sign_in(client, username, WRONG).status_code in (200, 429)


def _from(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


# --- per account ------------------------------------------------------------------------------


def test_the_sixth_attempt_after_five_wrong_passwords_is_refused_even_with_the_right_one(
    client: FlaskClient, people: None
) -> None:
    _fail(client, "clerk", 4)
    fifth = sign_in(client, "clerk", WRONG)
    assert fifth.status_code == 429 and LOCKED in fifth.text
    sixth = sign_in(client, "clerk", PASSWORD)
    assert sixth.status_code == 429
    assert LOCKED in sixth.text
    assert 14 * 60 < int(sixth.headers["Retry-After"]) <= 15 * 60
    assert client.get("/").status_code == 302  # not signed in


def test_four_wrong_passwords_do_not_lock_an_account(client: FlaskClient, people: None) -> None:
    _fail(client, "clerk", 4)
    assert sign_in(client, "clerk", PASSWORD).status_code == 302


def test_a_lockout_of_one_account_leaves_others_alone(client: FlaskClient, people: None) -> None:
    _fail(client, "clerk", 5)
    assert sign_in(client, "other", PASSWORD).status_code == 302


def test_the_api_answers_429_with_retry_after_and_a_problem_body_over_basic(
    client: FlaskClient, people: None
) -> None:
    for _ in range(5):
        client.get("/api/v1/jobs/1", headers=_basic("clerk", WRONG))
    response = client.get("/api/v1/jobs/1", headers=_basic("clerk", PASSWORD))
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert 14 * 60 < int(response.headers["Retry-After"]) <= 15 * 60
    body = response.get_json()
    assert body["status"] == 429 and body["detail"] == LOCKED and body["title"]


def test_a_refused_attempt_computes_no_password_hash(
    client: FlaskClient, people: None, hasher: CountingHasher
) -> None:
    _fail(client, "clerk", 5)
    hashed = hasher.verified
    assert hashed == 5
    for _ in range(10):
        client.get("/api/v1/jobs/1", headers=_basic("clerk", PASSWORD))
        sign_in(client, "clerk", PASSWORD)
    assert hasher.verified == hashed


def test_a_lockout_is_audited(client: FlaskClient, people: None, runtime: Runtime) -> None:
    _fail(client, "clerk", 5)
    [locked] = _events(runtime, "login.locked")
    assert (locked.actor, locked.object_type, locked.object_id) == ("system", "account", "clerk")
    assert locked.details_dict["failures"] == 5


def test_a_lockout_expires_by_itself(
    client: FlaskClient, people: None, at: Callable[[datetime], None]
) -> None:
    _fail(client, "clerk", 5)
    at(T0 + timedelta(minutes=14, seconds=59))
    assert sign_in(client, "clerk", PASSWORD).status_code == 429
    at(T0 + timedelta(minutes=15, seconds=1))
    assert sign_in(client, "clerk", PASSWORD).status_code == 302


def test_failures_from_before_a_lockout_ended_do_not_count_again(
    client: FlaskClient, people: None, at: Callable[[datetime], None]
) -> None:
    _fail(client, "clerk", 5)
    at(T0 + timedelta(minutes=16))
    assert sign_in(client, "clerk", WRONG).status_code == 200  # one new failure, not six
    assert sign_in(client, "clerk", PASSWORD).status_code == 302


def test_a_good_sign_in_clears_the_accounts_count(
    app: Flask, client: FlaskClient, people: None
) -> None:
    _fail(client, "clerk", 4)
    assert sign_in(app.test_client(), "clerk", PASSWORD).status_code == 302
    _fail(client, "clerk", 4)
    assert sign_in(client, "clerk", PASSWORD).status_code == 302


def test_failures_older_than_the_window_do_not_count(
    client: FlaskClient, people: None, at: Callable[[datetime], None]
) -> None:
    _fail(client, "clerk", 4)
    at(T0 + timedelta(minutes=16))
    _fail(client, "clerk", 4)
    assert sign_in(client, "clerk", PASSWORD).status_code == 302


def test_an_administrator_clears_a_lockout_with_edrm_user_unlock(
    client: FlaskClient, people: None, cli: Cli, runtime: Runtime
) -> None:
    _fail(client, "clerk", 5)
    result = cli("user", "unlock", "clerk", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"username": "clerk", "cleared": {"account": True}}
    assert sign_in(client, "clerk", PASSWORD).status_code == 302
    [unlocked] = _events(runtime, "login.unlocked")
    assert (unlocked.actor, unlocked.object_id) == ("system", "clerk")
    assert unlocked.details_dict == {"was_locked": True}


def test_unlocking_an_account_that_is_not_locked_says_so(people: None, cli: Cli) -> None:
    result = cli("user", "unlock", "clerk")
    assert result.exit_code == 0
    assert "was not locked out" in result.output


# --- per address ------------------------------------------------------------------------------


def test_twenty_failures_from_one_address_lock_that_address_out(
    app: Flask, people: None, runtime: Runtime, cli: Cli
) -> None:
    guesser = _from(app, "198.51.100.7")
    for n in range(20):  # one or two guesses per account: no account reaches its limit
        sign_in(guesser, f"user{n // 2:02d}", WRONG)
    refused = sign_in(guesser, "user20", PASSWORD)
    assert refused.status_code == 429 and LOCKED in refused.text
    elsewhere = _from(app, "203.0.113.9")
    assert sign_in(elsewhere, "user20", PASSWORD).status_code == 302
    [locked] = _events(runtime, "login.locked")
    assert (locked.object_type, locked.object_id) == ("address", "198.51.100.7")
    result = cli("user", "unlock", "user20", "--address", "198.51.100.7")
    assert result.exit_code == 0, result.output
    assert sign_in(guesser, "user20", PASSWORD).status_code == 302


# --- across processes -------------------------------------------------------------------------

_OTHER_PROCESS = """
import json, sys
from edrm.people import signin
from edrm.settings import load_settings
from edrm.wiring import build_runtime

home, url, password, times = sys.argv[1:5]
settings = load_settings({"home": home, "database_url": url, "secret_key": "k"}, environ={})
runtime = build_runtime(settings)
answers = []
for _ in range(int(times)):
    with runtime.uow() as s:
        result = signin.sign_in(
            s, "clerk", password, address="192.0.2.1", policy=signin.policy_for(settings)
        )
        answers.append(
            "signed in" if result.user else result.lockout.message() if result.lockout else "no"
        )
runtime.close()
print(json.dumps(answers))
"""


def _in_another_process(settings: Settings, password: str, times: int) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("EDRM_HOME", None)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _OTHER_PROCESS,
            str(settings.home),
            settings.db_url,
            password,
            str(times),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def test_a_second_process_sees_the_failures_of_the_first(
    client: FlaskClient, people: None, settings: Settings, runtime: Runtime
) -> None:
    assert _in_another_process(settings, WRONG, 3) == ["no", "no", "no"]
    _fail(client, "clerk", 1)  # this process adds to the other's count ...
    assert sign_in(client, "clerk", WRONG).status_code == 429  # ... and the fifth locks it
    assert _in_another_process(settings, PASSWORD, 1) == [LOCKED]
    assert len(_events(runtime, "login.failed")) == 5


# --- the audit trail --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["admin", "clerk", "no-such-person", "system\n2025-01-01 admin login", "x" * 300, "a\x00b"],
    ids=["existing-admin-name", "existing", "unknown", "newline", "long", "nul"],
)
def test_a_failed_sign_in_is_audited_as_anonymous_with_the_typed_name_in_the_details(
    client: FlaskClient, people: None, runtime: Runtime, typed: str
) -> None:
    response = client.get("/api/v1/jobs/1", headers=_basic(typed, WRONG))
    assert response.status_code == 401
    [failed] = _events(runtime, "login.failed")
    assert failed.actor == "anonymous"
    shown = failed.details_dict["typed"]
    assert len(shown) <= 64
    assert shown.isprintable()
    assert shown[:20] == typed[:20].replace("\n", "?").replace("\x00", "?")
    assert failed.details_dict["address"] == "127.0.0.1"


def test_a_failed_sign_in_from_the_page_is_audited_as_anonymous(
    client: FlaskClient, people: None, runtime: Runtime
) -> None:
    sign_in(client, "clerk", WRONG)
    [failed] = _events(runtime, "login.failed")
    assert (failed.actor, failed.object_id) == ("anonymous", "clerk")
    assert failed.details_dict["typed"] == "clerk"


def test_anonymous_and_system_cannot_be_account_names(runtime: Runtime) -> None:
    from edrm.errors import InvalidInputError

    with runtime.uow() as s:
        for name in ("anonymous", "system"):
            with pytest.raises(InvalidInputError, match="reserved"):
                add_person(s, name, "civil_servant", "OFFICIAL")


# --- hashing ----------------------------------------------------------------------------------


def test_no_more_password_hashes_run_at_once_than_the_slots_allow() -> None:
    """Real argon2 in eight threads, each hash held a moment: never more than two at once."""
    counting = CountingHasher(pause=0.05)
    passwords.use_password_hasher(counting)
    passwords.use_hash_slots(2)
    try:
        stored = counting.hash(PASSWORD)
        threads = [
            threading.Thread(target=passwords.verify_password, args=(stored, PASSWORD))
            for _ in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        passwords.use_password_hasher(PasswordHasher.from_parameters(CHEAPEST))
    assert counting.verified == 8
    assert counting.most_at_once == 2


def test_the_throttle_and_hash_slots_are_settings() -> None:
    from edrm.settings import load_settings

    s = load_settings({}, environ={})
    assert (
        s.sign_in_account_failures,
        s.sign_in_address_failures,
        s.sign_in_window_minutes,
        s.sign_in_lockout_minutes,
        s.password_hash_slots,
    ) == (5, 20, 15, 15, 2)


def test_a_smaller_account_limit_from_settings_applies(
    settings_overrides: dict[str, Any], people: None
) -> None:
    from tests.conftest import create_app_for_tests

    app = create_app_for_tests({**settings_overrides, "sign_in_account_failures": 2})
    try:
        client = app.test_client()
        sign_in(client, "clerk", WRONG)
        assert sign_in(client, "clerk", WRONG).status_code == 429
    finally:
        app.extensions["edrm"].close()
