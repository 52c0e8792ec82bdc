"""RFC 3161 time-stamps for audit checkpoints: a time-stamp authority (TSA) signs the digest of a
checkpoint line, which proves the line, and so the chain's head, existed at that time.

Requests and responses are built and checked with `rfc3161-client`; the request is an HTTP POST
(`application/timestamp-query`) to the configured authority.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from edrm.errors import EdrmError

# rfc3161_client and cryptography are imported inside the functions (heavy, and needed only when
# a checkpoint is time-stamped or verified), so that every command that writes audit events
# does not load them.
if TYPE_CHECKING:
    from cryptography import x509

CONTENT_TYPE = "application/timestamp-query"


class TimestampError(EdrmError):
    """The time-stamp authority could not be asked, or its answer is not a valid stamp."""


def request_token(url: str, data: bytes, *, timeout: float = 10.0) -> bytes:
    """Ask the authority at `url` to stamp `data` (its SHA-256 digest is sent); returns the
    DER-encoded TimeStampResp, checked to be granted, for this digest and this nonce."""
    import rfc3161_client

    request = (
        rfc3161_client.TimestampRequestBuilder()
        .data(data)
        .hash_algorithm(rfc3161_client.HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .build()
    )
    http = urllib.request.Request(
        url, data=request.as_bytes(), headers={"Content-Type": CONTENT_TYPE}, method="POST"
    )
    try:
        with urllib.request.urlopen(http, timeout=timeout) as answer:
            body: bytes = answer.read()
    except (urllib.error.URLError, OSError) as exc:
        raise TimestampError(f"time-stamp authority {url}: {exc}") from None
    try:
        response = rfc3161_client.decode_timestamp_response(body)
    except ValueError as exc:
        raise TimestampError(
            f"time-stamp authority {url}: not a time-stamp response ({exc})"
        ) from None
    if rfc3161_client.PKIStatus(response.status) != rfc3161_client.PKIStatus.GRANTED:
        raise TimestampError(f"time-stamp authority {url} refused (status {response.status})")
    if response.tst_info.nonce != request.nonce:
        raise TimestampError(f"time-stamp authority {url}: the answer is for another request")
    if response.tst_info.message_imprint.message != request.message_imprint.message:
        raise TimestampError(f"time-stamp authority {url}: the answer stamps other data")
    return body


def load_roots(path: str | Path) -> list[x509.Certificate]:
    """The trusted root certificates in a PEM file."""
    from cryptography import x509

    try:
        certificates = x509.load_pem_x509_certificates(Path(path).read_bytes())
    except OSError as exc:
        raise TimestampError(f"cannot read the TSA certificate file {path}: {exc}") from None
    except ValueError:
        raise TimestampError(f"{path} holds no PEM certificate") from None
    return certificates


def check_token(token: bytes, data: bytes, roots: list[x509.Certificate] | None) -> str | None:
    """What is wrong with a stored token for `data`, or None when it is good. With `roots` the
    authority's signature and certificate are checked too; without, only what it stamps."""
    import rfc3161_client

    try:
        response = rfc3161_client.decode_timestamp_response(token)
    except ValueError:
        return "is not a time-stamp response"
    if not roots:
        if response.tst_info.message_imprint.message != hashlib.sha256(data).digest():
            return "stamps other data"
        return None
    builder = rfc3161_client.VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    try:
        builder.build().verify_message(response, data)
    except rfc3161_client.VerificationError as exc:
        return f"does not verify ({exc})"
    return None


def gen_time(token: bytes) -> str:
    """When the authority says it stamped the token (ISO 8601)."""
    import rfc3161_client

    return rfc3161_client.decode_timestamp_response(token).tst_info.gen_time.isoformat()
