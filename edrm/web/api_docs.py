"""The API's own description: the OpenAPI 3.1 document and a reference page rendered from it.

Both are public (no token): they describe the interface, never the data behind it, and an IT team
reads them before it has an account. The page is rendered here from the document (no JavaScript
or assets from the internet), in the service's GOV.UK style.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Blueprint, current_app, render_template
from markupsafe import Markup, escape
from spectree import Response as Responses

from edrm.web.api_style import spec
from edrm.web.errors import PROBLEM_JSON

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")
METHODS = ("get", "post", "put", "patch", "delete")
PROBLEM_REF = "#/components/schemas/Problem"


_DOCUMENT: dict[str, Any] = {}


def openapi_document() -> dict[str, Any]:
    """The document for this app's routes (generated once a process: the routes are fixed).
    Error answers are documented as what they are, `application/problem+json`."""
    if not _DOCUMENT:
        with current_app.app_context():
            document = copy.deepcopy(spec.spec)
        for item in document["paths"].values():
            for operation in item.values():
                _json_only(operation)
                for code, answer in operation.get("responses", {}).items():
                    content = answer.get("content", {})
                    if code[:1] in "45" and "application/json" in content:
                        content[PROBLEM_JSON] = content.pop("application/json")
        _DOCUMENT.update(document)
    return _DOCUMENT


def _json_only(operation: dict[str, Any]) -> None:
    """A JSON body sent as anything else answers 415 (`edrm.web.api_style.json_body`)."""
    if "application/json" in operation.get("requestBody", {}).get("content", {}):
        operation["responses"].setdefault(
            "415",
            {
                "description": "Unsupported Media Type",
                "content": {"application/json": {"schema": {"$ref": PROBLEM_REF}}},
            },
        )


@bp.get("/openapi.json")
@spec.validate(resp=Responses(HTTP_200=None), tags=["reference"], security={})
def openapi() -> Any:
    """The OpenAPI 3.1 document of this API"""
    return current_app.json.response(openapi_document())


@bp.get("/docs")
@spec.validate(resp=Responses(HTTP_200=None), tags=["reference"], security={})
def reference() -> Any:
    """This reference page (HTML)"""
    document = openapi_document()
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            tag = (operation.get("tags") or ["other"])[0]
            groups.setdefault(tag, []).append(_operation(path, method, operation))
    groups["reference"] = groups.pop("reference", [])  # about the API itself: last
    about = inline_code(document["info"].get("description", ""))
    return render_template("api/reference.html", document=document, groups=groups, about=about)


def inline_code(text: str) -> Markup:
    """Text with `code` spans shown as code (everything else escaped)."""
    parts = str(escape(text)).split("`")
    return Markup(
        "".join(
            f'<code class="edrm-code">{part}</code>' if n % 2 else part
            for n, part in enumerate(parts)
        )
    )


def _operation(path: str, method: str, operation: dict[str, Any]) -> dict[str, Any]:
    body = operation.get("requestBody", {}).get("content", {})
    return {
        "anchor": operation.get("operationId", f"{method}-{path}"),
        "method": method.upper(),
        "path": path,
        "summary": inline_code(operation.get("summary", "")),
        "description": inline_code(operation.get("description", "")),
        "parameters": operation.get("parameters", []),
        "body": [(kind, _ref_name(c.get("schema", {}))) for kind, c in body.items()],
        "responses": [
            (code, answer.get("description", ""), _response_schema(answer))
            for code, answer in sorted(operation.get("responses", {}).items())
        ],
        "public": operation.get("security") == [],
    }


def _ref_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref", "")
    return ref.rpartition("/")[2] if ref else schema.get("type", "")


def _response_schema(answer: dict[str, Any]) -> str:
    for content in answer.get("content", {}).values():
        return _ref_name(content.get("schema", {}))
    return ""
