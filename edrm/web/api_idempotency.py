"""`Idempotency-Key` on the API's uploads: a retry with the same key and the same request is
answered as the first time, from the stored answer, and does nothing again (`edrm.idempotency`
holds the keys and the crash story). The same key with a different request is 422."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import current_app, g, request
from werkzeug.wrappers import Response

from edrm import idempotency
from edrm.web.errors import problem
from edrm.web.runtime import db


def _fingerprint() -> str:
    parts: list[bytes] = []
    for name, value in sorted(request.form.items(multi=True)):
        parts.append(f"{name}={value}".encode())
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
        parts.append(f"{name}:{upload.filename}".encode())
        parts.append(upload.stream.read())
        upload.stream.seek(0)
    if not request.files and not request.form:
        parts.append(request.get_data())
    return idempotency.request_hash(request.method, request.path, parts)


def _json(status: int, body: str) -> Response:
    return current_app.response_class(body, status=status, mimetype="application/json")


def idempotent(handler: Callable[[], tuple[dict[str, Any], int]]) -> Response:
    """Run `handler` (which leaves its work uncommitted) once per key; commit its work and the
    key together."""
    sent = request.headers.get("Idempotency-Key")
    session = db()
    user_id = g.principal.user_id
    if sent is None:
        body, status = handler()
        session.commit()
        return _json(status, json.dumps(body, default=str))
    key = idempotency.check_key(sent)
    fingerprint = _fingerprint()
    try:
        earlier = idempotency.replay(session, user_id, key, fingerprint)
    except idempotency.KeyReusedError as exc:
        return problem(422, str(exc))
    if earlier is not None:
        answer = _json(earlier.status, earlier.body)
        answer.headers["Idempotent-Replayed"] = "true"
        return answer
    body, status = handler()
    text = json.dumps(body, default=str)
    idempotency.remember(session, user_id, key, fingerprint, idempotency.Answer(status, text))
    session.commit()
    return _json(status, text)
