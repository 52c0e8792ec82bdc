"""Help pages: short, plain-English explanations of the words a newcomer meets (file plan,
triage, search syntax, disposal, holds, knowledge harvesting, markings).

Any page links to one with the `help_hint(text, topic)` macro in templates/macros.html; the
topic is a key of `TOPICS`, and a key that is not there fails as the page is drawn, so a
mistyped topic is found by the first test that shows the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, render_template

from edrm.web.auth import login_required

bp = Blueprint("help", __name__)


@dataclass(frozen=True)
class Topic:
    title: str
    summary: str  # one sentence, for the list of help pages


#: Every help page, by the name in its address (/help/<name>) and its template's name.
TOPICS: dict[str, Topic] = {
    "file-plan": Topic(
        "The file plan and its classes",
        "How records are organised: functions, activities, classes and folders.",
    ),
    "triage": Topic(
        "Triage and filing",
        "What happens to a document you add, and how to file one edrm was not sure about.",
    ),
    "search": Topic(
        "How to search",
        "Words, phrases, fields, dates and the other things you can type in the search box.",
    ),
    "disposal": Topic(
        "Retention and disposal",
        "How long records are kept, and what happens to them at the end.",
    ),
    "legal-holds": Topic(
        "Legal holds",
        "Why a record can be held, and what a hold stops.",
    ),
    "knowledge-harvesting": Topic(
        "Finding knowledge and knowledge harvesting",
        "Finding what the department knows, in its records and its people, and keeping "
        "it when people leave.",
    ),
    "security-markings": Topic(
        "Security markings",
        "OFFICIAL, OFFICIAL-SENSITIVE, SECRET and TOP SECRET, and who may see what.",
    ),
}


def help_topic_title(topic: str) -> str:
    """The title of a help page (for links); an unknown topic is an error, not a dead link."""
    try:
        return TOPICS[topic].title
    except KeyError:
        raise KeyError(f"no help page {topic!r}; the topics are {', '.join(TOPICS)}") from None


bp.add_app_template_global(help_topic_title, "help_topic_title")


@bp.get("/help")
@login_required
def index() -> str:
    return render_template("help/index.html", topics=TOPICS)


@bp.get("/help/<topic>")
@login_required
def topic(topic: str) -> str:
    if topic not in TOPICS:
        abort(404)
    return render_template(
        f"help/{topic}.html",
        topic=topic,
        this=TOPICS[topic],
        others={name: t for name, t in TOPICS.items() if name != topic},
    )
