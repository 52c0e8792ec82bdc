"""The request this thread is serving, if any: its id, who made it and which route, for the
log lines written meanwhile (`edrm.logs`) and the audit entries it writes (`edrm.audit`).

The web entry point opens it at the start of each request and closes it at the end; jobs,
workers and commands have none. A context variable, so each server thread has its own.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass

#: An incoming X-Request-Id is used only if it is short and plain (it goes into logs, a
#: response header and audit entries); anything else is replaced by a new id.
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


@dataclass
class RequestContext:
    request_id: str
    route: str = ""
    user: str = ""


_current: ContextVar[RequestContext | None] = ContextVar("edrm_request", default=None)


def request_id_from(incoming: str | None) -> str:
    """The id to use: a safe incoming one (from a proxy or a client), else a new one."""
    if incoming and _SAFE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def begin(request_id: str) -> Token[RequestContext | None]:
    return _current.set(RequestContext(request_id))


def end(token: Token[RequestContext | None]) -> None:
    _current.reset(token)


def current() -> RequestContext | None:
    return _current.get()


def current_request_id() -> str | None:
    context = _current.get()
    return context.request_id if context is not None else None
