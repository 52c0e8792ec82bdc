"""Words the records managers' pages show for queue statuses, disposal actions and decisions,
and for counting items."""

from __future__ import annotations

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


def count_words(n: int) -> str:
    """e.g. "1 item", "3 items"."""
    return f"{n} item" if n == 1 else f"{n} items"
