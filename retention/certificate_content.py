"""What a certificate says, before it is rendered (retention.certificate_pdf, _html and the CSV
schedule in retention.certificates): the batch, its records' residual stubs, the authority of
each rule, the checksums of the content destroyed and the range of audit entries that record
the destruction; for a batch of transferred records, the transfer it finished (a transfer
receipt rather than a certificate of destruction).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from edrm.markings import Marking
from retention.models import ResidualStub

DESTRUCTION = "Certificate of destruction"
TRANSFER = "Transfer receipt"


@dataclass(frozen=True)
class TransferFacts:
    """The transfer a batch of transferred records finished."""

    archive: str
    bag_ids: list[str]
    receipts: list[str]
    confirmed_at: datetime | None


@dataclass(frozen=True)
class Certificate:
    """The content of one certificate (or transfer receipt), before it is rendered."""

    batch_id: int
    action: str
    created_at: datetime
    created_by: str
    completed_at: datetime
    executed_by: str
    stubs: list[ResidualStub]
    authorities: dict[str, str]  # rule code -> authority
    checksums: dict[int, list[str]] = field(default_factory=dict)  # document id -> SHA-256s
    audit_range: tuple[int, int] | None = None  # first and last audit sequence numbers
    transfer: TransferFacts | None = None
    people: dict[str, str] = field(default_factory=dict)  # username -> full name

    def who(self, username: str) -> str:
        """A person as a formal record names them: "Rebecca Manning (rmanager)"."""
        name = self.people.get(username)
        return f"{name} ({username})" if name and name != username else username

    @property
    def kind(self) -> str:
        """ "Certificate of destruction" or "Transfer receipt"."""
        return TRANSFER if self.transfer is not None else DESTRUCTION

    @property
    def title(self) -> str:
        n = len(self.stubs)
        return f"{self.kind}: batch {self.batch_id} ({n} record{'s' * (n != 1)})"

    @property
    def marking(self) -> Marking:
        return Marking.highest(Marking.OFFICIAL, *(Marking(s.marking) for s in self.stubs))

    @property
    def rules(self) -> list[tuple[str, str]]:
        """(rule code, authority) of every rule the records were disposed of under."""
        codes = sorted({s.rule_code for s in self.stubs} | set(self.authorities))
        return [(c, self.authorities.get(c) or "no authority recorded") for c in codes]

    def statement(self) -> str:
        n = len(self.stubs)
        records = f"{n} record{'s' * (n != 1)}"
        removed = (
            "the content of every version, every rendition, the extracted text, the previews "
            "and the search index entries of each record were removed"
        )
        if self.transfer is not None:
            t = self.transfer
            bags = ", ".join(t.bag_ids) or "not recorded"
            receipt = "; ".join(r for r in t.receipts if r) or "not recorded"
            when = f" on {t.confirmed_at:%-d %B %Y}" if t.confirmed_at else ""
            return (
                f"This receipt records that the {records} listed below were transferred to "
                f"{t.archive} (transfer package {bags}), that the archive confirmed receiving "
                f"them{when} (their receipt: {receipt}), and that only then were the local "
                f"copies removed from this system: {removed}. A residual stub of each record "
                "remains here."
            )
        return (
            f"This certifies that the {records} listed below were destroyed under the retention "
            f"schedule, after approval by the reviewers named: {removed}. Only a residual stub "
            "of each record remains (identifier, title, class, dates, rule, authority, "
            "approvals and the time of destruction)."
        )


def day(value: datetime | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def moment(value: datetime | None) -> str:
    return value.strftime("%-d %B %Y %H:%M UTC") if value else ""


def approvals(stub: ResidualStub) -> list[dict[str, Any]]:
    """Each approval of the record: who, when, at which stage, and why."""
    return [
        {
            "by": str(a.get("by") or ""),
            "on": str(a.get("at") or "")[:10],
            "stage": a.get("stage"),
            "reason": str(a.get("reason") or ""),
        }
        for a in stub.approvers or []
    ]


def approved_by(stub: ResidualStub) -> str:
    """One line: "rmanager (2026-12-02, stage 1): Past its retention period; …"."""
    return "; ".join(
        f"{a['by']} ({a['on']}, stage {a['stage']})" + (f": {a['reason']}" if a["reason"] else "")
        for a in approvals(stub)
    )


def place(stub: ResidualStub) -> str:
    return stub.class_code + (f" / {stub.folder_code}" if stub.folder_code else "")
