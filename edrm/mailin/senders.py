"""Who a message is from: the one active person whose account has the sender's address.

Service accounts are never senders (their address is a contact for the system, not a mailbox
it sends from); an address two accounts share names no one, and is refused as such.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm.errors import RefusedError
from edrm.people.models import PERSON, User


class SenderRefused(RefusedError):
    """The message is not filed: the reason says why, in words for its sender."""


def _accounts(session: Session, address: str) -> list[User]:
    return list(
        session.scalars(
            select(User).where(
                func.lower(User.email) == address.strip().lower(),
                User.active.is_(True),
                User.kind == PERSON,
            )
        )
    )


def account_for(session: Session, address: str, *, what: str = "sender") -> User:
    """The account `address` belongs to, or SenderRefused saying why there is none."""
    address = address.strip().strip("<>")
    if not address:
        raise SenderRefused(f"the message has no {what} address, so edrm cannot tell who sent it")
    found = _accounts(session, address)
    if not found:
        raise SenderRefused(
            f"<{address}> is not the e-mail address of anyone with an edrm account, "
            "so edrm does not file mail from it"
        )
    if len(found) > 1:
        raise SenderRefused(
            f"<{address}> is the e-mail address of more than one edrm account, "
            "so edrm cannot tell whose mail it is; ask an administrator to correct the accounts"
        )
    return found[0]


def account_sending(session: Session, from_address: str, envelope_sender: str | None) -> User:
    """The account a message is filed as: its From address's, which must also be the
    envelope sender's when it came by SMTP (`envelope_sender` None: it did not)."""
    user = account_for(session, from_address, what="From")
    if envelope_sender is not None:
        envelope = account_for(session, envelope_sender, what="envelope sender")
        if envelope.id != user.id:
            raise SenderRefused(
                f"the message says it is from <{from_address}> but was sent by "
                f"<{envelope_sender.strip('<>')}>, a different account; forward it yourself"
            )
    return user
