"""Who is calling and what they may do: API keys, bearer tokens, workspaces."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from interlink.auth import keys
from interlink.auth.models import ApiKey, Workspace
from interlink.auth.repository import ApiKeyRepository, WorkspaceRepository
from interlink.auth.scopes import ALL_SCOPES, Principal, Scope
from interlink.auth.tokens import TokenInvalid, TokenVerifier, looks_like_token
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.errors import (
    ApiKeyNotFound,
    Forbidden,
    InvalidRequest,
    Unauthenticated,
    WorkspaceNotFound,
)
from interlink.core.ids import new_id
from interlink.core.pagination import PageParams
from interlink.core.snapshots import SnapshotCache

_TOUCH_EVERY = timedelta(seconds=60)
_INVALID_KEY = "the API key is not valid"


def granted(asked: Iterable[str], held: Iterable[str]) -> frozenset[str]:
    """The scopes of `asked` that a holder of `held` may pass on (`admin` holds every scope)."""
    held = frozenset(held)
    return frozenset(s for s in asked if Scope.ADMIN in held or s in held)


@dataclass(frozen=True)
class NewApiKey:
    row: ApiKey
    plaintext: str


@dataclass(frozen=True)
class NewWorkspace:
    workspace: Workspace
    admin_key: NewApiKey


class AuthService:
    def __init__(
        self,
        clock: Clock,
        tokens: TokenVerifier,
        known_keys: SnapshotCache[str, ApiKey] | None = None,
    ) -> None:
        self.clock = clock
        self.tokens = tokens
        self.known_keys: SnapshotCache[str, ApiKey] = known_keys or SnapshotCache(clock, 0)

    # -- authentication -------------------------------------------------------------------
    async def authenticate(self, db: Database, credential: str) -> Principal:
        """The caller behind an API key or a bearer token. A key read once is kept in
        `known_keys`, so a known key costs no database read. A value that is neither shaped like
        a key nor like a token is an invalid key: most callers send keys."""
        if not keys.looks_like_key(credential):
            if not looks_like_token(credential):
                raise Unauthenticated(_INVALID_KEY)
            async with db.read() as session:
                return await self._from_token(session, credential)
        digest = keys.digest(credential)

        async def read() -> ApiKey | None:
            async with db.read() as session:
                return await ApiKeyRepository(session).by_hash(digest)

        row = await self.known_keys.load(digest, read)
        if row is None:
            raise Unauthenticated(_INVALID_KEY)
        return self._from_api_key(row, credential)

    def known_principal(self, credential: str) -> Principal | None:
        """The caller behind an API key whose row this process holds in `known_keys`, with no
        read; None when it holds none or the key does not authenticate (`authenticate` then
        reads, and says why)."""
        if not keys.looks_like_key(credential):
            return None
        row = self.known_keys.get(keys.digest(credential))
        if row is None:
            return None
        try:
            return self._from_api_key(row, credential)
        except Unauthenticated:
            return None

    def _from_api_key(self, row: ApiKey, plaintext: str) -> Principal:
        now = self.clock.now()
        if not keys.matches(row.key_hash, plaintext):
            raise Unauthenticated(_INVALID_KEY)
        if row.revoked_at is not None:
            raise Unauthenticated("the API key has been revoked")
        if row.expires_at is not None and row.expires_at <= now:
            raise Unauthenticated("the API key has expired")
        return Principal(
            workspace_id=row.workspace_id,
            subject=row.id,
            scopes=frozenset(row.scopes),
            key_id=row.id,
            rate_limit=row.rate_limit,
            last_used_at=row.last_used_at,
        )

    async def key_principal(
        self, session: AsyncSession, workspace_id: str, key_id: str
    ) -> Principal:
        """The caller behind a key known by its id (a console session's), as the key is now:
        401 once it has been revoked or has expired."""
        row = await ApiKeyRepository(session).get(workspace_id, key_id)
        if row is None or row.revoked_at is not None:
            raise Unauthenticated("the API key has been revoked")
        if row.expires_at is not None and row.expires_at <= self.clock.now():
            raise Unauthenticated("the API key has expired")
        return Principal(
            workspace_id=row.workspace_id,
            subject=row.id,
            scopes=frozenset(row.scopes),
            key_id=row.id,
            rate_limit=row.rate_limit,
            last_used_at=row.last_used_at,
        )

    def touch_due(self, principal: Principal) -> bool:
        """Whether the key's last use should be written now (at most once a minute)."""
        if principal.key_id is None or principal.via_token:
            return False
        last = principal.last_used_at
        return last is None or self.clock.now() - last >= _TOUCH_EVERY

    async def touch(self, session: AsyncSession, principal: Principal) -> None:
        assert principal.key_id is not None
        await ApiKeyRepository(session).touch(principal.key_id, self.clock.now())

    async def _from_token(self, session: AsyncSession, token: str) -> Principal:
        try:
            claims = await self.tokens.verify(token)
        except TokenInvalid as exc:
            raise Unauthenticated(str(exc)) from None
        workspace_id, scopes = claims.get("workspace"), claims.get("scopes", [])
        if not isinstance(workspace_id, str) or not isinstance(scopes, list):
            raise Unauthenticated("bearer token lacks the workspace or scopes claim")
        if await WorkspaceRepository(session).get(workspace_id) is None:
            raise Unauthenticated("bearer token names an unknown workspace")
        scopes = [s for s in scopes if s in ALL_SCOPES]
        key_id, rate_limit = claims.get("key_id"), None
        if isinstance(key_id, str):
            row = await ApiKeyRepository(session).get(workspace_id, key_id)
            if row is None or row.revoked_at is not None:
                raise Unauthenticated("the API key behind this token has been revoked")
            if row.expires_at is not None and row.expires_at <= self.clock.now():
                raise Unauthenticated("the API key behind this token has expired")
            rate_limit = row.rate_limit
            # Never more than the key holds now, whatever the token was signed with.
            scopes = list(granted(scopes, row.scopes))
        return Principal(
            workspace_id=workspace_id,
            subject=str(claims["sub"]),
            scopes=frozenset(scopes),
            key_id=key_id if isinstance(key_id, str) else None,
            rate_limit=rate_limit,
            via_token=True,
        )

    def issue_token(
        self, principal: Principal, scopes: Iterable[str] | None = None
    ) -> tuple[str, datetime]:
        """A token for the caller's key, with its scopes or the fewer `scopes` asked for."""
        wanted = principal.scopes if scopes is None else frozenset(scopes)
        missing = wanted - granted(wanted, principal.scopes)
        if missing:
            raise Forbidden(
                f"a token cannot carry scopes its key lacks: {', '.join(sorted(missing))}"
            )
        claims = {
            "sub": principal.subject,
            "workspace": principal.workspace_id,
            "scopes": sorted(wanted),
            "key_id": principal.key_id,
        }
        return self.tokens.issue(claims, self.clock.now())

    # -- API keys ----------------------------------------------------------------------------
    async def create_key(
        self,
        session: AsyncSession,
        principal: Principal | None,
        workspace_id: str,
        *,
        name: str,
        scopes: Iterable[str],
        expires_at: datetime | None = None,
        rate_limit: str | None = None,
        plaintext: str | None = None,
    ) -> NewApiKey:
        wanted = frozenset(scopes)
        missing = wanted - granted(wanted, principal.scopes) if principal else frozenset()
        if missing:
            raise Forbidden(f"a key cannot grant scopes it lacks: {', '.join(sorted(missing))}")
        now = self.clock.now()
        if expires_at is not None and expires_at <= now:
            raise InvalidRequest(
                "expires_at must be in the future", details=[{"field": "expires_at"}]
            )
        secret = plaintext or keys.generate()
        row = ApiKey(
            id=new_id("key"),
            workspace_id=workspace_id,
            name=name,
            prefix=keys.shown_prefix(secret),
            key_hash=keys.digest(secret),
            scopes=sorted(wanted),
            rate_limit=rate_limit,
            expires_at=expires_at,
            last_used_at=None,
            revoked_at=None,
            created_at=now,
            created_by=principal.subject if principal else "system",
        )
        ApiKeyRepository(session).add(row)
        return NewApiKey(row=row, plaintext=secret)

    async def list_keys(
        self, session: AsyncSession, workspace_id: str, params: PageParams
    ) -> tuple[Sequence[ApiKey], int]:
        return await ApiKeyRepository(session).page(workspace_id, params)

    async def revoke_key(self, session: AsyncSession, workspace_id: str, key_id: str) -> ApiKey:
        row = await ApiKeyRepository(session).get(workspace_id, key_id)
        if row is None or row.revoked_at is not None:
            raise ApiKeyNotFound()
        row.revoked_at = self.clock.now()
        return row

    # -- workspaces -------------------------------------------------------------------------
    async def create_workspace(
        self,
        session: AsyncSession,
        name: str,
        *,
        created_by: Principal | None = None,
        admin_key: str | None = None,
    ) -> NewWorkspace:
        workspace = Workspace(
            id=new_id("ws"),
            name=name,
            parent_id=created_by.workspace_id if created_by else None,
            created_at=self.clock.now(),
        )
        WorkspaceRepository(session).add(workspace)
        await session.flush()
        key = await self.create_key(
            session,
            None,
            workspace.id,
            name="admin",
            scopes=[Scope.ADMIN],
            plaintext=admin_key,
        )
        if created_by is not None:
            key.row.created_by = created_by.subject
        return NewWorkspace(workspace=workspace, admin_key=key)

    async def get_workspace(
        self, session: AsyncSession, principal: Principal, workspace_id: str
    ) -> Workspace:
        workspace = await WorkspaceRepository(session).get(workspace_id)
        if workspace is None or principal.workspace_id not in (workspace.id, workspace.parent_id):
            raise WorkspaceNotFound()
        return workspace

    async def list_workspaces(
        self, session: AsyncSession, principal: Principal, params: PageParams
    ) -> tuple[Sequence[Workspace], int]:
        return await WorkspaceRepository(session).page_visible_to(principal.workspace_id, params)

    async def has_workspaces(self, session: AsyncSession) -> bool:
        return await WorkspaceRepository(session).count() > 0
