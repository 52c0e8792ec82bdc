"""The authorisation matrix: every route of the app, asked by every role at a low and a high
clearance and by nobody signed in, answers with the status this table gives.

The routes come from the app's URL map, so a route added without a row here fails the suite.
GET routes are requested for real; POST routes are sent with a valid CSRF token and no fields,
which is enough to see who may (the refusal comes before the form is read) without changing
much. Parameters name real objects of the estate (tests/web_estate.py): document routes ask
for the SECRET record, queue-item and hold routes for that record's item and hold, leaver
routes for lena (none of the matrix people is her manager or successor), saved-search routes
for civil_servant_low's search, skill routes for civil_servant_high's skill.

How a row reads: a status for everyone signed in ("*"), overridden by clearance ("low",
"high"), by role, then by role and clearance ("civil_servant:low"); "anonymous" is nobody
signed in. The rules it records: records-management pages answer 403 to everyone but records
managers and administrators; HR-only pages (leavers) answer 404 to everyone but HR; a record
above a person's clearance is 404, exactly as one that does not exist; what belongs to one
person (a saved search, an ingest job, a skill) is 404 to others; pages send nobody signed in
to the sign-in page (302) and the API answers them 401.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from edrm.people.roles import Role
from tests.conftest import World, create_app_for_tests
from tests.web_estate import (
    ANONYMOUS,
    LEVELS,
    Estate,
    basic_auth,
    build_estate,
    principals,
    rule_path,
    signed_in_clients,
)

# The matrix is about the web layer over services tested on both databases.
pytestmark = [pytest.mark.sqlite_only, pytest.mark.slow]

ANON = "anonymous"
#: Records managers' pages: refused (403) to those who do not manage records.
RM_ONLY = {"*": 403, "records_manager": 200, "administrator": 200, ANON: 302}
#: HR-only pages: not found (404) for anyone but HR.
HR_ONLY = {"*": 404, "hr": 200, ANON: 302}
HR_ONLY_API = {"*": 404, "hr": 200, ANON: 401}
#: The SECRET record: found at a high clearance only.
SECRET_RECORD = {"*": 404, "high": 200, ANON: 302}
SECRET_RECORD_API = {"*": 404, "high": 200, ANON: 401}
#: Correcting the SECRET record (issue 12 item 5): not found below SECRET; refused at SECRET,
#: naming the legal hold on it (and, for all but records managers, who may change it).
SECRET_RECORD_HELD = {"*": 404, "high": 403, ANON: 302}
EVERYONE = {"*": 200, ANON: 302}
EVERYONE_API = {"*": 200, ANON: 401}
PUBLIC = {"*": 200, ANON: 200}
#: Records management on the API (issue 13 part 3): refused to those who do not manage records.
RM_ONLY_API = {"*": 403, "records_manager": 200, "administrator": 200, ANON: 401}
#: JSON-body API calls sent with no body: the schema refuses it (422) before the view runs, the
#: same for everyone (so it tells nothing of what exists); records-management ones refuse first.
RM_MAY_API = {"*": 403, "records_manager": 422, "administrator": 422, ANON: 401}
MAY_API = {"*": 422, ANON: 401}
#: HR-CASE-DIS, for the hr group (as fileplan.node).
HR_NODE_API = {"*": 404, "hr": 200, ANON: 401}

#: Information requests (issue 18): officers, records managers and administrators; 404 to others.
REQUESTS = {
    "*": 404,
    "information_rights_officer": 200,
    "records_manager": 200,
    "administrator": 200,
    ANON: 302,
}
#: Their actions, posted with no fields: back to the request page with what is missing.
REQUESTS_MAY = {**REQUESTS, "information_rights_officer": 302, "records_manager": 302,
                "administrator": 302}  # fmt: skip
REQUESTS_MAY_FORM = {**REQUESTS, "information_rights_officer": 400, "records_manager": 400,
                     "administrator": 400}  # fmt: skip

REQUEST_ACTIONS = ("clarify", "extend", "status", "close", "records", "search", "add_hits", "time")
REQUEST_ACTIONS += ("take",)

#: Issue 18: requests exist only for information-rights officers and records managers (and
#: administrators); the estate's request holds the SECRET record, which a low clearance
#: cannot see (so its redaction page, page images and redactions are not found there).
HANDLERS = ("information_rights_officer", "records_manager", "administrator")
REQUEST_PAGE = {"*": 404, **{h: 200 for h in HANDLERS}, ANON: 302}
REQUEST_RECORD = {"*": 404, **{f"{h}:high": 200 for h in HANDLERS}, ANON: 302}

GET: dict[str, dict[str, int]] = {
    "requests.dashboard": REQUESTS,
    "requests.new_request": REQUESTS,
    "requests.show": REQUESTS,
    "redaction.request_redactions": REQUEST_PAGE,
    "redaction.record_redaction": REQUEST_RECORD,
    "redaction.page_image": REQUEST_RECORD,
    "redaction.disclosure_log": EVERYONE,
    "redaction.disclosure_log_csv": EVERYONE,
    "redaction.published": {"*": 404, ANON: 302},  # the estate's request is not answered
    "api.get_content": SECRET_RECORD_API,
    "api.get_document": SECRET_RECORD_API,
    # civil_servant_low's job: theirs, and records managers'; 404 for everyone else.
    "api.get_job": {
        "*": 404,
        "civil_servant:low": 200,
        "records_manager": 200,
        "administrator": 200,
        ANON: 401,
    },
    "api.search": EVERYONE_API,
    "auth.sign_in": PUBLIC,
    # Issue 13 part 1: single sign-on, off in the estate: not found for anyone.
    "sso.start": {"*": 404, ANON: 404},
    "sso.callback": {"*": 404, ANON: 404},
    "directory.communities": EVERYONE,
    "directory.community": EVERYONE,
    "directory.edit": EVERYONE,
    "directory.find_expert": EVERYONE,
    "directory.index": EVERYONE,
    "directory.profile": EVERYONE,
    "directory_api.api_experts": EVERYONE_API,
    "directory_api.api_people": EVERYONE_API,
    "directory_api.api_person": EVERYONE_API,
    "documents.download": SECRET_RECORD,
    "documents.edit": SECRET_RECORD_HELD,
    "documents.move": SECRET_RECORD_HELD,
    "documents.move_place": SECRET_RECORD_HELD,
    "documents.new_version": SECRET_RECORD_HELD,
    # Found at a high clearance, but no preview was rendered for a text file.
    "documents.preview": {"*": 404, ANON: 302},
    "documents.download_rendition": {"*": 404, ANON: 302},  # no PDF/A of the text record
    "documents.show": SECRET_RECORD,
    "fileplan.index": EVERYONE,
    # HR-CASE-DIS, for the hr group: found by HR (a class's marking is its records' default,
    # not a bar to seeing the class).
    "fileplan.node": {"*": 404, "hr": 200, ANON: 302},
    "health.healthz": PUBLIC,
    # Issue 14 part 4: readiness is public like health; the metrics need a token (a signed-in
    # session is not enough, not even an administrator's).
    "health.readyz": PUBLIC,
    "metrics.metrics_page": {"*": 401, ANON: 401},
    "help.index": EVERYONE,
    "help.topic": EVERYONE,
    "home.communities": {"*": 302, ANON: 302},  # moved to /communities/browse
    "home.experts": {"*": 302, ANON: 302},  # moved to /find-an-expert
    "home.index": EVERYONE,
    "ingest.triage": EVERYONE,
    "ingest.upload": EVERYONE,
    # Leaver routes ask for lena, whom no matrix person leaves, manages or succeeds: HR only.
    "leavers.approve": HR_ONLY,
    "leavers.dashboard": HR_ONLY,
    "leavers.knowledge_at_risk": HR_ONLY,
    "leavers.my_knowledge": EVERYONE,
    "leavers.file_plan": HR_ONLY,
    "leavers.leaver": HR_ONLY,
    "leavers.my_harvests": EVERYONE,
    "leavers.new_leaver": HR_ONLY,
    "leavers.plan": HR_ONLY,
    "leavers.plan_session": HR_ONLY,
    "leavers.risk": HR_ONLY,
    "leavers.session_follow_ups": HR_ONLY,
    "leavers.session_group": HR_ONLY,
    "leavers.session_tasks": HR_ONLY,
    "leavers_api.api_leaver": HR_ONLY_API,
    "leavers_api.api_leaver_plan": HR_ONLY_API,
    "leavers_api.api_leaver_risk": HR_ONLY_API,
    "leavers_api.api_leavers": HR_ONLY_API,
    "retention.access_page": RM_ONLY,
    "retention.audit_search": RM_ONLY,
    # The estate has no finished batch: records managers get the same 404 as for any missing one.
    "retention.batch": {"*": 403, "records_manager": 404, "administrator": 404, ANON: 302},
    "retention.certificates": RM_ONLY,
    # Issue 12: the check page before carrying out, and the confirmation page after it.
    "retention.check_execution": RM_ONLY,
    "retention.execution_done": RM_ONLY,
    "retention.consequence": EVERYONE,
    "retention.events_page": RM_ONLY,
    "retention.forecast_page": RM_ONLY,
    "retention.hold": RM_ONLY,
    "retention.holds_page": RM_ONLY,
    "retention.index": RM_ONLY,
    "retention.item": RM_ONLY,
    "retention.queue": RM_ONLY,
    "retention.schedule_csv": RM_ONLY,
    "retention.schedule_page": RM_ONLY,
    "retention.transfer_page": RM_ONLY,
    "retention.transfers": RM_ONLY,
    "retention.vital_page": RM_ONLY,
    # Issue 12: the estate's transfer package, downloaded by records managers.
    "retention.package": RM_ONLY,
    "search.page": EVERYONE,
    # Issue 13 part 2: each person's own API tokens; the legal holds on the API (records).
    "tokens.index": EVERYONE,
    # Issue 13 part 5: each person's own notification e-mail settings.
    "notifications.index": EVERYONE,
    "retention_api.api_holds": {"*": 403, "records_manager": 200, "administrator": 200, ANON: 401},
    # civil_servant_low's saved search: run for them (a redirect to the search), 404 for others.
    "search.run_saved": {"*": 404, "civil_servant:low": 302, ANON: 302},
    "search.saved": EVERYONE,
    "static": PUBLIC,
    # Issue 13 part 3: the API's document and reference page (public), and its routes.
    "api_docs.openapi": PUBLIC,
    "api_docs.reference": PUBLIC,
    "documents_api.versions": SECRET_RECORD_API,
    "documents_api.relations": SECRET_RECORD_API,
    "documents_api.renditions": SECRET_RECORD_API,
    "documents_api.preview": {"*": 404, ANON: 401},  # found high, but no preview of a text
    "documents_api.rendition": {"*": 404, ANON: 401},  # found high, but no PDF/A of a text
    "fileplan_api.plan": EVERYONE_API,
    "fileplan_api.node": HR_NODE_API,
    "fileplan_api.documents": HR_NODE_API,
    "fileplan_api.triage": EVERYONE_API,
    "fileplan_api.list_saved": EVERYONE_API,
    "fileplan_api.get_saved": {"*": 404, "civil_servant:low": 200, ANON: 401},
    "retention_api.rules": RM_ONLY_API,
    "retention_api.rule": RM_ONLY_API,
    "retention_api.list_events": RM_ONLY_API,
    "retention_api.queue": RM_ONLY_API,
    "retention_api.queue_item": RM_ONLY_API,
    "retention_api.get_hold": RM_ONLY_API,
    "retention_api.certificates": RM_ONLY_API,
    "retention_api.transfers": RM_ONLY_API,
}

#: With a valid CSRF token and no fields: 302 or 400 where the person may (the form is empty),
#: the refusal where they may not.
RM_MAY = {"*": 403, "records_manager": 302, "administrator": 302, ANON: 302}
RM_MAY_FORM = {"*": 403, "records_manager": 400, "administrator": 400, ANON: 302}
HR_MAY = {"*": 404, "hr": 302, ANON: 302}
HR_MAY_FORM = {"*": 404, "hr": 400, ANON: 302}
SIGNED_IN_MAY = {"*": 302, ANON: 302}

POST: dict[str, dict[str, int]] = {
    "requests.new_request": REQUESTS_MAY_FORM,
    **{f"requests.action_{name}": REQUESTS_MAY for name in REQUEST_ACTIONS},
    # Issue 18: the estate's redaction is approved already (403 where it is found); the empty
    # forms are refused (400); the bundle of a record beyond a low clearance is empty (400).
    "redaction.approve_redaction": {"*": 404, **{f"{h}:high": 403 for h in HANDLERS}, ANON: 302},
    "redaction.reject_redaction": {"*": 404, **{f"{h}:high": 400 for h in HANDLERS}, ANON: 302},
    "redaction.record_redaction": {"*": 404, **{f"{h}:high": 400 for h in HANDLERS}, ANON: 302},
    "redaction.export_bundle": {
        "*": 404,
        **{h: 400 for h in HANDLERS},
        **{f"{h}:high": 200 for h in HANDLERS},
        ANON: 302,
    },
    "redaction.send_response": {"*": 404, **{h: 302 for h in HANDLERS}, ANON: 302},
    "api.post_documents": {"*": 400, ANON: 401},  # no files sent
    "auth.sign_in": PUBLIC,  # the empty form again
    "auth.sign_out": SIGNED_IN_MAY,
    "directory.add_skill": SIGNED_IN_MAY,
    "directory.drop_skill": {"*": 404, "civil_servant:high": 302, ANON: 302},
    # civil_servant_high's skill: endorsed by others (and withdrawn), never by its owner.
    "directory.endorse_skill": {"*": 302, "civil_servant:high": 403, ANON: 302},
    "directory.opt_out": SIGNED_IN_MAY,
    "directory.save_about": SIGNED_IN_MAY,
    "directory.withdraw": {"*": 302, "civil_servant:high": 404, ANON: 302},
    # Declaring needs the filer or a records manager; above the clearance it is not found.
    "documents.declare": {"*": 404, "high": 403, ANON: 302},
    "documents.edit": SECRET_RECORD_HELD,
    "documents.move": SECRET_RECORD_HELD,
    "documents.move_place": SECRET_RECORD_HELD,
    "documents.new_version": SECRET_RECORD_HELD,
    # Issue 17 part 3: linking the held SECRET record into further places (or unlinking it).
    "documents.link": SECRET_RECORD_HELD,
    "documents.unlink": SECRET_RECORD_HELD,
    # No class chosen: the triage page again, with the error (400).
    "ingest.file_item": {"*": 400, ANON: 302},
    "leavers.approve": HR_MAY,
    "leavers.criticality": HR_MAY,
    "leavers.file_plan": HR_MAY_FORM,
    "leavers.new_leaver": HR_MAY_FORM,
    "leavers.plan_session": HR_MAY,
    "leavers.review_knowledge": {"*": 404, ANON: 302},  # no item named: none of theirs
    "leavers.session_follow_ups": HR_MAY,
    "leavers.session_group": HR_MAY,
    "leavers.start_plan": HR_MAY,
    "retention.decide": RM_MAY_FORM,
    "retention.delete_hold": RM_MAY,
    "retention.events_page": RM_MAY_FORM,
    "retention.execute": RM_MAY,  # without the confirmation: back to the check page
    "retention.export_transfer": RM_MAY,
    "retention.hold": RM_MAY_FORM,
    "retention.holds_page": RM_MAY_FORM,
    "retention.run_sweep": RM_MAY,
    "retention.schedule_page": RM_MAY_FORM,  # the empty form: "choose a CSV file"
    # Issue 12: importing the previewed schedule; without the confirmation, back to the page.
    "retention.apply_schedule": RM_MAY,
    "retention.change_vital": RM_MAY_FORM,  # no action given
    # Issue 17 part 5: a transfer item's closure. The estate's item is not a transfer (400 for
    # records managers cleared for its record); withheld from those at low clearance (404).
    "retention.save_closure": {
        **RM_MAY_FORM,
        "records_manager:low": 404,
        "administrator:low": 404,
    },
    "retention.transfer_page": RM_MAY_FORM,
    "search.delete_saved": {"*": 404, "civil_servant:low": 302, ANON: 302},
    "search.save": SIGNED_IN_MAY,
    # Issue 13 part 2: the empty form names the missing scope (400); civil_servant_low's token
    # is revoked by them or an administrator and is not found for anyone else.
    "tokens.create": {"*": 400, ANON: 302},
    "tokens.revoke": {"*": 404, "civil_servant:low": 302, "administrator": 302, ANON: 302},
    # Issue 13 part 5: saving one's own notification settings (the empty form: all off).
    "notifications.save": SIGNED_IN_MAY,
    # Issue 13 part 3: the SECRET record (held: 403 where it is found), HR-CASE-DIS (a class).
    "documents_api.declare": {"*": 404, "high": 403, ANON: 401},
    "documents_api.move": MAY_API,
    "documents_api.link": MAY_API,
    "documents_api.new_version": {"*": 404, "high": 428, ANON: 401},  # found, no If-Match
    "fileplan_api.new_folder": MAY_API,
    "fileplan_api.close": {"*": 404, "hr": 400, ANON: 401},
    "fileplan_api.file_triaged": MAY_API,
    "fileplan_api.save_search": MAY_API,
    "retention_api.record_event": RM_MAY_API,
    "retention_api.decide": RM_MAY_API,
    "retention_api.place_hold": RM_MAY_API,
    "retention_api.lift_hold": RM_MAY_API,
    "directory_api.api_add_skill": MAY_API,
    "leavers_api.api_register_leaver": MAY_API,
    # lena's plan is already started: HR is told so (400); anyone else, not found.
    "leavers_api.api_start_plan": {"*": 404, "hr": 400, ANON: 401},
}

#: Issue 13 part 3: the API's other methods. PATCH with no body: refused by the schema (422)
#: for everyone, before the record is looked for (tests/test_api_documents.py sends one).
#: DELETEs run after the POSTs, whose page routes already removed civil_servant_low's saved
#: search and civil_servant_high's skill: 404 for everyone (the owner's own delete is tested in
#: tests/test_api_documents.py and tests/harvest/test_harvest_api.py).
PATCH: dict[str, dict[str, int]] = {
    "documents_api.patch_document": MAY_API,
}
DELETE: dict[str, dict[str, int]] = {
    # Issue 17 part 3: unlinking the SECRET record: not found below SECRET; at SECRET refused to
    # those who may not change it, and the code sent names no place for those who may.
    "documents_api.unlink": {
        "*": 404,
        "high": 403,
        "records_manager:high": 404,
        "administrator:high": 404,
        ANON: 401,
    },
    "fileplan_api.delete_saved": {"*": 404, ANON: 401},
    "directory_api.api_remove_skill": {"*": 404, ANON: 401},
}
TABLES = (("GET", GET), ("POST", POST), ("PATCH", PATCH), ("DELETE", DELETE))

#: Parameters that differ for one endpoint (the skill routes name the skill's owner).
PARAMETERS: dict[str, dict[str, Any]] = {
    "directory.endorse_skill": {"username": "civil_servant_high"},
    "directory.withdraw": {"username": "civil_servant_high"},
    "documents.download_rendition": {"kind": "pdfa"},
    "documents_api.rendition": {"kind": "pdfa"},
}
#: A query string an endpoint needs to do its work rather than ask for it.
QUERIES: dict[str, str] = {
    "directory_api.api_experts": "q=invoices",
    "retention.consequence": "code=FIN-AP-INV",
    "search.page": "q=invoice",
    "api.search": "q=invoice",
}
#: POSTs that change what later requests see run last, in this order; sign-out ends the lot.
LAST = ("directory.drop_skill", "search.delete_saved", "retention.delete_hold", "auth.sign_out")


def expected(row: dict[str, int], who: str) -> int:
    """The row's status for a person (`<role>_<level>`) or for nobody signed in."""
    if who == ANONYMOUS:
        return row[ANON]
    role, level = who.rsplit("_", 1)
    for key in (f"{role}:{level}", role, level, "*"):
        if key in row:
            return row[key]
    raise KeyError(who)


