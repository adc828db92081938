"""Routes over language-model integrations (docs/ai.md, "Routes"): AiRouteClient and its async
twin. A route is given as `model` to the gateway (see `chat.py`); each change is its next
version, and a call in flight keeps the version it started with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from interlink.sdk.base import AsyncResource, SyncResource
from interlink.sdk.client import Call
from interlink.sdk.models import Model
from interlink.sdk.pagination import AsyncPager, PageCall, SyncPager

PATH = "/ai/routes"
Strategy = Literal["fallback", "weighted", "cheapest"]


class AiRouteTarget(Model):
    """One integration's model a route may call (`integration`: its name or id)."""

    integration: str
    model: str
    weight: int = 1
    quality: Literal["economy", "standard", "high"] = "standard"
    context_window: int | None = None
    tools: bool = True
    json_output: bool = True
    price: float | None = None


class AiRouteRule(Model):
    """When the request meets `when`, the targets named in `use` (`<integration>/<model>`)."""

    when: dict[str, Any]
    use: list[str]


class AiRoute(Model):
    name: str
    version: int
    description: str = ""
    strategy: Strategy = "fallback"
    targets: list[AiRouteTarget]
    rules: list[AiRouteRule] = Field(default_factory=list)
    created_at: datetime
    created_by: str


class AiRouteDeleted(Model):
    name: str
    deleted: bool = True


def _policy(
    targets: Sequence[AiRouteTarget | dict[str, Any]],
    strategy: Strategy,
    rules: Sequence[AiRouteRule | dict[str, Any]] | None,
    description: str,
) -> dict[str, Any]:
    def dumped(value: Model | dict[str, Any]) -> dict[str, Any]:
        return value.model_dump(exclude_none=True) if isinstance(value, Model) else dict(value)

    return {
        "strategy": strategy,
        "targets": [dumped(target) for target in targets],
        "rules": [dumped(rule) for rule in rules or ()],
        "description": description,
    }


class calls:
    @staticmethod
    def create(body: dict[str, Any]) -> Call[AiRoute]:
        return Call("POST", PATH, AiRoute.model_validate, json=body)

    @staticmethod
    def get(name: str, version: int | None) -> Call[AiRoute]:
        query = {"version": version} if version is not None else None
        return Call("GET", f"{PATH}/{name}", AiRoute.model_validate, params=query)

    @staticmethod
    def list(page_size: int) -> PageCall[AiRoute]:
        return PageCall(PATH, AiRoute, {"page_size": page_size})

    @staticmethod
    def update(name: str, body: dict[str, Any]) -> Call[AiRoute]:
        return Call("PUT", f"{PATH}/{name}", AiRoute.model_validate, json=body)

    @staticmethod
    def delete(name: str) -> Call[AiRouteDeleted]:
        return Call("DELETE", f"{PATH}/{name}", AiRouteDeleted.model_validate)


class AiRouteClient(SyncResource):
    """Create, read, change (as a new version) and delete the workspace's routes. `targets` and
    `rules` are AiRouteTarget / AiRouteRule models or their dicts."""

    def create_route(
        self,
        name: str,
        targets: Sequence[AiRouteTarget | dict[str, Any]],
        *,
        strategy: Strategy = "fallback",
        rules: Sequence[AiRouteRule | dict[str, Any]] | None = None,
        description: str = "",
    ) -> AiRoute:
        """The route's version 1 (CONFLICT when the name is taken)."""
        body = {"name": name, **_policy(targets, strategy, rules, description)}
        return self._http.run(calls.create(body))

    def get_route(self, name: str, *, version: int | None = None) -> AiRoute:
        """Its current version, or the one asked."""
        return self._http.run(calls.get(name, version))

    def list_routes(self, *, page: int = 1, page_size: int = 10) -> SyncPager[AiRoute]:
        """Every route at its current version."""
        return SyncPager.fetch(self._http, calls.list(page_size), page)

    def update_route(
        self,
        name: str,
        targets: Sequence[AiRouteTarget | dict[str, Any]],
        *,
        strategy: Strategy = "fallback",
        rules: Sequence[AiRouteRule | dict[str, Any]] | None = None,
        description: str = "",
    ) -> AiRoute:
        """The whole policy again, saved as the route's next version."""
        body = _policy(targets, strategy, rules, description)
        return self._http.run(calls.update(name, body))

    def list_route_versions(self, name: str) -> list[AiRoute]:
        """Every version of the route, newest first."""
        current = self.get_route(name)
        older = [self.get_route(name, version=n) for n in range(current.version - 1, 0, -1)]
        return [current, *older]

    def delete_route(self, name: str) -> AiRouteDeleted:
        """The route and all its versions."""
        return self._http.run(calls.delete(name))


class AsyncAiRouteClient(AsyncResource):
    """The asynchronous twin of AiRouteClient."""

    async def create_route(
        self,
        name: str,
        targets: Sequence[AiRouteTarget | dict[str, Any]],
        *,
        strategy: Strategy = "fallback",
        rules: Sequence[AiRouteRule | dict[str, Any]] | None = None,
        description: str = "",
    ) -> AiRoute:
        """The route's version 1 (CONFLICT when the name is taken)."""
        body = {"name": name, **_policy(targets, strategy, rules, description)}
        return await self._http.run(calls.create(body))

    async def get_route(self, name: str, *, version: int | None = None) -> AiRoute:
        """Its current version, or the one asked."""
        return await self._http.run(calls.get(name, version))

    async def list_routes(self, *, page: int = 1, page_size: int = 10) -> AsyncPager[AiRoute]:
        """Every route at its current version."""
        return await AsyncPager.fetch(self._http, calls.list(page_size), page)

    async def update_route(
        self,
        name: str,
        targets: Sequence[AiRouteTarget | dict[str, Any]],
        *,
        strategy: Strategy = "fallback",
        rules: Sequence[AiRouteRule | dict[str, Any]] | None = None,
        description: str = "",
    ) -> AiRoute:
        """The whole policy again, saved as the route's next version."""
        body = _policy(targets, strategy, rules, description)
        return await self._http.run(calls.update(name, body))

    async def list_route_versions(self, name: str) -> list[AiRoute]:
        """Every version of the route, newest first."""
        current = await self.get_route(name)
        older = [await self.get_route(name, version=n) for n in range(current.version - 1, 0, -1)]
        return [current, *older]

    async def delete_route(self, name: str) -> AiRouteDeleted:
        """The route and all its versions."""
        return await self._http.run(calls.delete(name))
