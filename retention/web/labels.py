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


ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth")


def ordinal(n: int) -> str:
    """e.g. 1 → "first", 2 → "second" (review stages; "stage 7" beyond the words)."""
    return ORDINALS[n - 1] if 1 <= n <= len(ORDINALS) else f"number {n}"


def item_status(status: str, stage: int, stages: int, last_decision: str | None = None) -> str:
    """What an item's status means, in words: a pending item past its first stage says what
    the earlier review did ("Approved at first review, waiting for second review"); an item
    approved at its last of several stages says so ("Approved at second review")."""
    if status == "pending" and stage > 1:
        done = "Referred" if last_decision == "refer" else "Approved"
        return f"{done} at {ordinal(stage - 1)} review, waiting for {ordinal(stage)} review"
    if status == "approved" and stages > 1:
        return f"Approved at {ordinal(stages)} review"
    return STATUS_LABELS.get(status, status.capitalize())