@pytest.fixture
def matrix(world: World, settings_overrides: dict[str, Any]) -> Iterator[tuple[Estate, Flask]]:
    estate = build_estate(world)
    # The estate's worker heartbeat and job start must stay fresh for /readyz however long
    # the matrix takes.
    patient = {"worker_stale_seconds": 24 * 3600, "ready_scheduler_seconds": 24 * 3600}
    app = create_app_for_tests({**settings_overrides, **patient})
    yield estate, app
    app.extensions["edrm"].close()


def _routes(app: Flask, method: str) -> list[Any]:
    rules = [r for r in app.url_map.iter_rules() if method in (r.methods or ())]
    order = {name: n for n, name in enumerate(LAST)}
    return sorted(rules, key=lambda r: (order.get(r.endpoint, -1), r.endpoint, r.rule))


def _ask(estate: Estate, clients: dict[str, Any], rule: Any, method: str, who: str) -> int:
    values = {**estate.values, **PARAMETERS.get(rule.endpoint, {})}
    path = rule_path(rule, values)
    query = QUERIES.get(rule.endpoint)
    url = f"{path}?{query}" if query else path
    client = clients[who]
    if path.startswith("/api/"):
        answer = client.open(url, method=method, headers=basic_auth(who))
    elif method == "GET":
        answer = client.get(url)
    else:
        answer = client.post(url, data={"csrf_token": client.csrf_token})
    assert answer.status_code < 500, f"{method} {url} as {who}: {answer.status_code}"
    return int(answer.status_code)


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    missing = []
    for rule in app.url_map.iter_rules():
        for method, table in TABLES:
            if method in (rule.methods or ()) and rule.endpoint not in table:
                missing.append(f"{method} {rule.endpoint} ({rule.rule})")
    assert not missing, "routes missing from the authorisation matrix: " + ", ".join(missing)


def test_the_matrix_names_only_routes_that_exist(app: Flask) -> None:
    endpoints = {(m, r.endpoint) for r in app.url_map.iter_rules() for m in r.methods or ()}
    stale = [f"{m} {e}" for m, t in TABLES for e in t if (m, e) not in endpoints]
    assert not stale, "rows for routes that no longer exist: " + ", ".join(stale)


def test_every_route_answers_each_person_as_the_matrix_says(
    matrix: tuple[Estate, Flask],
) -> None:
    estate, app = matrix
    who_asks = principals()
    assert {w.rsplit("_", 1)[0] for w in who_asks if w != ANONYMOUS} == {r.value for r in Role}
    assert {w.rsplit("_", 1)[1] for w in who_asks if w != ANONYMOUS} == set(LEVELS)
    clients = signed_in_clients(app, who_asks)
    wrong = []
    for method, table in TABLES:
        for rule in _routes(app, method):
            row = table[rule.endpoint]
            for who in who_asks:
                got = _ask(estate, clients, rule, method, who)
                if got != expected(row, who):
                    wrong.append(f"{method} {rule.rule} as {who}: {got}, not {expected(row, who)}")
    assert not wrong, "\n".join(wrong)
