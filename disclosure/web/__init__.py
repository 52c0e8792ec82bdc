"""The information-rights pages: the requests dashboard, opening a request, and each request's
page (status, clock, events, searches as the case officer, the bundle's records).

This package builds the one blueprint (`requests`, under /requests) and lets each page group add
its routes (`register(bp)`): requests (dashboard, new, request page and its actions). Only
information-rights officers, records managers and administrators may see any of it; to everyone
else every page answers 404, as if it did not exist. Nobody signed in is sent to sign in. Each
view turns a request into a service call (the services never commit; the request's unit of work
does).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, g, redirect, request, url_for

from disclosure.web import requests as request_pages
from edrm.access import may_handle_requests
from edrm.errors import NotFoundError
from edrm.web.auth import principal

__all__ = ["bp"]

PAGE_GROUPS = (request_pages,)


def _handlers_only() -> Any:
    if g.get("user") is None:
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    if not may_handle_requests(principal()):
        raise NotFoundError("not found")
    return None


def _long_date(value: str | date | None) -> str:
    """4 December 2026, from a date or its ISO text (the requests' JSON shapes)."""
    if not value:
        return ""
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return f"{day:%-d %B %Y}"


def _blueprint() -> Blueprint:
    blueprint = Blueprint("requests", __name__, url_prefix="/requests")
    blueprint.before_request(_handlers_only)
    blueprint.add_app_template_filter(_long_date, "long_date")
    for group in PAGE_GROUPS:
        group.register(blueprint)
    return blueprint


bp = _blueprint()
