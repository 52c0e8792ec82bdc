"""The Flask application factory: settings, runtime, templates, security headers, blueprints."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, g, request
from flask_wtf.csrf import CSRFProtect
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import BytecodeCache, ChoiceLoader, PackageLoader, PrefixLoader
from jinja2.bccache import Bucket
from werkzeug.wrappers import Response

from disclosure import web as disclosure_web
from disclosure.web import redaction as disclosure_redaction_web
from edrm.people.passwords import use_hash_slots
from edrm.settings import load_settings, secret_key
from edrm.web import (
    api,
    api_docs,
    api_documents,
    api_fileplan,
    auth,
    documents,
    fileplan,
    health,
    home,
    ingest,
    metrics,
    notifications,
    observability,
    search,
    sso,
    tokens,
)
from edrm.web import help as help_pages
from edrm.web.errors import register_error_handlers
from edrm.web.params import BoundedIntConverter
from edrm.web.runtime import (
    EdrmFlask,
    close_request_session,
    commit_request_session,
    end_sign_in_transaction,
)
from edrm.web.sessions import ServerSideSessions
from edrm.web.sso_session import build as build_sso
from edrm.web.sso_session import form_origins
from edrm.web.sso_session import install as install_sso
from edrm.wiring import build_runtime
from harvest.web import directory as web_directory
from harvest.web import leavers as web_leavers
from retention import web as retention_web

csrf = CSRFProtect()
#: The areas' web packages and modules: each has a blueprint `bp` and may have a JSON `api`.
AREA_WEB = (
    web_directory,
    web_leavers,
    retention_web,
    disclosure_web,
    disclosure_redaction_web,
)


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates kept for the life of the process (keyed by source checksum), so
    every app built in one process (workers, tests) compiles the GOV.UK macros once."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        data = self._store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CACHE = _MemoryBytecodeCache()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `test_config` overrides settings (and may carry Flask keys in 'flask')."""
    overrides = dict(test_config or {})
    flask_overrides = overrides.pop("flask", {})
    settings = load_settings(overrides)
    single_sign_on = build_sso(settings)
    runtime = build_runtime(settings)

    app = EdrmFlask("edrm.web.app")
    app.url_map.converters["int"] = BoundedIntConverter  # ids beyond 64 bits: 404, not 500
    app.config.update(
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_NAME="edrm_session",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_minutes),
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
    )
    app.config.update(flask_overrides)
    app.extensions["edrm"] = runtime
    app.session_interface = ServerSideSessions()
    use_hash_slots(settings.password_hash_slots)

    app.jinja_options = {**app.jinja_options, "bytecode_cache": _TEMPLATE_CACHE}
    app.jinja_loader = ChoiceLoader(
        [
            PackageLoader("edrm.web", "templates"),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.globals["service_name"] = settings.service_name
    WTFormsHelpers(app)
    csrf.init_app(app)
    csrf.exempt(api.bp)  # the API checks the token itself (or uses HTTP Basic)

    for module in (
        auth,
        home,
        fileplan,
        documents,
        health,
        help_pages,
        ingest,
        metrics,
        search,
        tokens,
        notifications,
        api,
        sso,
        api_docs,
    ):
        app.register_blueprint(module.bp)
    _register_area_pages(app)
    install_sso(app, single_sign_on)

    app.before_request(_before_request)
    app.before_request(auth.load_current_user)
    app.before_request(end_sign_in_transaction)
    observability.install(app)  # request ids, the request log line, HTTP metrics
    app.after_request(_security_headers)
    app.after_request(commit_request_session)
    app.teardown_request(close_request_session)
    register_error_handlers(app)
    return app


def _register_area_pages(app: Flask) -> None:
    """Each area's pages, and the JSON API an area has (it checks its token itself)."""
    for core in (api_documents, api_fileplan):
        app.register_blueprint(core.api)
        csrf.exempt(core.api)
    for area in AREA_WEB:
        app.register_blueprint(area.bp)
        area_api = getattr(area, "api", None)
        if area_api is not None:
            app.register_blueprint(area_api)
            csrf.exempt(area_api)


def _before_request() -> None:
    g.csp_nonce = secrets.token_urlsafe(16)


def _security_headers(response: Response) -> Response:
    nonce = getattr(g, "csp_nonce", "")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; frame-ancestors 'none'; "
        f"form-action 'self'{form_origins()}; "
        "base-uri 'none'; object-src 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response
