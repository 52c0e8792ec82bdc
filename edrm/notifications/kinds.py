"""The kinds of notification a person can receive, in the words the e-mails and the
preferences page use."""

from __future__ import annotations

from dataclasses import dataclass

from edrm.notifications.models import DIGEST, IMMEDIATE

REVIEW_DUE = "review_due"
TRIAGE_WAITING = "triage_waiting"
INTERVIEW_DUE = "interview_due"
PLAN_APPROVAL = "plan_approval"
HOLD_PLACED = "hold_placed"
VITAL_REVIEW_DUE = "vital_review_due"
KNOWLEDGE_REVIEW_DUE = "knowledge_review_due"
REQUEST_DUE = "request_due"
#: Not a preference: the daily e-mail that lists a person's digest notifications.
DAILY_DIGEST = "daily_digest"


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # the preferences page's checkbox
    hint: str
    subject: str  # the e-mail's subject when sent on its own
    timing: str  # the default: immediately or in the daily digest
    roles: tuple[str, ...] = ()  # who is ever sent it (the page offers it to them); () everyone


KINDS: tuple[Kind, ...] = (
    Kind(
        REVIEW_DUE,
        "Records waiting for disposal review",
        "Records management: records in the disposal queue that need a reviewer",
        "Records are waiting for your review",
        IMMEDIATE,
        ("records_manager",),
    ),
    Kind(
        TRIAGE_WAITING,
        "Documents on your triage list",
        "Documents you uploaded that edrm could not file by itself",
        "Documents are waiting on your triage list",
        DIGEST,
    ),
    Kind(
        INTERVIEW_DUE,
        "Knowledge harvest interviews due",
        "HR: leavers whose leaving date is near with no harvest interview held",
        "A knowledge harvest interview is due",
        IMMEDIATE,
        ("hr",),
    ),
    Kind(
        PLAN_APPROVAL,
        "Knowledge harvest write-ups to approve",
        "A write-up of a harvest interview that needs your approval",
        "A knowledge harvest write-up is waiting for your approval",
        IMMEDIATE,
    ),
    Kind(
        HOLD_PLACED,
        "Legal holds on your records",
        "A legal hold placed on records you filed or created",
        "A legal hold has been placed on your records",
        IMMEDIATE,
    ),
    Kind(
        VITAL_REVIEW_DUE,
        "Vital records due for review",
        "Records management: vital records whose review cycle has come round",
        "Vital records are due for review",
        DIGEST,
        ("records_manager",),
    ),
    Kind(
        KNOWLEDGE_REVIEW_DUE,
        "Knowledge you own due for review",
        "Harvest records and skills you keep up to date, when their review comes round",
        "Knowledge you own is due for review",
        DIGEST,
    ),
    Kind(
        REQUEST_DUE,
        "Information requests falling due",
        "FOI, EIR and subject access requests you handle, as their statutory date nears or passes",
        "An information request is falling due",
        IMMEDIATE,
        ("information_rights_officer", "records_manager", "administrator"),
    ),
)
BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
TIMINGS: tuple[str, ...] = (IMMEDIATE, DIGEST)


def kinds_for(role: str | None) -> tuple[Kind, ...]:
    """The kinds a person of this role may be sent (the preferences page offers these)."""
    return tuple(k for k in KINDS if not k.roles or role in k.roles)


def kind(name: str) -> Kind:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown notification kind {name!r}") from None
