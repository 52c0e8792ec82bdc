"""The authorisation matrix of the command line: every command that takes `--as`, run as every
role at a low and a high clearance, either runs (exit 0) or is refused with one clear line
(exit 1, "edrm: error: …", no traceback) as this table says.

The commands come from the click command tree, so a command given `--as` without a row here
fails the suite. Arguments name the estate's objects (tests/web_estate.py); where a command
changes or consumes what it names (a hold lifted, a folder closed, a transfer confirmed), each
run gets an object of its own, made just before it.

How a row reads: who may run it ("*" everyone, a role, a clearance "low"/"high", or both as
"role:level"), each mapped to 0 (it runs) or to the words its one-line refusal contains.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from edrm.cli import main
from edrm.people.roles import Role
from tests.conftest import World, file_text
from tests.retention.disposal_helpers import approve
from tests.web_estate import LEVELS, Estate, build_estate, person_name

# The CLI over services tested on both databases; one database is enough for who may.
pytestmark = [pytest.mark.sqlite_only, pytest.mark.slow]

Args = Callable[[Estate, str, Path], list[str]]

RM = "records managers"
NOT_FOUND = "not found"


def fixed(*args: str) -> Args:
    return lambda estate, who, tmp: [a.format(who=who, **estate.values) for a in args]


def _new_document(estate: Estate, who: str = "") -> int:
    with estate.runtime.uow() as s:
        return file_text(s, estate.runtime, "FIN-AP-INV", f"Invoice for {who or 'all'}")


def _new_item(estate: Estate, action: str = "destroy") -> int:
    from tests.web_estate import _queue_item

    doc = _new_document(estate)
    with estate.runtime.uow() as s:
        return _queue_item(s, doc, "FIN-AP-INV", action)


def _new_hold(estate: Estate, *, lifted: bool = False) -> int:
    from retention.holds import lift_hold, place_hold

    recman = estate.world.people["recman"]
    with estate.runtime.uow() as s:
        hold = place_hold(
            s,
            reason="A matter",
            authority="Counsel",
            actor=recman,
            document_id=_new_document(estate),
        )
        if lifted:
            lift_hold(s, hold.id, reason="Settled", actor=recman)
        return hold.id


def _new_folder(estate: Estate, who: str) -> str:
    from edrm.fileplan.service import create_folder

    code = f"FIN-AP-INV-C-{who}".upper()
    with estate.runtime.uow() as s:
        create_folder(s, code, "FIN-AP-INV", f"To close, for {who}")
    return code


def _new_transfer(estate: Estate) -> str:
    from retention.transfer import export_transfer

    recman = estate.world.people["recman"]
    item = _new_item(estate, "transfer")
    approve(estate.runtime, [item], recman)
    return export_transfer(estate.runtime, actor=recman, item_ids=[item]).bag_id


def _new_rule(estate: Estate, who: str) -> str:
    from edrm import clock
    from retention.models import RetentionRule

    code = f"UNUSED-{who}".upper()
    with estate.runtime.uow() as s:
        s.add(
            RetentionRule(
                code=code,
                title="Unused",
                trigger="created",
                period_years=1,
                action="destroy",
                authority="None",
                review_stages=1,
                updated_at=clock.now(),
            )
        )
    return code


def _new_triage(estate: Estate, who: str) -> int:
    from edrm.documents.service import NewDocument, create_document

    blobs = estate.runtime.blobs
    stored = blobs.put_stream(io.BytesIO(f"Unsorted note of {who}".encode()))
    with estate.runtime.uow() as s:
        doc = create_document(
            s,
            stored.sha256,
            stored.size,
            "text/plain",
            NewDocument(filename="note.txt", into_code=""),
            actor=estate.people[who],
            triage=True,
        )
        return doc.id


def _new_token(estate: Estate) -> int:
    """A token of civil_servant_low's (issue 13 part 2)."""
    from edrm.people.tokens import TokenPolicy, create_token

    owner = estate.people["civil_servant_low"]
    with estate.runtime.uow() as s:
        return create_token(s, owner, ["read"], policy=TokenPolicy()).record.id


