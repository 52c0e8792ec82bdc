"""Webhooks (issue 13 part 4): subscriptions to events, sent from a durable outbox, signed,
retried with backoff and logged, tested against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from edrm import clock
from edrm.errors import RefusedError
from edrm.runtime import Runtime
from edrm.webhooks.delivery import deliver_due
from edrm.webhooks.models import DELIVERED, PENDING, WebhookAttempt, WebhookDelivery
from edrm.webhooks.outbox import EVENTS
from edrm.webhooks.service import list_deliveries, subscribe
from tests.conftest import Cli, World, file_text

# A real receiver and real processes; one database engine is enough for the outbox.
pytestmark = pytest.mark.sqlite_only

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Received:
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers with the next status
    in `statuses` (200 when they run out); with `block` set it holds its first answer until
    `release` is set."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    block: bool = False
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            state.requests.append(Received(dict(self.headers.items()), body))
            state.arrived.set()
            if state.block and len(state.requests) == 1:
                state.release.wait(60)
            status = state.statuses.pop(0) if state.statuses else 200
            try:
                self.send_response(status)
                self.end_headers()
            except OSError:
                pass  # the sender was killed while we held the answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def at() -> Iterator[list[datetime]]:
    """The clock, held at a time the test moves on (at[0])."""
    moment = [clock.now()]
    clock.set_clock(lambda: moment[0])
    yield moment
    clock.set_clock(None)


def _subscribe(world: World, url: str, *events: str) -> tuple[int, str]:
    with world.runtime.uow() as s:
        made = subscribe(s, url, list(events), actor=world.people["admin"])
        return made.subscription.id, made.secret


def _deliveries(rt: Runtime) -> list[WebhookDelivery]:
    with rt.uow() as s:
        rows = list(s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
        s.expunge_all()
        return rows


def _expected_signature(secret: str, request: Received) -> str:
    signed = f"{request.headers['Webhook-Timestamp']}.{request.body}".encode()
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def test_a_filed_document_reaches_the_receiver_signed(world: World, receiver: Receiver) -> None:
    """Issue 13 part 4: a document filed is POSTed to the subscriber with Webhook-Id,
    Webhook-Timestamp and an HMAC-SHA256 Webhook-Signature the receiver can verify with the
    secret; the body names the document by id, class and marking, never by its title."""
    _, secret = _subscribe(world, receiver.url, "document.filed")
    with world.runtime.uow() as s:
        doc_id = file_text(s, world.runtime, "FIN-AP-INV-2024", "Invoice 77 from Zeta Ltd")
    result = deliver_due(world.runtime)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert result.delivered == [int(request.headers["Webhook-Id"])]
    assert hmac.compare_digest(
        request.headers["Webhook-Signature"], _expected_signature(secret, request)
    )
    body = json.loads(request.body)
    assert body["type"] == "document.filed"
    assert body["data"]["document"] == doc_id
    assert body["data"]["class"] == "FIN-AP-INV"
    assert body["data"]["folder"] == "FIN-AP-INV-2024"
    assert body["data"]["marking"] == "OFFICIAL"
    assert "Zeta" not in request.body
    assert [d.status for d in _deliveries(world.runtime)] == [DELIVERED]


def test_a_wrong_secret_does_not_verify(world: World, receiver: Receiver) -> None:
    """Issue 13 part 4: the signature depends on the subscription's secret (and the
    timestamp), so a receiver checking with another secret refuses the delivery."""
    _subscribe(world, receiver.url, "document.filed")
    with world.runtime.uow() as s:
        file_text(s, world.runtime, "FIN-AP-INV-2024", "Invoice 78")
    deliver_due(world.runtime)
    request = receiver.requests[0]
    assert request.headers["Webhook-Signature"] != _expected_signature("whsec_other", request)


def test_events_nobody_subscribed_to_are_not_sent(world: World, receiver: Receiver) -> None:
    """Issue 13 part 4: a subscription to holds gets no document events, and nothing at all
    is written to the outbox for an event no one subscribed to."""
    _subscribe(world, receiver.url, "hold.placed")
    with world.runtime.uow() as s:
        file_text(s, world.runtime, "FIN-AP-INV-2024", "Invoice 79")
    assert _deliveries(world.runtime) == []
    deliver_due(world.runtime)
    assert receiver.requests == []


def test_a_rolled_back_change_sends_nothing(world: World, receiver: Receiver) -> None:
    """Issue 13 part 4: the delivery is written in the same transaction as the change, so a
    filing that rolls back leaves no delivery and the receiver hears nothing."""
    _subscribe(world, receiver.url, "document.filed")
    with pytest.raises(RuntimeError), world.runtime.uow() as s:
        file_text(s, world.runtime, "FIN-AP-INV-2024", "Invoice that never was")
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
        raise RuntimeError("the change fails after filing")
    assert _deliveries(world.runtime) == []
    deliver_due(world.runtime)
    assert receiver.requests == []


def test_a_failing_receiver_gets_the_delivery_once_it_recovers(
    world: World, receiver: Receiver, at: list[datetime]
) -> None:
    """Issue 13 part 4: a receiver answering 500 twice then 200 gets the delivery on the third
    attempt; nothing is resent before the backoff (30 s, then 60 s) has passed, and the
    delivery log shows every attempt with its status and the next attempt's time."""
    receiver.statuses = [500, 500]
    sub_id, _ = _subscribe(world, receiver.url, "document.filed")
    with world.runtime.uow() as s:
        file_text(s, world.runtime, "FIN-AP-INV-2024", "Invoice 80")
    start = at[0]
    assert deliver_due(world.runtime).retrying
    assert deliver_due(world.runtime).as_dict() == {"delivered": [], "retrying": [], "failed": []}
    at[0] = start + timedelta(seconds=31)
    assert deliver_due(world.runtime).retrying
    at[0] = start + timedelta(seconds=31 + 59)
    assert not deliver_due(world.runtime).delivered  # the second backoff is 60 s
    at[0] = start + timedelta(seconds=31 + 61)
    assert deliver_due(world.runtime).delivered
    assert len(receiver.requests) == 3
    assert len({r.headers["Webhook-Id"] for r in receiver.requests}) == 1
    with world.runtime.uow() as s:
        (entry,) = list_deliveries(s, actor=world.people["admin"], subscription_id=sub_id)
        waits = [
            (a.next_attempt_at - a.at).total_seconds()
            for a in s.scalars(select(WebhookAttempt).order_by(WebhookAttempt.attempt))
            if a.next_attempt_at is not None
        ]
    assert entry["status"] == DELIVERED
    assert [a["status_code"] for a in entry["log"]] == [500, 500, 200]
    assert waits == [30.0, 60.0]


