"""Direct interfaces for every other built-in connector: one method per action, taking the action's
parameters as keywords and returning plain data; a sync class and its async twin."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from interlink.direct.base import AsyncDirectIntegration, DirectConfiguration, DirectIntegration
from interlink.providers.kit.action import Connector

Built = tuple[type[DirectConfiguration], type[AsyncDirectIntegration], type[DirectIntegration]]


def _async_method(name: str, doc: str) -> Callable[..., Awaitable[Any]]:
    async def method(self: AsyncDirectIntegration, **parameters: Any) -> Any:
        return await self.run(name, **parameters)

    method.__name__, method.__doc__ = name, doc
    return method


def _sync_method(name: str, doc: str) -> Callable[..., Any]:
    def method(self: DirectIntegration, **parameters: Any) -> Any:
        return self.run(name, **parameters)

    method.__name__, method.__doc__ = name, doc
    return method


def build(connector: type[Connector], prefix: str) -> Built:
    """`<prefix>IntegrationConfiguration`, `Async<prefix>Integration`, `<prefix>Integration`."""
    actions = connector.actions.values()
    configuration = type(f"{prefix}IntegrationConfiguration", (DirectConfiguration,), {})
    async_class = type(
        f"Async{prefix}Integration",
        (AsyncDirectIntegration,),
        {"connector": connector, **{a.name: _async_method(a.name, a.description) for a in actions}},
    )
    sync_class = type(
        f"{prefix}Integration",
        (DirectIntegration,),
        {
            "async_class": async_class,
            **{a.name: _sync_method(a.name, a.description) for a in actions},
        },
    )
    return configuration, async_class, sync_class
