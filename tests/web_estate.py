"""An installation with one of every kind of object a route can name, and a person of every role
at a low and a high clearance: what the authorisation matrix and the bad-input tests request.

People: `<role>_low` (OFFICIAL) and `<role>_high` (SECRET) for each `Role`; HR staff are in the
`hr` group. Objects: the small world's documents (the SECRET one is what document routes ask
for), a queue item and a legal hold on that SECRET record, an exported transfer, an ingest job
and a saved search of `civil_servant_low`, a declared skill of `civil_servant_high`, and a
leaver (lena, with her line manager and successor) whose harvest plan has one session; and what
/readyz looks for (a live worker's heartbeat, a scheduled job's recent start).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from edrm import clock
from edrm.access import SYSTEM, Principal
from edrm.people.roles import Role
from edrm.runtime import Runtime
from tests.conftest import World, add_person
from tests.retention.disposal_helpers import approve, with_records_management

LEVELS = {"low": "OFFICIAL", "high": "SECRET"}


def person_name(role: Role, level: str) -> str:
    return f"{role.value}_{level}"


@dataclass
class Estate:
    """The world, its matrix people, and the values to put in each route's parameters."""

    world: World
    people: dict[str, Principal]
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def runtime(self) -> Runtime:
        return self.world.runtime


def build_estate(world: World) -> Estate:
    """Long: every kind of object, made through the services as people would make them."""
    from edrm.ingest import jobs
    from edrm.saved_searches import save
    from harvest.directory.skills import declare_skill
    from harvest.directory.taxonomy import taxonomy_for
    from harvest.interviews.plans import start_plan
    from harvest.interviews.questions import load_question_banks
    from harvest.interviews.sessions import record_session
    from harvest.leavers import register_leaver
    from harvest.loader import load_harvest_config
    from retention.holds import place_hold
    from retention.transfer import export_transfer

    world = with_records_management(world)
    rt = world.runtime
    people: dict[str, Principal] = {}
    with rt.uow() as s:
        for role in Role:
            groups = ("hr",) if role is Role.HR else ()
            for level, clearance in LEVELS.items():
                name = person_name(role, level)
                people[name] = add_person(s, name, role.value, clearance, groups)
        for name in ("lena", "mo", "sam"):
            world.people[name] = add_person(s, name, "civil_servant", "OFFICIAL")
    recman = world.people["recman"]
    docs = world.docs
    with rt.uow() as s:
        secret_item = _queue_item(s, docs["secret"], "SEC-OPS-INC", "destroy")
        transfer_item = _queue_item(s, docs["old"], "FIN-AP-INV", "transfer")
        hold = place_hold(
            s,
            reason="Litigation: the data-centre intrusion",
            authority="Legal adviser",
            actor=recman,
            document_id=docs["secret"],
        )
        values: dict[str, Any] = {"item_id": secret_item, "hold_id": hold.id, "batch_id": 999_999}
    approve(rt, [transfer_item], recman)
    transfer = export_transfer(rt, actor=recman, item_ids=[transfer_item])
    owner = people["civil_servant_low"]
    taxonomy = taxonomy_for(rt.settings)
    with rt.uow() as s:
        job = jobs.submit(
            s,
            rt.blobs,
            io.BytesIO(b"A note for the matrix.\n"),
            "matrix-note.txt",
            jobs.Submission(submitted_by=owner.username, source="api"),
        )
        saved = save(s, owner, "Invoices", "invoice", {})
        skill = declare_skill(s, people["civil_servant_high"], taxonomy, "procurement", 3)
        declare_skill(s, people["civil_servant_low"], taxonomy, "procurement", 2)  # a community
        register_leaver(
            s,
            "lena",
            clock.now().date() + timedelta(days=90),
            successor="sam",
            manager="mo",
            reason="Moving to another department",
            actor=people["hr_high"],
        )
        values.update(job_id=job.id, saved_id=saved.id, skill_id=skill.id, bag_id=transfer.bag_id)
        # Issue 18: an open information request, its case officer information_rights_officer_high.
        from disclosure.loader import DisclosureConfig
        from disclosure.requests import open_request

        info_request = open_request(
            s,
            SYSTEM,
            kind="foi",
            received=clock.now().date() - timedelta(days=2),
            requester="Rita Requester",
            summary="Invoices from Acme",
            case_officer=person_name(Role.INFORMATION_RIGHTS_OFFICER, "high"),
            config=DisclosureConfig(),
        )
        values["request_id"] = info_request.id
        values["key"] = skill.name
        # Issue 13 part 2: an API token of civil_servant_low's (the tokens page revokes it).
        from edrm.people.tokens import TokenPolicy, create_token

        made = create_token(s, owner, ["read"], policy=TokenPolicy(), name="Nightly export")
        values["token_id"] = made.record.id
        # Issue 14 part 4: a live ingest worker and a scheduled job just started (/readyz).
        from edrm import job_lock
        from edrm.ingest import heartbeats

        heartbeats.beat(s, "matrix-worker")
        job_lock.acquire(s, "matrix-job", "matrix", timedelta(minutes=5))
    config = load_harvest_config(rt.settings.config_dir)
    with rt.uow() as s:
        start_plan(
            s,
            "lena",
            actor=people["hr_high"],
            config=config,
            banks=load_question_banks(rt.settings.config_dir),
        )
    with rt.uow() as s:
        interview = record_session(
            s, "lena", actor=people["hr_high"], answers={"unique_knowledge.only_you": "April."}
        )
        values["session_id"] = interview.id
    values.update(_information_request(world, people, docs["secret"], values["request_id"]))
    values.update(
        document_id=docs["secret"],
        version=1,
        code="HR-CASE-DIS",
        username="lena",
        kind="skill",
        filename="favicon.svg",
        topic="legal-holds",  # a help page
        group=1,  # an interview's first question group
    )
    return Estate(world, people, values)


