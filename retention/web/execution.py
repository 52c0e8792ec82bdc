"""Carrying out the approved decisions, in three steps (the GOV.UK check answers and
confirmation pages): a check page lists what would be destroyed, re-reviewed or left alone
(retention.execution_plan, only what the person may see by title); a POST with the `confirm`
field, and the plan's fingerprint, carries it out (retention.execution.execute_approved); a
confirmation page says what was done. A POST without the confirmation destroys nothing: it is
sent back to the check page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for

from edrm.web.auth import principal
from edrm.web.forms import ActionForm
from edrm.web.runtime import db, rt
from retention import execution
from retention.execution_plan import execution_plan
from retention.progress import ExecutionResult
from retention.web.labels import count_words

SHOWN_PROBLEMS = 20
#: Where the confirmation page finds what the last run did (the person's own web session).
DONE_KEY = "retention.carried_out"


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/execute/check", view_func=check_execution, methods=["GET"])
    bp.add_url_rule("/execute", view_func=execute, methods=["POST"])
    bp.add_url_rule("/execute/done", view_func=execution_done, methods=["GET"])


def check_execution(*, changed: bool = False, status: int = 200) -> Any:
    plan = execution_plan(db(), principal())
    html = render_template(
        "retention/execute_check.html", plan=plan, form=ActionForm(), changed=changed
    )
    return html, status


def execute() -> Any:
    if not ActionForm().validate_on_submit():
        abort(400)
    if request.form.get("confirm") != "yes":  # not confirmed: nothing is carried out
        return redirect(url_for("retention.check_execution"))
    plan = execution_plan(db(), principal())
    if request.form.get("plan") != plan.fingerprint:
        return check_execution(changed=True, status=409)
    db().commit()  # execution runs its own transactions
    result = execution.execute_approved(rt(), actor=principal())
    session[DONE_KEY] = _summary(result, planned=plan.destroy.count)
    return redirect(url_for("retention.execution_done"))


def execution_done() -> str:
    return render_template("retention/execute_done.html", done=session.get(DONE_KEY))


def _summary(result: ExecutionResult, *, planned: int) -> dict[str, Any]:
    """What the run did, in words, for the confirmation page (kept in the web session)."""
    problems: list[str] = []
    if result.uncleared:
        problems.append(
            f"{count_words(len(result.uncleared))} not carried out: they need a records manager "
            "cleared to see their records."
        )
    if result.held:
        problems.append(f"{count_words(len(result.held))} not carried out: under a legal hold now.")
    for item_id, error in result.failed[:SHOWN_PROBLEMS]:
        problems.append(f"Item {item_id} is not finished: {error}. Carry it out again to retry.")
    if len(result.failed) > SHOWN_PROBLEMS:
        problems.append(f"…and {len(result.failed) - SHOWN_PROBLEMS} more items not finished.")
    problems.extend(result.problems[:SHOWN_PROBLEMS])
    return {
        "planned": planned,
        "finished": len(result.finished),
        "reviewed": len(result.reviewed),
        "certificates": list(result.certificates),
        "batches": list(result.batches),
        "problems": problems,
    }
