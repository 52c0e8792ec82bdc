"""The one style of the JSON API (issue 13 part 3): the OpenAPI document's single SpecTree,
the problem-details model, cursor pagination, and ETag / If-Match.

Every /api/v1 route is declared with `spec.validate(...)` and pydantic v2 models: the same
models validate the request (a bad one answers 422 problem details listing what is wrong) and
check the response, and the OpenAPI 3.1 document at /api/v1/openapi.json is generated from them.

- Pagination: a list takes `cursor` (opaque: pass back what `next` gave) and `limit`; it answers
  `{"items": [...], "next": "<url of the next page>" | null}`.
- Errors: RFC 9457 problem details (`application/problem+json`, `edrm.web.errors.problem`).
- Updates: a single resource's GET carries an `ETag`; a change to it must send that value in
  `If-Match` (none: 428 Precondition Required; a stale one: 412 Precondition Failed).
- Uploads take an `Idempotency-Key` (`edrm.web.api_idempotency`).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import SecureType
from werkzeug.wrappers import Response

from edrm.errors import InvalidInputError
from edrm.web.errors import problem

M = TypeVar("M", bound=BaseModel)
log = logging.getLogger(__name__)


class Answer(BaseModel):
    """What the API answers: extra members are allowed (a document carries its Dublin Core
    metadata and any extra properties)."""

    model_config = ConfigDict(extra="allow")


class Request(BaseModel):
    """What the API accepts: an unknown member is refused."""

    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """RFC 9457 problem details (plus `error`, the detail again, read by older clients)."""

    model_config = ConfigDict(extra="allow")
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    error: str | None = None


def _model_name(model: Any) -> str:
    """Component names as OpenAPI allows them ([A-Za-z0-9._-])."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", getattr(model, "__name__", str(model)))


def _problem_on_invalid(
    _req: Any, _resp: Any, error: Exception | None, _instance: Any, adapter: Any
) -> None:
    """A request the models refuse answers 422 problem details naming each wrong field."""
    if error is None:
        return
    abort(_refused(_fields(adapter.validation_errors(error))))


def _tag_answers(
    req: Any, resp: Any, error: Exception | None, _instance: Any, adapter: Any
) -> None:
    """After each declared call: a JSON GET answer carries an ETag (unless it set its own); an
    answer that does not fit its own schema (answered 500) is logged with what is wrong."""
    if error is not None:
        log.error(
            "%s %s answered outside its schema: %s",
            req.method,
            req.path,
            adapter.validation_errors(error),
        )
        return
    if (
        req.method == "GET"
        and resp.status_code == 200
        and resp.is_json
        and "ETag" not in resp.headers
    ):
        resp.headers["ETag"] = f'"{hashlib.sha256(resp.get_data()).hexdigest()[:32]}"'


def _refused(errors: list[dict[str, Any]]) -> Response:
    named = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors)
    return problem(422, f"the request is not valid: {named}", errors=errors)


def json_body(model: type[M]) -> M:
    """The request's JSON body as `model` (not JSON: 415; not the model: 422)."""
    if not request.is_json:
        abort(problem(415, "send the body as JSON (Content-Type: application/json)"))
    try:
        return model.model_validate(request.get_json(silent=True) or {})
    except ValidationError as exc:
        abort(_refused(_fields(exc.errors())))


def _fields(raw: Any) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
        for e in raw
    ]


spec = SpecTree(
    "flask",
    mode="strict",
    title="edrm API",
    description=(
        "The edrm JSON API. Send `Authorization: Bearer <token>` (make one on the API tokens "
        "page or with `edrm token create`). Lists are paged by cursor (`next`); errors are "
        "RFC 9457 problem details; updates need `If-Match` with the resource's `ETag`; "
        "uploads take an `Idempotency-Key`."
    ),
    version="1",
    path="spectree-unused",  # its own pages are not served (they load from a CDN)
    validation_error_status=422,
    validation_error_model=Problem,
    before=_problem_on_invalid,
    after=_tag_answers,
    naming_strategy=_model_name,
    nested_naming_strategy=lambda _parent, child: _model_name(type(child, (), {})),
    annotations=False,
    security_schemes=[
        SecurityScheme(
            name="bearer",
            data=SecuritySchemeData(
                type=SecureType.HTTP, scheme="bearer", description="an edrm API token"
            ),
        )
    ],
    security={"bearer": []},
)


def streamed(**declaration: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a route that streams bytes in the document, without spectree handling its
    answer (it would read a streamed file into memory, or fail on it): the view's
    `__wrapped__` is the declared function, where the document finds the declaration."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        declared = spec.validate(**declaration)(func)

        @functools.wraps(func)
        def view(*args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

        view.__wrapped__ = declared
        return view

    return decorate


# --- pagination ----------------------------------------------------------------------------

MAX_LIMIT = 100


class PageQuery(BaseModel):
    cursor: str | None = Field(None, description="from the previous page's `next`")
    limit: int = Field(20, ge=1, le=MAX_LIMIT, description="items a page")


def page_model(item: type[BaseModel], name: str) -> type[BaseModel]:
    """`{"items": [item…], "next": url | null}` for one kind of item."""
    fields: dict[str, Any] = {
        "items": (list[item], ...),  # type: ignore[valid-type]
        "next": (str | None, Field(None, description="the next page, null on the last")),
    }
    return create_model(name, **fields)


def decode_cursor(cursor: str | None) -> int:
    """The offset an opaque cursor stands for (a bad cursor is the caller's mistake: 400)."""
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInputError("that cursor is not one this API gave") from None
    if offset < 0:
        raise InvalidInputError("that cursor is not one this API gave")
    return offset


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def next_link(offset: int, limit: int, has_more: bool) -> str | None:
    """The URL of the page after the one at `offset`, or None on the last."""
    if not has_more:
        return None
    args = request.args.to_dict(flat=False)
    args["cursor"] = [encode_cursor(offset + limit)]
    args["limit"] = [str(limit)]
    from urllib.parse import urlencode

    return f"{request.base_url}?{urlencode(args, doseq=True)}"


def page_of(rows: list[Any], query: PageQuery) -> dict[str, Any]:
    """One page of an already-filtered list."""
    offset = decode_cursor(query.cursor)
    chosen = rows[offset : offset + query.limit]
    return {
        "items": chosen,
        "next": next_link(offset, query.limit, len(rows) > offset + query.limit),
    }


# --- ETag / If-Match -----------------------------------------------------------------------


def etag_of(data: Any) -> str:
    """A strong entity tag for a resource's JSON shape."""
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return f'"{digest[:32]}"'


def require_if_match(current: str) -> None:
    """Refuse a change not made against the resource's current ETag (428 / 412)."""
    sent = request.headers.get("If-Match", "").strip()
    if not sent:
        abort(problem(428, "send If-Match with the ETag from the resource's GET"))
    if sent != "*" and current not in [tag.strip() for tag in sent.split(",")]:
        abort(problem(412, "the resource changed since you read it: GET it again"))


def tagged(data: dict[str, Any], etag: str, status: int = 200) -> Response:
    from flask import jsonify

    response = jsonify(data)
    response.status_code = status
    response.headers["ETag"] = etag
    return response
