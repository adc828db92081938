"""Routes: saved as versions (a change never alters a version a call already holds), and read
by the gateway as the `Route` its `model` names."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from interlink.ai.routes.errors import AiRouteNotFound
from interlink.ai.routes.models import AiRouteVersion
from interlink.ai.routes.policy import Hints, Needs, RoutePolicy, Target, order
from interlink.ai.routes.repository import RouteRepository
from interlink.ai.routes.schemas import RouteChange, RouteIn
from interlink.auth.scopes import Principal, Scope
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.errors import Conflict
from interlink.core.pagination import PageParams
from interlink.core.snapshots import SnapshotCache
from interlink.providers.kit.llm import ChatInput


@dataclass(frozen=True)
class Route:
    """One version of a route, as a call holds it."""

    name: str
    version: int
    policy: RoutePolicy
    draw: Callable[[], float] = field(default=random.random, compare=False)

    def plan(self, params: ChatInput, hints: Hints) -> list[Target]:
        return order(self.policy, Needs.of(params, hints), self.draw)

    def targets(self) -> list[Target]:
        """Every target, as declared (a call that is not a chat: embeddings)."""
        return list(self.policy.targets)


class RouteBook(Protocol):
    """What the gateway reads of routes."""

    async def current(self, workspace_id: str, name: str) -> Route | None: ...

    async def names(self, workspace_id: str) -> list[str]: ...


class RouteService:
    def __init__(
        self,
        clock: Clock,
        db: Database,
        cache_seconds: float = 0,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.clock = clock
        self.db = db
        self.draw = draw
        self.cached: SnapshotCache[tuple[str, str], Route] = SnapshotCache(clock, cache_seconds)

    # -- the gateway's reads (their own transaction) ----------------------------------------------
    async def current(self, workspace_id: str, name: str) -> Route | None:
        async def read() -> Route | None:
            async with self.db.read() as session:
                row = await RouteRepository(session).version(workspace_id, name, None)
            return None if row is None else self._route(row)

        return await self.cached.load((workspace_id, name), read)

    async def names(self, workspace_id: str) -> list[str]:
        async with self.db.read() as session:
            return await RouteRepository(session).names(workspace_id)

    # -- the API's ----------------------------------------------------------------------------
    async def create(
        self, session: AsyncSession, principal: Principal, body: RouteIn
    ) -> AiRouteVersion:
        principal.require(Scope.INTEGRATIONS_WRITE, "Creating a route")
        repository = RouteRepository(session)
        if await repository.version(principal.workspace_id, body.name, None) is not None:
            raise Conflict(f"A route {body.name!r} exists: change it with PUT (a new version)")
        return self._add(repository, principal, body.name, 1, body)

    async def update(
        self, session: AsyncSession, principal: Principal, name: str, body: RouteChange
    ) -> AiRouteVersion:
        principal.require(Scope.INTEGRATIONS_WRITE, "Changing a route")
        repository = RouteRepository(session)
        current = await self.get(session, principal.workspace_id, name)
        return self._add(repository, principal, name, current.version + 1, body)

    async def get(
        self, session: AsyncSession, workspace_id: str, name: str, version: int | None = None
    ) -> AiRouteVersion:
        row = await RouteRepository(session).version(workspace_id, name, version)
        if row is None:
            raise AiRouteNotFound()
        return row

    async def page(
        self, session: AsyncSession, workspace_id: str, params: PageParams
    ) -> tuple[Sequence[AiRouteVersion], int]:
        return await RouteRepository(session).page(workspace_id, params)

    async def delete(self, session: AsyncSession, principal: Principal, name: str) -> None:
        """Every version; a call holding one finishes with it."""
        principal.require(Scope.INTEGRATIONS_WRITE, "Deleting a route")
        await self.get(session, principal.workspace_id, name)
        await RouteRepository(session).delete(principal.workspace_id, name)

    def _add(
        self,
        repository: RouteRepository,
        principal: Principal,
        name: str,
        version: int,
        body: RouteChange,
    ) -> AiRouteVersion:
        policy = RoutePolicy.model_validate(body.model_dump(include=set(RoutePolicy.model_fields)))
        row = AiRouteVersion(
            workspace_id=principal.workspace_id,
            name=name,
            version=version,
            description=body.description,
            policy=policy.model_dump(mode="json"),
            created_at=self.clock.now(),
            created_by=principal.subject,
        )
        repository.add(row)
        return row

    def _route(self, row: AiRouteVersion) -> Route:
        return Route(row.name, row.version, RoutePolicy.model_validate(row.policy), self.draw)