def _information_request(
    world: World, people: dict[str, Principal], secret: int, request_id: int
) -> dict[str, Any]:
    """Issue 18 part 3: the estate's request holds the SECRET record, with an approved
    redaction on it."""
    from disclosure.bundles import add_records
    from disclosure.redaction_config import load_redaction_config
    from disclosure.redactions import approve as approve_redaction
    from disclosure.redactions import propose
    from disclosure.requests import get_request

    rt = world.runtime
    recman = world.people["recman"]
    with rt.uow() as s:
        add_records(s, recman, request_id, [secret])
        redaction = propose(
            s,
            load_redaction_config(rt.settings),
            actor=recman,
            request_id=request_id,
            document_id=secret,
            exemption="s31",
            term="intrusion",
        )
        approve_redaction(s, people["administrator_high"], redaction.id)
        reference = get_request(s, recman, request_id).reference
        return {"redaction_id": redaction.id, "number": 1, "reference": reference}


def _queue_item(s: Any, document_id: int, class_code: str, action: str) -> int:
    from datetime import date

    from retention.models import DisposalItem

    item = DisposalItem(
        document_id=document_id,
        rule_code="DESTROY-7Y",
        action=action,
        class_code=class_code,
        due_on=date(2024, 1, 1),
        stage=1,
        stages=1,
        status="pending",
        queued_at=clock.now(),
        progress={},
    )
    s.add(item)
    s.flush()
    return item.id


# --- requesting every route ---------------------------------------------------------------------

ANONYMOUS = "anonymous"


def principals() -> list[str]:
    """Every person the matrix asks as: each role at each clearance, then nobody."""
    return [person_name(role, level) for role in Role for level in LEVELS] + [ANONYMOUS]


def rule_path(rule: Any, values: dict[str, Any]) -> str:
    """The rule's path with the estate's value for each of its parameters."""
    from werkzeug.routing import Map

    bound = Map([rule.empty()]).bind("localhost")
    return bound.build(rule.endpoint, {a: values[a] for a in rule.arguments}, force_external=False)


def signed_in_clients(app: Any, names: list[str]) -> dict[str, Any]:
    """A client per person, signed in through the real form, and one that never signed in.
    Each keeps the CSRF token of its session in `csrf_token`, for its POSTs."""
    import re

    from tests.conftest import sign_in

    clients = {}
    for name in names:
        client = app.test_client()
        if name != ANONYMOUS:
            assert sign_in(client, name).status_code == 302, f"{name} could not sign in"
        page = client.get("/" if name != ANONYMOUS else "/sign-in")
        token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page.text)
        assert token, f"no CSRF token for {name}"
        client.csrf_token = token.group(1)
        clients[name] = client
    return clients


def basic_auth(name: str) -> dict[str, str]:
    import base64

    from tests.conftest import PASSWORD

    if name == ANONYMOUS:
        return {}
    token = base64.b64encode(f"{name}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}
