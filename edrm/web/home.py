"""The home page with the four ways in, and placeholders for areas still being built."""

from __future__ import annotations

from flask import Blueprint, render_template

from edrm.web.auth import login_required

bp = Blueprint("home", __name__)

# The codification / personalisation matrix, in plain words first.
WAYS_IN = [
    {
        "endpoint": "search.page",
        "title": "Search records",
        "text": "Find documents by words, titles, dates and file-plan class.",
        "term": "Harvest: directed search of documents",
    },
    {
        "endpoint": "fileplan.index",
        "title": "Browse the file plan",
        "text": "Explore the department's functions, activities and folders.",
        "term": "Hunting: exploring documents",
    },
    {
        "endpoint": "home.experts",
        "title": "Find an expert",
        "text": "Ask who knows about a topic, and see why.",
        "term": "Harness: directed search for people",
    },
    {
        "endpoint": "home.communities",
        "title": "Explore people and communities",
        "text": "See people grouped by shared topics, units and places.",
        "term": "Hypothesise: exploring people",
    },
]


@bp.route("/")
@login_required
def index() -> str:
    return render_template("home.html", ways_in=WAYS_IN)


@bp.route("/experts")
@login_required
def experts() -> str:
    return render_template(
        "coming_soon.html",
        title="Find an expert",
        text="The expertise directory is being built.",
    )


@bp.route("/communities")
@login_required
def communities() -> str:
    return render_template(
        "coming_soon.html",
        title="Explore people and communities",
        text="Communities of interest are being built.",
    )