def test_a_delivery_interrupted_by_a_killed_process_is_sent_after_restart(
    world: World, receiver: Receiver, cli: Cli
) -> None:
    """Issue 13 part 4: an `edrm webhook deliver` process killed (SIGKILL) while the receiver
    holds its answer leaves the delivery pending under its claim; no other worker sends it
    while the claim lasts, and once it has run out the next pass delivers it. The receiver sees
    the same Webhook-Id twice: delivery is at least once, and receivers de-duplicate by id."""
    receiver.block = True
    _subscribe(world, receiver.url, "document.filed")
    with world.runtime.uow() as s:
        file_text(s, world.runtime, "FIN-AP-INV-2024", "Invoice 81")
    env = {**os.environ, **cli.env, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "edrm", "webhook", "deliver"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(300):  # up to a minute for the process to start and send
            if receiver.arrived.wait(0.2):
                break
            assert process.poll() is None, process.communicate()[0]
        assert receiver.arrived.is_set(), "the delivering process never reached the receiver"
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    receiver.release.set()
    (delivery,) = _deliveries(world.runtime)
    assert delivery.status == PENDING and delivery.lease_until is not None
    assert deliver_due(world.runtime).delivered == []  # still claimed by the dead process
    after_lease = delivery.lease_until + timedelta(seconds=1)
    assert deliver_due(world.runtime, now=after_lease).delivered == [delivery.id]
    assert [r.headers["Webhook-Id"] for r in receiver.requests] == [str(delivery.id)] * 2
    assert [d.status for d in _deliveries(world.runtime)] == [DELIVERED]


def test_only_administrators_may_subscribe(world: World, receiver: Receiver) -> None:
    """Issue 13 part 4: subscribing is an administrator's job; a records manager is refused."""
    with pytest.raises(RefusedError, match="only administrators"), world.runtime.uow() as s:
        subscribe(s, receiver.url, ["document.filed"], actor=world.people["recman"])


def test_holds_declarations_and_leavers_are_sent(world: World, receiver: Receiver) -> None:
    """Issue 13 part 4: a record declared, a hold placed and lifted and a leaver registered
    each reach a subscriber to every event, named by ids only."""
    from edrm.documents.service import declare_record
    from harvest.leavers import register_leaver
    from retention.holds import lift_hold, place_hold

    _subscribe(world, receiver.url, *EVENTS)
    recman = world.people["recman"]
    with world.runtime.uow() as s:
        declare_record(s, world.docs["invoice"], actor=recman)
    with world.runtime.uow() as s:
        hold = place_hold(
            s,
            reason="FOI 2026/1",
            authority="Counsel",
            actor=recman,
            document_id=world.docs["invoice"],
        )
        hold_id = hold.id
    with world.runtime.uow() as s:
        lift_hold(s, hold_id, reason="Settled", actor=recman)
    with world.runtime.uow() as s:
        register_leaver(
            s, "clerk", date(2031, 1, 31), successor=None, actor=world.people["hrofficer"]
        )
    deliver_due(world.runtime)
    bodies = [json.loads(r.body) for r in receiver.requests]
    assert [b["type"] for b in bodies] == [
        "record.declared",
        "hold.placed",
        "hold.lifted",
        "leaver.registered",
    ]
    assert bodies[1]["data"] == {"hold": hold_id, "scope": "doc", "documents": 1}
    assert bodies[3]["data"] == {"leaver": "clerk", "leaving_date": "2031-01-31"}
    assert not any("FOI" in r.body or "Settled" in r.body for r in receiver.requests)


def test_the_cli_shows_the_secret_once_and_logs_deliveries(
    world: World, receiver: Receiver, cli: Cli
) -> None:
    """Issue 13 part 4: `edrm webhook add` prints the id and the secret once; `list` never
    shows the secret; `deliver` sends what is due and `deliveries` shows the log."""
    added = cli(
        "webhook", "add", receiver.url, "--event", "document.filed", "--as", "admin", "--json"
    )
    assert added.exit_code == 0, added.output
    made = json.loads(added.output)
    assert made["secret"].startswith("whsec_")
    listed = cli("webhook", "list", "--as", "admin", "--json")
    assert made["secret"] not in listed.output
    assert [row["id"] for row in json.loads(listed.output)] == [made["id"]]
    with world.runtime.uow() as s:
        file_text(s, world.runtime, "FIN-AP-INV-2024", "Invoice 82")
    assert cli("webhook", "deliver", "--as", "admin").exit_code == 0
    log = json.loads(cli("webhook", "deliveries", "--as", "admin", "--json").output)
    assert [(d["event"], d["status"], d["log"][0]["status_code"]) for d in log] == [
        ("document.filed", "delivered", 200)
    ]
    refused = cli("webhook", "add", receiver.url, "--event", "hold.placed", "--as", "clerk")
    assert refused.exit_code == 1 and "only administrators" in refused.output
    assert cli("webhook", "remove", str(made["id"]), "--as", "admin").exit_code == 0


def test_a_sweep_that_queues_records_sends_one_disposal_due_event(
    world: World, receiver: Receiver
) -> None:
    """Issue 13 part 4: the retention sweep sends one `disposal.due` event per run that queued
    anything (however many items), naming how many and the first and last queue item ids."""
    from edrm.documents.service import declare_record
    from tests.retention.disposal_helpers import with_records_management
    from tests.retention.disposal_world import queue_due

    with_records_management(world)
    with world.runtime.uow() as s:
        declare_record(s, world.docs["invoice"], actor=world.people["recman"])
    _subscribe(world, receiver.url, "disposal.due")
    queued = queue_due(world.runtime)
    assert queued
    assert queue_due(world.runtime) == []  # nothing new: no event
    deliver_due(world.runtime)
    (request,) = receiver.requests
    data = json.loads(request.body)["data"]
    assert data == {
        "as_of": "2040-01-01",
        "queued": len(queued),
        "first_item": queued[0],
        "last_item": queued[-1],
    }


def test_the_subscriptions_are_read_once_per_transaction(world: World, receiver: Receiver) -> None:
    """Issue 13 part 4: the hook is cheap: filing several documents in one transaction asks
    the subscriptions table once, and a subscription made in the transaction is seen at once."""
    from sqlalchemy import event

    statements: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "FROM webhook_subscriptions" in statement:
            statements.append(statement)

    event.listen(world.runtime.engine, "before_cursor_execute", note)
    try:
        with world.runtime.uow() as s:
            for n in range(3):
                file_text(s, world.runtime, "FIN-AP-INV-2024", f"Unwatched invoice {n}")
            subscribe(s, receiver.url, ["document.filed"], actor=world.people["admin"])
            file_text(s, world.runtime, "FIN-AP-INV-2024", "Watched invoice")
    finally:
        event.remove(world.runtime.engine, "before_cursor_execute", note)
    assert len(statements) == 2  # once before the subscription, once after it
    assert [d.event for d in _deliveries(world.runtime)] == ["document.filed"]


def test_a_redirect_is_logged_and_retried_not_followed(world: World, receiver: Receiver) -> None:
    """Issue 13 part 4: a receiver answering 302 has not taken the delivery: the attempt is
    logged with its status and the delivery waits for its next attempt."""
    receiver.statuses = [302]
    _subscribe(world, receiver.url, "document.filed")
    with world.runtime.uow() as s:
        file_text(s, world.runtime, "FIN-AP-INV-2024", "Invoice 83")
    result = deliver_due(world.runtime)
    (delivery,) = _deliveries(world.runtime)
    assert result.retrying == [delivery.id]
    assert (delivery.status, delivery.last_status, len(receiver.requests)) == (PENDING, 302, 1)


def test_a_delivery_that_never_succeeds_fails_after_the_last_attempt(
    world: World, receiver: Receiver, at: list[datetime]
) -> None:
    """Issue 13 part 4: after `max_attempts` (8) failed attempts the delivery is `failed` and
    is not tried again; the log holds all eight."""
    receiver.statuses = [503] * 10
    _subscribe(world, receiver.url, "document.filed")
    with world.runtime.uow() as s:
        file_text(s, world.runtime, "FIN-AP-INV-2024", "Invoice 84")
    outcomes = []
    for _ in range(9):
        outcomes.append(deliver_due(world.runtime).as_dict())
        at[0] += timedelta(days=1)
    assert [bool(o["retrying"]) for o in outcomes] == [True] * 7 + [False, False]
    assert outcomes[7]["failed"] and not outcomes[8]["failed"]
    assert len(receiver.requests) == 8
    with world.runtime.uow() as s:
        (entry,) = list_deliveries(s, actor=world.people["admin"])
    assert (entry["status"], len(entry["log"])) == ("failed", 8)


def test_removing_a_subscription_drops_what_it_had_still_to_send(
    world: World, receiver: Receiver
) -> None:
    """Issue 13 part 4: once a subscription is removed nothing more goes to it (its unsent
    deliveries are marked failed, the log is kept) and new events are not queued for it."""
    from edrm.webhooks.service import unsubscribe

    sub_id, _ = _subscribe(world, receiver.url, "document.filed")
    with world.runtime.uow() as s:
        file_text(s, world.runtime, "FIN-AP-INV-2024", "Invoice 85")
    with world.runtime.uow() as s:
        assert unsubscribe(s, sub_id, actor=world.people["admin"]) == 1
    with world.runtime.uow() as s:
        file_text(s, world.runtime, "FIN-AP-INV-2024", "Invoice 86")
    deliver_due(world.runtime)
    assert receiver.requests == []
    assert [(d.status, d.last_error) for d in _deliveries(world.runtime)] == [
        ("failed", "the subscription was removed")
    ]