def _new_webhook(estate: Estate) -> int:
    from edrm.access import SYSTEM
    from edrm.webhooks.service import subscribe

    with estate.runtime.uow() as s:
        return subscribe(s, WEBHOOK_URL, ["hold.placed"], actor=SYSTEM).subscription.id


def _file(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return str(path)


PLAN_CSV = "code,parent,kind,title,description,marking,access,owner_unit,retention,closed\n"
PEOPLE_CSV = "username,name,unit\nclerk,Clerk,Finance\n"

RUNS = 0
#: Records managers' commands (administrators manage records too).
RM_ONLY = {"*": "only records managers", "records_manager": RUNS, "administrator": RUNS}
#: HR's commands about leavers: everyone else is told the leaver does not exist.
HR_ONLY = {"*": NOT_FOUND, "hr": RUNS}
EVERYONE = {"*": RUNS}
#: Webhook subscriptions and their log: administrators only.
ADMIN_ONLY = {"*": "only administrators", "administrator": RUNS}
#: Nothing listens there: a delivery to it fails at once (connection refused).
WEBHOOK_URL = "http://127.0.0.1:9/hook"
#: A SECRET record: not found below that clearance.
SECRET_RECORD = {"*": "document {document_id} not found", "high": RUNS}

#: Information requests (issue 18): officers, records managers and administrators handle them;
#: to everyone else they do not exist.
REQUESTS = {
    "*": "information requests not found",
    "information_rights_officer": RUNS,
    "records_manager": RUNS,
    "administrator": RUNS,
}
HANDLER_ROLES = ("information_rights_officer", "records_manager", "administrator")


def _new_request(estate: Estate, who: str, kind: str = "foi") -> int:
    """A request received two days ago, whose case officer is `who` when they may be one."""
    from datetime import timedelta

    from disclosure.loader import DisclosureConfig
    from disclosure.requests import open_request
    from edrm import clock
    from edrm.access import SYSTEM

    officer = who if who.rsplit("_", 1)[0] in HANDLER_ROLES else None
    with estate.runtime.uow() as s:
        return open_request(
            s,
            SYSTEM,
            kind=kind,
            received=clock.now().date() - timedelta(days=2),
            requester=f"Requester for {who}",
            case_officer=officer,
            config=DisclosureConfig(),
        ).id


def _extend_args(estate: Estate, who: str) -> list[str]:
    from datetime import timedelta

    from disclosure.models import InformationRequest

    request_id = _new_request(estate, who, "sar")
    with estate.runtime.uow() as s:
        due = s.get_one(InformationRequest, request_id).due_on
        assert due is not None
    later = (due + timedelta(days=7)).isoformat()
    return ["request", "extend", str(request_id), "--to", later, "--reason", "Complex"]


def _today() -> str:
    from edrm import clock

    return clock.now().date().isoformat()


HANDLERS = ("information_rights_officer", "records_manager", "administrator")

EXPECTED: dict[str, dict[str, Any]] = {
    "request add": REQUESTS,
    "request clarify": REQUESTS,
    "request close": REQUESTS,
    "request export": {  # `request add` has run: records every handler may see
        "*": NOT_FOUND,
        **{r: RUNS for r in HANDLERS},
    },
    "request extend": REQUESTS,
    "request list": REQUESTS,
    "request open": REQUESTS,
    "request search": REQUESTS,
    "request show": REQUESTS,
    "request status": REQUESTS,
    "request time": REQUESTS,
    "audit access": RM_ONLY,
    "audit log": RM_ONLY,
    "disposal certificates": RM_ONLY,
    "disposal decide": RM_ONLY,
    "disposal execute": RM_ONLY,
    "disposal list": RM_ONLY,
    "disposal show": RM_ONLY,
    "doc add": EVERYONE,
    # Declaring and moving: the filer or a records manager (these were filed by the system).
    "doc declare": {**RM_ONLY, "*": "you may not declare document"},
    "doc get": SECRET_RECORD,
    "doc move": {**RM_ONLY, "*": "you may not move document"},
    # Issue 17 part 3: filing in further places, and out of them, likewise.
    "doc link": {**RM_ONLY, "*": "you may not link document"},
    "doc unlink": {**RM_ONLY, "*": "you may not unlink document"},
    "doc show": SECRET_RECORD,
    "doc vital": RM_ONLY,
    "doc vital-records": RM_ONLY,
    "event record": {**RM_ONLY, "*": "only records managers and HR", "hr": RUNS},
    "expert find": EVERYONE,
    "fileplan import": {**RM_ONLY, "*": "only records managers and administrators"},
    "fileplan show": EVERYONE,
    "folder close": {**RM_ONLY, "*": "only records managers and administrators"},
    "folder create": EVERYONE,  # anyone may open a folder in a class they may file into
    "hold delete": RM_ONLY,
    "hold lift": RM_ONLY,
    "hold list": RM_ONLY,
    "hold place": RM_ONLY,
    "hold show": RM_ONLY,
    "ingest": EVERYONE,
    "leaver add": {"*": "only HR may register a leaver", "hr": RUNS},
    "leaver criticality": HR_ONLY,
    "leaver list": HR_ONLY,
    # The write-up is approved by the leaver and their line manager, never by HR.
    "leaver plan approve": {"*": NOT_FOUND, "hr": "only the leaver and their line manager"},
    "leaver plan file": {"*": NOT_FOUND, "hr": "cannot be filed until it is approved"},
    "leaver plan session": HR_ONLY,
    "leaver plan show": HR_ONLY,
    "leaver plan start": {"*": NOT_FOUND, "hr": "already has a harvest plan"},
    "leaver risk": HR_ONLY,
    "people endorse": {"*": RUNS, "civil_servant:high": "you cannot endorse your own skill"},
    "people import": {"*": "only HR and administrators", "hr": RUNS, "administrator": RUNS},
    "people opt-out": EVERYONE,
    "people show": EVERYONE,
    "people skill": EVERYONE,
    "retention delete": RM_ONLY,
    "retention import": RM_ONLY,
    "retention sweep": EVERYONE,  # the sweep only queues (it never destroys)
    "search": EVERYONE,
    "transfer confirm": RM_ONLY,
    "transfer export": {**RM_ONLY, "records_manager": "nothing", "administrator": "nothing"},
    "transfer list": RM_ONLY,
    # Issue 13 part 2: everyone makes and lists their own tokens; a token is revoked by its
    # owner (civil_servant_low) or an administrator, and does not exist for anyone else.
    "token create": EVERYONE,
    "token list": EVERYONE,
    "token revoke": {"*": NOT_FOUND, "civil_servant:low": RUNS, "administrator": RUNS},
    "triage file": EVERYONE,  # each person files their own triage item
    "triage list": EVERYONE,
    "webhook add": ADMIN_ONLY,
    "webhook deliver": ADMIN_ONLY,
    "webhook deliveries": ADMIN_ONLY,
    "webhook list": ADMIN_ONLY,
    "webhook remove": ADMIN_ONLY,
    # Issue 13 part 5: everyone's own notification settings; the outbox is administrators'.
    "notifications digest": ADMIN_ONLY,
    "notifications list": ADMIN_ONLY,
    "notifications prefs": EVERYONE,
    "notifications send-due": ADMIN_ONLY,
    "transfer closure": RM_ONLY,
    "knowledge mine": EVERYONE,
    "knowledge review": {"*": NOT_FOUND},  # no skill of theirs with that number
    "knowledge risk": HR_ONLY,
    # Issue 18 part 3: no request 999999 exists, and to people who do not handle requests none
    # exists at all; tests/disclosure/test_redaction_cli.py runs these on a real request.
    "redact approve": {"*": NOT_FOUND},
    "redact list": {"*": NOT_FOUND},
    "redact propose": {"*": NOT_FOUND},
    "redact reject": {"*": NOT_FOUND},
}
ARGS: dict[str, Args] = {
    "request add": lambda e, who, tmp: [
        "request",
        "add",
        str(e.values["request_id"]),
        "--doc",
        str(_new_document(e, who)),
    ],
    "request clarify": lambda e, who, tmp: [
        "request",
        "clarify",
        str(_new_request(e, who)),
        "--asked",
        _today(),
    ],
    "request close": lambda e, who, tmp: [
        "request",
        "close",
        str(_new_request(e, who)),
        "--outcome",
        "granted",
    ],
    "request extend": lambda e, who, tmp: _extend_args(e, who),
    "request export": lambda e, who, tmp: [
        "request",
        "export",
        str(e.values["request_id"]),
        "-o",
        str(tmp / f"{who}.pdf"),
    ],
    "request list": fixed("request", "list", "--json"),
    "request open": lambda e, who, tmp: [
        "request",
        "open",
        "--type",
        "eir",
        "--received",
        _today(),
        "--requester",
        f"Someone asking {who}",
        "--json",
    ],
    "request search": lambda e, who, tmp: [
        "request",
        "search",
        str(_new_request(e, who)),
        "--query",
        "invoice",
    ],
    "request show": fixed("request", "show", "{request_id}", "--json"),
    "request status": lambda e, who, tmp: [
        "request",
        "status",
        str(_new_request(e, who)),
        "--to",
        "on-hold",
    ],
    "request time": fixed("request", "time", "{request_id}", "--minutes", "30"),
    "audit access": fixed("audit", "access"),
    "audit log": fixed("audit", "log"),
    "disposal certificates": fixed("disposal", "certificates"),
    "disposal decide": lambda e, who, tmp: [
        "disposal",
        "decide",
        str(_new_item(e)),
        "--reject",
        "--reason",
        "Still needed",
    ],
    "disposal execute": fixed("disposal", "execute"),
    "disposal list": fixed("disposal", "list"),
    "disposal show": fixed("disposal", "show", "{item_id}"),
    "doc add": lambda e, who, tmp: [
        "doc",
        "add",
        _file(tmp, f"{who}.txt", f"A note by {who}"),
        "--into",
        "FIN-AP-INV-2024",
    ],
    "doc declare": lambda e, who, tmp: ["doc", "declare", str(_new_document(e, who))],
    "doc get": lambda e, who, tmp: [
        "doc",
        "get",
        str(e.values["document_id"]),
        "-o",
        str(tmp / f"{who}.out"),
    ],
    "doc move": lambda e, who, tmp: [
        "doc",
        "move",
        str(_new_document(e, who)),
        "--to",
        "FIN-AP-INV",
    ],
    "doc link": lambda e, who, tmp: [
        "doc",
        "link",
        str(_new_document(e, who)),
        "--to",
        "FIN-AP-INV-2024",
    ],
    "doc unlink": lambda e, who, tmp: [
        "doc",
        "unlink",
        str(_new_document(e, who)),
        "--from",
        "FIN-AP-INV-2024",
    ],
    "doc show": fixed("doc", "show", "{document_id}"),
    "doc vital": lambda e, who, tmp: [
        "doc",
        "vital",
        str(_new_document(e, who)),
        "--set",
        "--reason",
        "Needed after a disaster",
    ],
    "doc vital-records": fixed("doc", "vital-records"),
    "event record": fixed(
        "event", "record", "contract_ended", "--folder", "FIN-AP-INV-2024", "--date", "2025-01-31"
    ),
    "expert find": fixed("expert", "find", "procurement"),
    "fileplan import": lambda e, who, tmp: ["fileplan", "import", e.values["plan_file"]],
    "fileplan show": fixed("fileplan", "show"),
    "folder close": lambda e, who, tmp: ["folder", "close", _new_folder(e, who)],
    "folder create": fixed(
        "folder", "create", "FIN-AP-INV-N-{who}", "--under", "FIN-AP-INV", "--title", "New, {who}"
    ),
    "hold delete": lambda e, who, tmp: ["hold", "delete", str(_new_hold(e, lifted=True))],
    "hold lift": lambda e, who, tmp: ["hold", "lift", str(_new_hold(e)), "--reason", "Settled"],
    "hold list": fixed("hold", "list"),
    "hold place": fixed(
        "hold",
        "place",
        "--reason",
        "A matter",
        "--authority",
        "Counsel",
        "--folder",
        "FIN-AP-INV-HELD",
    ),
    "hold show": fixed("hold", "show", "{hold_id}"),
    "ingest": lambda e, who, tmp: [
        "ingest",
        _file(tmp, f"in-{who}.txt", f"Filed by {who}"),
        "--into",
        "FIN-AP-INV-2024",
    ],
    "leaver add": fixed("leaver", "add", "sam", "--date", "2031-01-31", "--successor", "mo"),
    "leaver criticality": fixed("leaver", "criticality", "lena", "FIN-AP-INV", "4"),
    "leaver list": fixed("leaver", "list"),
    "leaver plan approve": fixed("leaver", "plan", "approve", "lena"),
    "leaver plan file": fixed("leaver", "plan", "file", "lena"),
    "leaver plan session": fixed(
        "leaver", "plan", "session", "lena", "--answer", "unique_knowledge.only_you=Ask Mo."
    ),
    "leaver plan show": fixed("leaver", "plan", "show", "lena"),
    "leaver plan start": fixed("leaver", "plan", "start", "lena"),
    "leaver risk": fixed("leaver", "risk", "lena"),
    "people endorse": fixed("people", "endorse", "civil_servant_high", "procurement"),
    "people import": lambda e, who, tmp: ["people", "import", _file(tmp, "hr.csv", PEOPLE_CSV)],
    "people opt-out": fixed("people", "opt-out"),
    "people show": fixed("people", "show", "lena"),
    "people skill": fixed("people", "skill", "procurement", "--level", "2"),
    "retention delete": lambda e, who, tmp: ["retention", "delete", _new_rule(e, who)],
    "retention import": lambda e, who, tmp: [
        "retention",
        "import",
        e.values["schedule_file"],
        "--keep-missing",
    ],
    "retention sweep": fixed("retention", "sweep"),
    "search": fixed("search", "invoice"),
    "transfer confirm": lambda e, who, tmp: [
        "transfer",
        "confirm",
        _new_transfer(e),
        "--receipt",
        "Accession 1",
    ],
    "transfer export": fixed("transfer", "export"),
    "transfer list": fixed("transfer", "list"),
    "triage file": lambda e, who, tmp: [
        "triage",
        "file",
        str(_new_triage(e, who)),
        "--to",
        "FIN-AP-INV-2024",
    ],
    "token create": fixed("token", "create", "--scope", "read", "--name", "for {who}", "--json"),
    "token list": fixed("token", "list", "--json"),
    "token revoke": lambda e, who, tmp: ["token", "revoke", str(_new_token(e))],
    "triage list": fixed("triage", "list"),
    "webhook add": fixed("webhook", "add", WEBHOOK_URL, "--event", "hold.placed"),
    "webhook deliver": fixed("webhook", "deliver"),
    "webhook deliveries": fixed("webhook", "deliveries"),
    "webhook list": fixed("webhook", "list"),
    "webhook remove": lambda e, who, tmp: ["webhook", "remove", str(_new_webhook(e))],
    "notifications digest": fixed("notifications", "digest"),
    "notifications list": fixed("notifications", "list", "--json"),
    "notifications prefs": fixed("notifications", "prefs", "--digest", "hold_placed", "--json"),
    "notifications send-due": fixed("notifications", "send-due"),
    "transfer closure": lambda e, who, tmp: [
        "transfer",
        "closure",
        str(_new_document(e, who)),
        "--type",
        "Open",
    ],
    "knowledge mine": fixed("knowledge", "mine"),
    "knowledge review": fixed("knowledge", "review", "999999", "--kind", "expertise"),
    "redact approve": fixed("redact", "approve", "999999"),
    "redact list": fixed("redact", "list", "999999"),
    "redact propose": fixed(
        "redact",
        "propose",
        "{document_id}",
        "--request",
        "999999",
        "--term",
        "x",
        "--exemption",
        "s40",
    ),
    "redact reject": fixed("redact", "reject", "999999", "--reason", "not exempt"),
    "knowledge risk": fixed("knowledge", "risk"),
}


def _as_commands(group: click.Command, prefix: str = "") -> list[str]:
    """Every command under `group` (recursively) that takes --as."""
    found: list[str] = []
    for name, command in sorted(getattr(group, "commands", {}).items()):
        full = f"{prefix} {name}".strip()
        if isinstance(command, click.Group):
            found.extend(_as_commands(command, full))
        elif any("--as" in getattr(p, "opts", ()) for p in command.params):
            found.append(full)
    return found


def _as_commands(group: click.Command, prefix: str = "") -> list[str]:
    """Every command under `group` (recursively) that takes --as."""
    found: list[str] = []
    for name, command in sorted(getattr(group, "commands", {}).items()):
        full = f"{prefix} {name}".strip()
        if isinstance(command, click.Group):
            found.extend(_as_commands(command, full))
        elif any("--as" in getattr(p, "opts", ()) for p in command.params):
            found.append(full)
    return found


def expected(row: dict[str, Any], who: str) -> Any:
    role, level = who.rsplit("_", 1)
    for key in (f"{role}:{level}", role, level, "*"):
        if key in row:
            return row[key]
    raise KeyError(who)


def test_every_command_with_as_is_in_the_matrix() -> None:
    commands = _as_commands(main)
    assert len(commands) >= 40
    missing = [c for c in commands if c not in EXPECTED or c not in ARGS]
    assert not missing, "commands with --as missing from the CLI matrix: " + ", ".join(missing)
    stale = sorted((set(EXPECTED) | set(ARGS)) - set(commands))
    assert not stale, "rows for commands that no longer take --as: " + ", ".join(stale)


@pytest.fixture
def estate(world: World, cli: Any, tmp_path: Path) -> Estate:
    """The estate, a folder for holds to be placed on, and the file plan and schedule as
    exported (imports of them change nothing)."""
    from edrm.fileplan.service import create_folder

    estate = build_estate(world)
    with estate.runtime.uow() as s:
        create_folder(s, "FIN-AP-INV-HELD", "FIN-AP-INV", "Invoices under a hold")
    estate.values["plan_file"] = str(tmp_path / "plan.csv")
    estate.values["schedule_file"] = str(tmp_path / "schedule.toml")
    assert cli("fileplan", "export", "-o", estate.values["plan_file"]).exit_code == 0
    schedule = cli("retention", "export", "--format", "toml", "-o", estate.values["schedule_file"])
    assert schedule.exit_code == 0
    return estate


def test_every_command_runs_or_refuses_each_person_as_the_matrix_says(
    estate: Estate, cli: Any, tmp_path: Path
) -> None:
    wrong = []
    for command in _as_commands(main):
        for role in Role:
            for level in LEVELS:
                who = person_name(role, level)
                args = [*ARGS[command](estate, who, tmp_path), "--as", who]
                result = CliRunner().invoke(main, args, env=cli.env, catch_exceptions=False)
                want = expected(EXPECTED[command], who)
                problem = _mismatch(result, want, estate)
                if problem:
                    wrong.append(f"{command} --as {who}: {problem}")
    assert not wrong, "\n".join(wrong)


def _mismatch(result: Any, want: Any, estate: Estate) -> str:
    """What differs from the expectation (empty when it holds)."""
    lines = (result.stderr or "").strip().splitlines()
    if want == RUNS:
        return "" if result.exit_code == 0 else f"exit {result.exit_code}: {lines[-1:]}"
    words = str(want).format(**estate.values)
    if result.exit_code != 1:
        return f"exit {result.exit_code}, not refused ({words!r})"
    if len(lines) != 1 or not lines[0].startswith("edrm: error: "):
        return f"not one clear line: {lines}"
    if words not in lines[0] or "Traceback" in result.output:
        return f"{lines[0]!r} does not say {words!r}"
    return ""
