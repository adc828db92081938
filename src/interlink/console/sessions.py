"""Console sessions: a browser signed in with an API key or by single sign-on.

Every way of signing in ends in `ConsoleSessions.open(principal, method=..., name=...)` and
`ConsoleSessions.set_cookie(response, request, opened)`. The cookie holds a random token; the
database keeps only its SHA-256. On each request the session resolves to the same `Principal` the
API uses: for a session opened with an API key, the key as it is now (a revoked or expired key
ends its sessions; its scopes are the key's current ones).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.auth.scopes import Principal
from interlink.auth.service import AuthService
from interlink.config import ConsoleSettings
from interlink.console.models import ConsoleSession
from interlink.console.repository import SessionRepository
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.errors import Unauthenticated, WorkspaceNotFound

COOKIE = "interlink_console"
CONSOLE = "/console"  # where the app serves the console (behind any root path or prefix)
_SEEN_EVERY = timedelta(seconds=60)
_KEPT_AFTER_END = timedelta(days=1)


class SessionEnded(Unauthenticated):
    """Sign in to the console again."""


@dataclass(frozen=True)
class OpenedSession:
    """A session just opened: `cookie_value` goes to the browser and is never stored."""

    cookie_value: str
    principal: Principal
    expires_at: datetime


@dataclass(frozen=True)
class SignedIn:
    """The browser's session, resolved for one request."""

    principal: Principal
    name: str
    method: str
    workspace_name: str
    csrf_token: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_of(token: str) -> str:
    """The session's CSRF token: derived from its cookie's token, so nothing more is stored, and
    unknowable without the cookie."""
    return hmac.new(token.encode(), b"interlink-console-csrf", hashlib.sha256).hexdigest()


def is_secure(request: Request) -> bool:
    """Whether the browser reached us over TLS (uvicorn applies `X-Forwarded-Proto` of the
    proxies it trusts, `FORWARDED_ALLOW_IPS`, to the scheme)."""
    return request.url.scheme == "https"


def cookie_path(request: Request) -> str:
    return request.url_for("console:overview").path.rstrip("/") or "/"


class ConsoleSessions:
    def __init__(
        self, db: Database, clock: Clock, auth: AuthService, settings: ConsoleSettings
    ) -> None:
        self.db = db
        self.clock = clock
        self.auth = auth
        self.idle = timedelta(seconds=settings.idle_timeout_seconds)
        self.absolute = timedelta(seconds=settings.absolute_timeout_seconds)

    async def open(self, principal: Principal, *, method: str, name: str) -> OpenedSession:
        """A new session for `principal`, signed in by `method` (`api_key`, `oidc`, `ldap`)."""
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        row = ConsoleSession(
            token_hash=token_hash(token),
            workspace_id=principal.workspace_id,
            subject=principal.subject,
            key_id=principal.key_id if method == "api_key" else None,
            scopes=sorted(principal.scopes),
            method=method,
            name=name[:200],
            created_at=now,
            last_seen_at=now,
            expires_at=now + self.absolute,
            ended_at=None,
        )
        async with self.db.transaction() as session:
            repository = SessionRepository(session)
            await repository.purge(now - _KEPT_AFTER_END)
            repository.add(row)
        return OpenedSession(cookie_value=token, principal=principal, expires_at=row.expires_at)

    async def resolve(self, token: str) -> SignedIn:
        """The signed-in caller behind a cookie's token; `SessionEnded` when there is none."""
        digest, now = token_hash(token), self.clock.now()
        async with self.db.read() as session:
            row = await SessionRepository(session).live(digest, now)
            if row is None or now - row.last_seen_at >= self.idle:
                raise SessionEnded("your console session has ended: sign in again")
            try:
                principal = await self._principal(session, row)
                workspace = await self.auth.get_workspace(session, principal, row.workspace_id)
            except (Unauthenticated, WorkspaceNotFound):
                principal = None
        if principal is None:
            await self._end(row)
            raise SessionEnded("the API key of this session is no longer valid: sign in again")
        if now - row.last_seen_at >= _SEEN_EVERY:
            async with self.db.transaction() as session:
                await SessionRepository(session).seen(digest, now)
        return SignedIn(principal, row.name, row.method, workspace.name, csrf_token_of(token))

    async def close(self, token: str) -> None:
        async with self.db.transaction() as session:
            await SessionRepository(session).end(token_hash(token), self.clock.now())

    def set_cookie(self, response: Response, request: Request, opened: OpenedSession) -> None:
        """Give the browser its session: HttpOnly, SameSite=Lax, Secure over TLS, scoped to the
        console's path, lasting no longer than the session."""
        response.set_cookie(
            COOKIE,
            opened.cookie_value,
            max_age=int(self.absolute.total_seconds()),
            path=cookie_path(request),
            secure=is_secure(request),
            httponly=True,
            samesite="lax",
        )

    @staticmethod
    def clear_cookie(response: Response, request: Request) -> None:
        response.delete_cookie(
            COOKIE, path=cookie_path(request), secure=is_secure(request), httponly=True,
            samesite="lax",
        )  # fmt: skip

    async def _principal(self, session: AsyncSession, row: ConsoleSession) -> Principal:
        if row.key_id is not None:
            return await self.auth.key_principal(session, row.workspace_id, row.key_id)
        return Principal(
            workspace_id=row.workspace_id,
            subject=row.subject,
            scopes=frozenset(row.scopes),
            via_token=True,
        )

    async def _end(self, row: ConsoleSession) -> None:
        async with self.db.transaction() as session:
            repository = SessionRepository(session)
            if row.key_id is not None:
                await repository.end_of_key(row.key_id, self.clock.now())
            else:
                await repository.end(row.token_hash, self.clock.now())
