"""Providers without the server: `GitHubIntegration(GitHubIntegrationConfiguration(...))` in a
script, with the same transport (budgets, retries, breaker) as the service, and an async twin.

Every registered provider has three classes here, derived from the registry:
`<Name>IntegrationConfiguration`, `<Name>Integration` and `Async<Name>Integration`, with one
method per action taking the action's parameters as keywords
(`SlackIntegration(...).send_message(channel=..., text=...)`). A provider whose folder has a
`direct` module defining those classes (GitHub's, with `owner`/`repo` arguments) gets its own.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import Any

from interlink.direct.base import AsyncDirectIntegration, DirectConfiguration, DirectIntegration
from interlink.direct.generic import build
from interlink.providers.kit.action import Connector
from interlink.providers.registry import Registry, default_registry

__all__ = ["AsyncDirectIntegration", "DirectConfiguration", "DirectIntegration", "direct_classes"]


def direct_prefix(connector: type[Connector]) -> str:
    """`GitHub` for `GitHubIntegration`: the provider's `direct_name`, else its name."""
    return connector.direct_name or connector.spec.name.replace(" ", "")


def _classes_of(connector: type[Connector]) -> dict[str, type[Any]]:
    prefix = direct_prefix(connector)
    names = (f"{prefix}IntegrationConfiguration", f"Async{prefix}Integration",
             f"{prefix}Integration")  # fmt: skip
    try:
        module = import_module(f"{connector.package()}.direct")
    except ModuleNotFoundError as exc:
        if exc.name != f"{connector.package()}.direct":
            raise
        return dict(zip(names, build(connector, prefix), strict=True))
    return {name: getattr(module, name) for name in names}


def direct_classes() -> dict[str, type[Any]]:
    """Every provider's direct classes, by class name."""
    return _classes_for(default_registry())


@cache
def _classes_for(registry: Registry) -> dict[str, type[Any]]:
    found: dict[str, type[Any]] = {}
    for connector in registry.connectors():
        found.update(_classes_of(connector))
    return found


def __getattr__(name: str) -> Any:
    found = direct_classes().get(name)
    if found is None:
        raise AttributeError(f"module 'interlink.direct' has no attribute {name!r}")
    return found
