"""The home page with the four ways in (the codification / personalisation matrix).

The cards use plain words only; the model behind them (Harvest, Hunting, Harness,
Hypothesise) is explained on the help page /help/knowledge-harvesting, linked from the page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from edrm.web.auth import login_required

bp = Blueprint("home", __name__)
#: app.extensions key: the areas offer callables giving the signed-in person's tasks, each
#: {"text", "href"} (harvest: write-ups waiting for the leaver's or line manager's approval).
HOME_TASKS = "edrm.home_tasks"

# The codification / personalisation matrix, in plain words: documents then people, each
# directed then exploring.
WAYS_IN = [
    {
        "endpoint": "search.page",
        "title": "Search records",
        "text": "Find documents by words, titles, dates and file-plan class.",
    },
    {
        "endpoint": "fileplan.index",
        "title": "Browse the file plan",
        "text": "Explore the department's functions, activities and folders, and records "
        "similar to the ones you find.",
    },
    {
        "endpoint": "directory.find_expert",
        "title": "Find an expert",
        "text": "Ask who knows about a topic, and see why.",
    },
    {
        "endpoint": "directory.communities",
        "title": "Explore people and communities",
        "text": "See people grouped by shared topics, units and places.",
    },
]


@bp.route("/")
@login_required
def index() -> str:
    tasks = [task for offer in current_app.extensions.get(HOME_TASKS, ()) for task in offer()]
    return render_template("home.html", ways_in=WAYS_IN, tasks=tasks)


@bp.route("/experts")
@login_required
def experts() -> Any:
    """The old address of "find an expert": only the question goes on (a URL is never built
    from whatever the query string holds, such as `_external` or `_scheme`)."""
    question = request.args.get("q", "")
    if question:
        return redirect(url_for("directory.find_expert", q=question))
    return redirect(url_for("directory.find_expert"))


@bp.route("/communities")
@login_required
def communities() -> Any:
    return redirect(url_for("directory.communities"))
