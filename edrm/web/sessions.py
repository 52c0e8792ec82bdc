"""Flask's session, kept in the database once a person has signed in.

Before signing in, the session holds only the sign-in form's CSRF token, in Flask's signed cookie
as usual. Signing in starts a server-side session (`edrm.people.sessions`): from then on the cookie
carries nothing but the random session id, and what the session holds (the CSRF token, flash
messages) is stored in its row. A cookie naming a session that has ended, for whatever reason,
signs nobody in and is removed.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import Flask, Request, Response
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin

from edrm.people.sessions import StartedSession, resume_session, save_session_data
from edrm.people.signin import session_limits_for
from edrm.web.runtime import db, rt

#: secrets.token_urlsafe(32); a signed cookie always has dots in it, so the two never mix.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
_serializer = TaggedJSONSerializer()


class EdrmSession(SecureCookieSession):
    """The session dict, and which server-side session (if any) it is."""

    def __init__(self, initial: Any = None) -> None:
        super().__init__(initial)
        self.token: str | None = None
        self.record_id: int | None = None
        self.user_id: int | None = None
        self.expires: datetime | None = None
        self.stored = ""  # the data as last read or written
        self.started = False  # signed in on this request: send the new cookie
        self.ended = False  # the cookie named a session that is no more: remove it

    def begin(self, started: StartedSession, expires: datetime) -> None:
        """Signed in: from now on this is a fresh server-side session."""
        self.clear()
        self.token, self.record_id = started.token, started.record.id
        self.user_id, self.expires = started.record.user_id, expires
        self.started, self.ended = True, False

    def finish(self) -> None:
        """Signed out (the rows are gone): the cookie is removed."""
        self.clear()
        self.token = self.record_id = self.user_id = None
        self.started, self.ended = False, True


class ServerSideSessions(SecureCookieSessionInterface):
    session_class = EdrmSession

    def open_session(self, app: Flask, request: Request) -> EdrmSession | None:
        raw = request.cookies.get(self.get_cookie_name(app), "")
        if not _TOKEN.fullmatch(raw):
            return super().open_session(app, request)  # type: ignore[return-value]
        record = resume_session(db(), raw, session_limits_for(rt().settings))
        if record is None:
            gone = EdrmSession()
            gone.ended = True
            return gone
        session = EdrmSession(_serializer.loads(record.data) if record.data else None)
        session.token, session.record_id, session.user_id = raw, record.id, record.user_id
        session.stored = record.data
        return session

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, EdrmSession) or session.token is None:
            self._save_anonymous(app, session, response)
            return
        if session.accessed:
            response.vary.add("Cookie")
        data = _serializer.dumps(dict(session)) if session else ""
        if data != session.stored and session.record_id is not None:
            # The request's own transaction has ended (committed or rolled back) by now.
            with rt().uow() as own:
                save_session_data(own, session.record_id, data)
            session.stored = data
        if session.started:
            response.set_cookie(
                self.get_cookie_name(app),
                session.token,
                expires=session.expires,
                httponly=self.get_cookie_httponly(app),
                domain=self.get_cookie_domain(app),
                path=self.get_cookie_path(app),
                secure=self.get_cookie_secure(app),
                samesite=self.get_cookie_samesite(app),
                partitioned=self.get_cookie_partitioned(app),
            )

    def _save_anonymous(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if isinstance(session, EdrmSession) and session.ended and not session:
            response.delete_cookie(
                self.get_cookie_name(app),
                domain=self.get_cookie_domain(app),
                path=self.get_cookie_path(app),
                secure=self.get_cookie_secure(app),
                partitioned=self.get_cookie_partitioned(app),
                httponly=self.get_cookie_httponly(app),
                samesite=self.get_cookie_samesite(app),
            )
            response.vary.add("Cookie")
            return
        if isinstance(session, EdrmSession) and session.ended:
            session.modified = True  # replace the dead session's cookie with this one
        super().save_session(app, session, response)
