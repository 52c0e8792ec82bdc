"""The records managers' pages: schedule, forecast, disposal queue and decisions, execution,
holds, certificates, transfers, events and audit search; plus, for everyone signed in, each
record's rule and due date and the consequence of filing in a class.

Each view turns a request into a service call (the services never commit; the request's unit
of work does). Execution and transfer run their own transactions through the runtime.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import get_visible_node, may_see_document
from edrm.audit.search import AuditQuery, known_actions, search_audit
from edrm.documents.models import Document
from edrm.errors import EdrmError, InvalidInputError, NotFoundError, RefusedError
from edrm.fileplan.models import FilePlanNode
from edrm.web.auth import login_required, principal
from edrm.web.forms import ActionForm
from edrm.web.runtime import db, rt
from retention import certificates as certificate_service
from retention import events as retention_events
from retention import (
    execution,
    forecast,
    holds,
    loader,
    review,
    schedule,
    stored_rules,
    sweep,
    transfer,
    transfer_confirmation,
)
from retention.models import (
    DisposalBatch,
    DisposalItem,
    LegalHold,
    LegalHoldItem,
    ResidualStub,
    Transfer,
    TransferItem,
)
from retention.web_forms import (
    ConfirmTransferForm,
    DecisionForm,
    EventForm,
    HoldForm,
    ReasonForm,
    ScheduleImportForm,
)

bp = Blueprint("retention", __name__, url_prefix="/records-management")

#: Pages anyone signed in may use; the rest are for records managers.
OPEN_ENDPOINTS = {"retention.consequence"}
QUEUE_PAGE_SIZE = 200
STATUS_LABELS = {
    "pending": "Waiting for review",
    "approved": "Approved",
    "executing": "Being carried out",
    "done": "Done",
    "rejected": "Rejected",
    "extended": "Extended",
    "transferred": "Transferred",
}
ACTION_LABELS = {
    "destroy": "Destroy",
    "transfer": "Transfer to the archive",
    "review": "Review",
    "retain_permanently": "Keep permanently",
}
DECISION_DONE = {
    "approve": "Approved",
    "reject": "Rejected",
    "extend": "Extended",
    "refer": "Referred to a further reviewer",
}


@bp.before_request
def _records_managers_only() -> Any:
    if g.get("user") is None:
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    if request.endpoint not in OPEN_ENDPOINTS and not principal().manages_records:
        raise RefusedError("These pages are for records managers.")
    schedule.ensure_schedule(db(), rt().settings)  # the configured schedule, on first use
    return None


@bp.record_once
def _labels(state: Any) -> None:
    """Words for statuses and actions, for every template (macros included)."""
    state.app.jinja_env.globals.update(status_labels=STATUS_LABELS, action_labels=ACTION_LABELS)


# --- overview ---------------------------------------------------------------------------------


@bp.get("/")
def index() -> str:
    session = db()
    by_status = dict(
        session.execute(
            select(DisposalItem.status, func.count()).group_by(DisposalItem.status)
        ).all()
    )
    active_holds = session.scalar(
        select(func.count()).select_from(LegalHold).where(LegalHold.lifted_at.is_(None))
    )
    awaiting_receipt = session.scalar(
        select(func.count()).select_from(Transfer).where(Transfer.status == "exported")
    )
    incomplete = session.scalar(
        select(func.count()).select_from(DisposalBatch).where(DisposalBatch.status != "complete")
    )
    return render_template(
        "retention/index.html",
        by_status=by_status,
        active_holds=active_holds or 0,
        awaiting_receipt=awaiting_receipt or 0,
        incomplete=incomplete or 0,
        form=ActionForm(),
    )


# --- schedule ---------------------------------------------------------------------------------


@bp.route("/schedule", methods=["GET", "POST"])
def schedule_page() -> Any:
    session = db()
    form = ScheduleImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        name = upload.filename or "schedule.csv"
        try:
            text = upload.read().decode("utf-8-sig")
            parsed = loader.parse_schedule_csv(text, name)
            result = schedule.import_schedule(session, parsed, actor=principal())
        except UnicodeDecodeError:
            form.file.errors.append("The file must be a CSV saved as UTF-8")
        except EdrmError as exc:
            session.rollback()
            form.file.errors.append(str(exc))
        else:
            flash(f"Schedule imported: {_summary(result)}.", "success")
            return redirect(url_for("retention.schedule_page"))
    rules = stored_rules.rules_by_code(session)
    nodes = list(session.scalars(select(FilePlanNode).order_by(FilePlanNode.code)))
    classes = [n for n in nodes if not n.is_folder]
    rows = []
    for node in classes:
        rule, source = schedule.class_rule(session, node)
        rows.append(
            {
                "node": node,
                "depth": len(node.path()) - 1,
                "rule": rule,
                "own": node.retention_rule,
                "inherited_from": source if source and source != node.code else None,
            }
        )
    folders = [n for n in nodes if n.is_folder and n.retention_rule]
    used: dict[str, int] = defaultdict(int)
    for node in nodes:
        if node.retention_rule:
            used[node.retention_rule] += 1
    return render_template(
        "retention/schedule.html",
        rows=rows,
        folders=folders,
        rules=sorted(rules.values(), key=lambda r: r.code),
        used=used,
        form=form,
    )


@bp.get("/schedule.csv")
def schedule_csv() -> Response:
    session = db()
    rules = sorted(stored_rules.rules_by_code(session).values(), key=lambda r: r.code)
    text = loader.schedule_to_csv(loader.Schedule(rules, schedule.fy_start_month(session)))
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="retention-schedule.csv"'},
    )


def _summary(result: schedule.ImportResult) -> str:
    """e.g. "1 rule added, 2 changed, 7 unchanged, none removed; 40 records' dates recomputed"."""
    added = len(result.added)
    removed = len(result.removed)
    return (
        f"{added} rule{'s' if added != 1 else ''} added, {len(result.updated)} changed, "
        f"{len(result.unchanged)} unchanged, {removed or 'none'} removed; "
        f"{result.recomputed} records' dates recomputed"
    )


# --- forecast ---------------------------------------------------------------------------------


@bp.get("/forecast")
def forecast_page() -> str:
    today = clock.now().date()
    rows = forecast.forecast(db(), today=today, months=12)
    months = _months(today, 12)
    table: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        table[(row.class_code, row.action)][row.month] += row.count
        totals[row.month] += row.count
    lines = [
        {"class_code": key[0], "action": key[1], "counts": counts, "total": sum(counts.values())}
        for key, counts in sorted(table.items())
    ]
    return render_template(
        "retention/forecast.html",
        months=months,
        lines=lines,
        totals=totals,
        grand_total=sum(totals.values()),
        today=today,
    )


def _months(start: date, count: int) -> list[str]:
    out, year, month = [], start.year, start.month
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


# --- disposal queue ---------------------------------------------------------------------------


def _queue_filters() -> dict[str, Any]:
    """The queue page's filters from the query string (or the decision form's hidden fields).
    Status defaults to `pending`; `all` means every item, history included."""
    status = request.values.get("status", "pending")
    stage = request.values.get("stage", "")
    return {
        "status": status if status in STATUS_LABELS or status == "all" else "pending",
        "class_code": request.values.get("class_code", "").strip() or None,
        "action": request.values.get("action", "") or None,
        "stage": int(stage) if stage.isdigit() else None,
    }


@bp.get("/queue")
def queue() -> str:
    return _render_queue(DecisionForm())


def _render_queue(form: DecisionForm, *, status_code: int = 200) -> Any:
    session = db()
    filters = _queue_filters()
    items = review.list_queue(session, **filters, limit=QUEUE_PAGE_SIZE + 1)
    more = len(items) > QUEUE_PAGE_SIZE
    items = items[:QUEUE_PAGE_SIZE]
    counts = dict(
        session.execute(
            select(DisposalItem.status, func.count()).group_by(DisposalItem.status)
        ).all()
    )
    statuses = list(STATUS_LABELS) if filters["status"] == "all" else [filters["status"]]
    batches = review.queue_summary(session, status=statuses)
    class_codes = sorted(session.scalars(select(DisposalItem.class_code).distinct()).all())
    html = render_template(
        "retention/queue.html",
        items=_item_rows(session, items),
        more=more,
        matching=_count_queue(session, filters) if more else len(items),
        filters=filters,
        batches=batches,
        by_status=counts,
        class_codes=class_codes,
        form=form,
        action_form=ActionForm(),
        selected={int(v) for v in request.form.getlist("item") if v.isdigit()},
    )
    return html, status_code


def _count_queue(session: Session, filters: dict[str, Any]) -> int:
    """How many items the filters match (as review.list_queue selects them)."""
    stmt = select(func.count()).select_from(DisposalItem)
    if filters["status"] != "all":
        stmt = stmt.where(DisposalItem.status == filters["status"])
    if code := filters["class_code"]:
        stmt = stmt.where(
            (DisposalItem.class_code == code)
            | DisposalItem.class_code.startswith(f"{code}-", autoescape=True)
        )
    if filters["action"]:
        stmt = stmt.where(DisposalItem.action == filters["action"])
    if filters["stage"] is not None:
        stmt = stmt.where(DisposalItem.stage == filters["stage"])
    return int(session.scalar(stmt) or 0)


def _item_rows(session: Session, items: Iterable[DisposalItem]) -> list[dict[str, Any]]:
    items = list(items)
    ids = {i.document_id for i in items}
    docs = (
        {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))}
        if ids
        else {}
    )
    who = principal()
    rows = []
    for item in items:
        doc = docs.get(item.document_id)
        rows.append(
            {
                "item": item,
                "document": doc,
                "visible": doc is not None and may_see_document(who, doc),
            }
        )
    return rows


@bp.post("/queue/decide")
def decide() -> Any:
    form = DecisionForm()
    session = db()
    scope = request.form.get("scope", "ticked")
    if scope == "matching":
        filters = {**_queue_filters(), "status": "pending"}
        ids = [i.id for i in review.list_queue(session, **filters)]
    else:
        ids = sorted({int(v) for v in request.form.getlist("item") if v.isdigit()})
    back = request.form.get("back") or ""
    valid = form.validate_on_submit()
    if not valid or not ids:
        if not ids:
            form.form_errors.append("Choose at least one item in the queue")
        if back.isdigit():
            return _render_item(int(back), form, status_code=400)
        return _render_queue(form, status_code=400)
    done, problems = _decide_each(session, ids, form)
    if done:
        word = DECISION_DONE[form.decision.data or "approve"]
        flash(f"{word}: {_count_words(len(done))}.", "success")
    for problem in problems[:20]:
        flash(problem, "error")
    if len(problems) > 20:
        flash(f"…and {len(problems) - 20} more items were not decided.", "error")
    if back.isdigit():
        return redirect(url_for("retention.item", item_id=int(back)))
    return redirect(url_for("retention.queue", **_filter_args()))


def _decide_each(
    session: Session, ids: list[int], form: DecisionForm
) -> tuple[list[int], list[str]]:
    """Each item in its own savepoint: a refused item is reported, the others still count."""
    who = principal()
    done: list[int] = []
    problems: list[str] = []
    for item_id in ids:
        try:
            with session.begin_nested():
                review.decide(
                    session,
                    item_id,
                    form.decision.data or "",
                    reason=(form.reason.data or "").strip(),
                    actor=who,
                    new_date=form.new_date.data,
                )
        except EdrmError as exc:
            problems.append(f"Item {item_id}: {exc}")
            note = getattr(exc, "audit", None)
            if note is not None:  # the refusal is kept even though the change was not
                audit.record(
                    session, note.actor, note.action, note.entity_type, note.entity_id or "",
                    note.details,
                )  # fmt: skip
        else:
            done.append(item_id)
    return done, problems


def _count_words(n: int) -> str:
    return f"{n} item" if n == 1 else f"{n} items"


def _filter_args() -> dict[str, str]:
    return {
        k: v
        for k in ("status", "class_code", "action", "stage")
        if (v := request.values.get(k, ""))
    }


@bp.get("/queue/<int:item_id>")
def item(item_id: int) -> Any:
    return _render_item(item_id, DecisionForm())


def _render_item(item_id: int, form: DecisionForm, *, status_code: int = 200) -> Any:
    session = db()
    found = session.get(DisposalItem, item_id)
    if found is None:
        raise NotFoundError(f"queue item {item_id} not found")
    decisions = review.decisions_for(session, item_id)
    row = _item_rows(session, [found])[0]
    rules = stored_rules.rules_by_code(session)
    stub = session.get(ResidualStub, found.document_id)
    html = render_template(
        "retention/item.html",
        row=row,
        found=found,
        rule=rules.get(found.rule_code),
        decisions=decisions,
        stub=stub,
        form=form,
    )
    return html, status_code


@bp.post("/sweep")
def run_sweep() -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    result = sweep.sweep(db(), as_of=clock.now().date(), actor=principal())
    flash(
        f"Checked what is due: {_count_words(len(result.queued))} added to the queue, "
        f"{result.held} held back by legal holds.",
        "success",
    )
    return redirect(url_for("retention.queue"))


@bp.post("/execute")
def execute() -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    db().commit()  # execution runs its own transactions
    result = execution.execute_approved(rt(), actor=principal())
    if result.finished:
        certified = len(result.certificates)
        flash(
            f"Carried out {_count_words(len(result.finished))}"
            + (f"; {certified} certificate{'s' if certified != 1 else ''} of destruction filed."
               if certified else "."),
            "success",
        )  # fmt: skip
    if result.reviewed:
        flash(f"{_count_words(len(result.reviewed))} given a new review date.", "success")
    if not (result.finished or result.reviewed or result.failed or result.held):
        flash("There were no approved decisions to carry out.", "success")
    if result.held:
        flash(f"{_count_words(len(result.held))} not carried out: under a legal hold now.", "error")
    for item_id, error in result.failed[:20]:
        flash(f"Item {item_id} is not finished: {error}. Carry it out again to retry.", "error")
    for problem in result.problems[:20]:
        flash(problem, "error")
    if result.certificates:
        return redirect(url_for("retention.certificates"))
    return redirect(url_for("retention.queue"))


# --- certificates -----------------------------------------------------------------------------


@bp.get("/certificates")
def certificates() -> str:
    session = db()
    batches = certificate_service.batches(session)
    issued = {c["batch_id"]: c for c in certificate_service.list_certificates(session)}
    return render_template(
        "retention/certificates.html", batches=batches, issued=issued, form=ActionForm()
    )


# --- holds ------------------------------------------------------------------------------------


@bp.route("/holds", methods=["GET", "POST"])
def holds_page() -> Any:
    session = db()
    form = HoldForm()
    status = 200
    if form.validate_on_submit():
        try:
            with session.begin_nested():
                hold = holds.place_hold(
                    session,
                    reason=form.reason.data.strip(),
                    authority=form.authority.data.strip(),
                    actor=principal(),
                    document_id=_document_number(form.document_id.data),
                    folder_code=(form.folder_code.data or "").strip() or None,
                    query=(form.query.data or "").strip() or None,
                    search=rt(),
                )
        except EdrmError as exc:
            form.form_errors.append(str(exc))
            status = 400
        else:
            flash(f"Hold {hold.id} placed: {_covered(session, hold)}.", "success")
            return redirect(url_for("retention.hold", hold_id=hold.id))
    elif form.is_submitted():
        status = 400
    show_all = request.args.get("all") == "1"
    listed = holds.list_holds(session, active_only=not show_all)
    return (
        render_template(
            "retention/holds.html",
            holds=listed,
            coverage={h.id: holds.covered_count(session, h.id) for h in listed},
            show_all=show_all,
            form=form,
        ),
        status,
    )


def _document_number(value: str | None) -> int | None:
    text = (value or "").strip().lstrip("#")
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInputError(f"{value!r} is not a document number")
    return int(text)


def _covered(session: Session, hold: LegalHold) -> str:
    n = holds.covered_count(session, hold.id)
    return f"it covers {_count_words(n).replace('item', 'record')}"


@bp.route("/holds/<int:hold_id>", methods=["GET", "POST"])
def hold(hold_id: int) -> Any:
    session = db()
    found = session.get(LegalHold, hold_id)
    if found is None:
        raise NotFoundError(f"hold {hold_id} not found")
    form = ReasonForm()
    status = 200
    if form.validate_on_submit():
        try:
            with session.begin_nested():
                holds.lift_hold(
                    session, hold_id, reason=form.reason.data.strip(), actor=principal()
                )
        except EdrmError as exc:
            form.form_errors.append(str(exc))
            status = 400
        else:
            flash(f"Hold {hold_id} lifted.", "success")
            return redirect(url_for("retention.holds_page"))
    elif form.is_submitted():
        status = 400
    item_rows = session.execute(
        select(LegalHoldItem.document_id, LegalHoldItem.node_id).where(
            LegalHoldItem.hold_id == hold_id
        )
    ).all()
    doc_ids = [d for d, _n in item_rows if d is not None]
    node_ids = [n for _d, n in item_rows if n is not None]
    docs = (
        list(session.scalars(select(Document).where(Document.id.in_(doc_ids)).limit(200)))
        if doc_ids
        else []
    )
    nodes = (
        list(session.scalars(select(FilePlanNode).where(FilePlanNode.id.in_(node_ids))))
        if node_ids
        else []
    )
    who = principal()
    return (
        render_template(
            "retention/hold.html",
            hold=found,
            docs=[(d, may_see_document(who, d)) for d in docs],
            doc_count=len(doc_ids),
            nodes=nodes,
            form=form,
            action_form=ActionForm(),
        ),
        status,
    )


@bp.post("/holds/<int:hold_id>/delete")
def delete_hold(hold_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    session = db()
    try:
        with session.begin_nested():
            holds.delete_hold(session, hold_id, actor=principal())
    except RefusedError as exc:
        flash(str(exc), "error")
        return redirect(url_for("retention.hold", hold_id=hold_id))
    flash(f"Hold {hold_id} deleted.", "success")
    return redirect(url_for("retention.holds_page", all="1"))


# --- transfers --------------------------------------------------------------------------------


@bp.get("/transfers")
def transfers() -> str:
    session = db()
    listed = [transfer.transfer_as_dict(session, t) for t in transfer.list_transfers(session)]
    waiting = session.scalar(
        select(func.count())
        .select_from(DisposalItem)
        .where(DisposalItem.action == "transfer", DisposalItem.status == "approved")
    )
    return render_template(
        "retention/transfers.html", transfers=listed, waiting=waiting or 0, form=ActionForm()
    )


@bp.post("/transfers/export")
def export_transfer() -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    db().commit()
    try:
        made = transfer.export_transfer(rt(), actor=principal())
    except EdrmError as exc:
        flash(str(exc), "error")
        return redirect(url_for("retention.transfers"))
    flash(f"Bag {made.bag_id} written to {made.path}: send it to the archive.", "success")
    return redirect(url_for("retention.transfer_page", bag_id=made.bag_id))


@bp.route("/transfers/<bag_id>", methods=["GET", "POST"])
def transfer_page(bag_id: str) -> Any:
    session = db()
    found = transfer.get_transfer(session, bag_id)
    form = ConfirmTransferForm()
    status = 200
    # A confirmed transfer that stopped part-way (e.g. a record held after export) can be
    # finished by confirming again.
    if found.status in ("exported", "confirmed") and form.validate_on_submit():
        session.commit()
        try:
            finished = transfer_confirmation.confirm_transfer(
                rt(), bag_id, actor=principal(), receipt=form.receipt.data.strip()
            )
        except EdrmError as exc:
            form.form_errors.append(str(exc))
            status = 400
        else:
            flash(f"Receipt recorded; {_count_words(len(finished))} destroyed locally.", "success")
            return redirect(url_for("retention.transfer_page", bag_id=bag_id))
    elif form.is_submitted():
        status = 400
    docs = list(
        session.scalars(
            select(Document)
            .join(TransferItem, TransferItem.document_id == Document.id)
            .where(TransferItem.transfer_id == found.id)
            .order_by(Document.id)
            .limit(500)
        )
    )
    return (
        render_template("retention/transfer.html", transfer=found, docs=docs, form=form),
        status,
    )


# --- events -----------------------------------------------------------------------------------


@bp.route("/events", methods=["GET", "POST"])
def events_page() -> Any:
    session = db()
    form = EventForm()
    status = 200
    if form.validate_on_submit():
        try:
            with session.begin_nested():
                event = retention_events.record_event(
                    session,
                    form.name.data.strip(),
                    occurred_on=form.occurred_on.data,
                    folder_code=(form.folder_code.data or "").strip() or None,
                    document_id=_document_number(form.document_id.data),
                    actor=principal(),
                    note=(form.note.data or "").strip(),
                )
        except EdrmError as exc:
            form.form_errors.append(str(exc))
            status = 400
        else:
            flash(
                f"Recorded '{event.name}' on {event.occurred_on:%-d %B %Y}: the due dates it "
                "sets are worked out at the next check.",
                "success",
            )
            return redirect(url_for("retention.events_page"))
    elif form.is_submitted():
        status = 400
    return (
        render_template(
            "retention/events.html", events=retention_events.list_events(session), form=form
        ),
        status,
    )


# --- audit search -----------------------------------------------------------------------------


@bp.get("/audit")
def audit_search() -> Any:
    args = request.args
    errors: dict[str, str] = {}
    query = AuditQuery(
        actor=args.get("actor", "").strip(),
        action=args.get("action", "").strip(),
        object_type=args.get("object_type", "").strip(),
        object_id=args.get("object_id", "").strip(),
        date_from=_date_arg("from", errors),
        date_to=_date_arg("to", errors),
        before_seq=int(args["before"]) if args.get("before", "").isdigit() else None,
    )
    session = db()
    entries = [] if errors else search_audit(session, query, limit=51)
    older_url = None
    if len(entries) > 50:
        entries = entries[:50]
        kept = {k: v for k, v in args.items() if k != "before" and v}
        older_url = url_for("retention.audit_search", **kept, before=entries[-1].seq)
    return (
        render_template(
            "retention/audit.html",
            entries=entries,
            older_url=older_url,
            args=args,
            errors=errors,
            error_list=[{"text": m, "href": f"#{k}"} for k, m in errors.items()],
            actions=known_actions(session),
        ),
        400 if errors else 200,
    )


def _date_arg(name: str, errors: dict[str, str]) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = f"Enter the date as year-month-day, for example {clock.now():%Y-%m-%d}"
        return None


# --- for everyone signed in: filing consequence and each record's rule ------------------------


@bp.get("/consequence")
@login_required
def consequence() -> Any:
    """What filing in a class or folder means for a record, as one sentence (JSON)."""
    code = request.args.get("code", "").strip()
    if not code:
        return jsonify({"error": "name a class or folder code"}), 400
    try:
        node = get_visible_node(db(), principal(), code)
        text = schedule.consequence(db(), node.code)
    except NotFoundError:
        return jsonify({"error": f"there is no class or folder {code!r}"}), 404
    return jsonify({"code": node.code, "title": node.title, "consequence": text})


@bp.app_template_global("filing_consequence")
def filing_consequence(code: str) -> str:
    """The consequence of filing in `code` (for the triage page's suggestions)."""
    try:
        schedule.ensure_schedule(db(), rt().settings)
        return schedule.consequence(db(), code)
    except EdrmError:
        return ""


@bp.app_template_global("retention_rows")
def retention_rows(document: Document) -> list[dict[str, Any]]:
    """A record's retention as rows of its page's details (the e-GMS disposal element): the
    rule and where it comes from, when it falls due and what happens then, any legal hold and,
    for records managers, its place in the disposal queue. No rows for documents not filed
    (triage) or destroyed (their page shows the stub)."""
    if document.status != "filed" or document.node is None:
        return []
    schedule.ensure_schedule(db(), rt().settings)
    info = schedule.retention_of(db(), document)
    if not info.get("rule"):
        return [_row("Retention rule", "None reaches this record")]
    source = info.get("inherited_from")
    if source == "record":
        where = "set on this record"
    elif source == document.node.code:
        where = f"set on {source}"
    else:
        where = f"inherited from {source}"
    rows = [
        _row("Retention rule", f"{info['rule']} – {info['title']} ({where})"),
        _row("Due for disposal", _due_words(info)),
    ]
    if info.get("authority"):
        rows.append(_row("Authority", str(info["authority"])))
    if info.get("holds"):
        rows.append(
            _row(
                "Legal hold",
                Markup(
                    '<strong class="govuk-tag govuk-tag--red">Under legal hold</strong> '
                    "Nothing may destroy, move or change it until the hold is lifted."
                ),
            )
        )
    queued = info.get("queue")
    if queued and principal().manages_records:
        link = Markup('<a class="govuk-link" href="{}">{}, stage {} of {}</a>').format(
            url_for("retention.item", item_id=queued["id"]),
            STATUS_LABELS.get(queued["status"], queued["status"]),
            queued["stage"],
            queued["stages"],
        )
        rows.append(_row("Disposal queue", link))
    return rows


def _row(key: str, value: str) -> dict[str, Any]:
    kind = "html" if isinstance(value, Markup) else "text"
    return {"key": {"text": key}, "value": {kind: value}}


def _due_words(info: dict[str, Any]) -> str:
    """e.g. "22 November 2033, then destroy. The rule: destroy 7 years after it was created."."""
    describe = str(info.get("describe") or "")
    if info.get("state") == "permanent":
        return "Never: kept permanently"
    if not info.get("due"):
        return f"Not yet known: the rule says {describe}"
    due = date.fromisoformat(str(info["due"]))
    action = ACTION_LABELS.get(str(info.get("action")), str(info.get("action"))).lower()
    set_by = " (a reviewer's new date)" if info.get("review_on") else ""
    return f"{due:%-d %B %Y}, then {action}{set_by}. The rule: {describe}."
