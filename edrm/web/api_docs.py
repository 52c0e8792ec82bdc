"""The API's own description: the OpenAPI 3.1 document and a reference page rendered from it.

Both are public (no token): they describe the interface, never the data behind it, and an IT team
reads them before it has an account. The page is rendered here from the document (no JavaScript
or assets from the internet), in the service's GOV.UK style.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from spectree import Response as Responses

from edrm.web.api_style import spec

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")
METHODS = ("get", "post", "put", "patch", "delete")


def openapi_document() -> dict[str, Any]:
    """The document for this app's routes (generated once a process: the routes are fixed)."""
    with current_app.app_context():
        return spec.spec


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
    return render_template("api/reference.html", document=document, groups=groups)


def _operation(path: str, method: str, operation: dict[str, Any]) -> dict[str, Any]:
    body = operation.get("requestBody", {}).get("content", {})
    return {
        "anchor": operation.get("operationId", f"{method}-{path}"),
        "method": method.upper(),
        "path": path,
        "summary": operation.get("summary", ""),
        "description": operation.get("description", ""),
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
