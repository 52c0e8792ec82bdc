"""GET /healthz (alive: the database and the data directory) and GET /readyz (ready to serve:
the database, search, index lag, workers and scheduler), for people and monitors."""

from __future__ import annotations

import os
from typing import Any

from alembic.runtime.migration import MigrationContext
from flask import Blueprint, jsonify
from sqlalchemy import text

from edrm import readiness
from edrm.db import head_revision
from edrm.web.runtime import db, rt

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> Any:
    runtime = rt()
    checks: dict[str, str] = {}
    try:
        # The request's own session: on SQLite a second connection would wait behind the
        # write lock it takes for a signed-in person (BEGIN IMMEDIATE), then time out.
        conn = db().connection()
        conn.execute(text("SELECT 1"))
        revision = MigrationContext.configure(conn).get_current_revision()
        checks["database"] = "ok" if revision == head_revision() else f"schema {revision} is old"
    except Exception as exc:  # any failure is the answer here
        checks["database"] = f"error: {type(exc).__name__}"
    home = runtime.settings.home
    blob_dir = runtime.settings.blob_dir
    if not home.is_dir() or not blob_dir.is_dir():
        checks["data_directory"] = "missing"
    elif not os.access(blob_dir, os.W_OK):
        checks["data_directory"] = "not writable"
    else:
        checks["data_directory"] = "ok"
    ok = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ok" if ok else "error", **checks}), 200 if ok else 503


@bp.route("/readyz")
def readyz() -> Any:
    """Ready to serve: database, search engine, index lag, a live ingest worker, a scheduler
    (`edrm.readiness`); 503 with what is wrong otherwise. Public, like /healthz: it names
    what is wrong, never a secret."""
    checks = readiness.checks(db(), rt())
    ok = all(v == readiness.OK for v in checks.values())
    return jsonify({"status": "ok" if ok else "not ready", **checks}), 200 if ok else 503
