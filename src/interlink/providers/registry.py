"""Which providers exist: the built-ins (`builtin.BUILTIN_PROVIDERS`, one folder each), those of
third-party packages registered under the `interlink.connectors` entry-point group (each entry
point names a Connector subclass), and the types declared without a provider yet. Everything
else (the type list, the catalog, `interlink mock`, the direct interfaces, the generated docs,
the contract suite) is derived from it."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from typing import Annotated

import structlog
from pydantic import AfterValidator, Field

from interlink.core.errors import IntegrationError
from interlink.providers.builtin import BUILTIN_PROVIDERS
from interlink.providers.declared import DECLARED_TYPES
from interlink.providers.kit.action import Connector
from interlink.providers.kit.types import IntegrationType

ENTRY_POINT_GROUP = "interlink.connectors"
log = structlog.get_logger(__name__)


class Registry:
    def __init__(
        self,
        connectors: Iterable[type[Connector]],
        declared: Iterable[IntegrationType] = DECLARED_TYPES,
    ) -> None:
        self._connectors: dict[str, type[Connector]] = {}
        for connector in connectors:
            if connector.spec.type in self._connectors:
                log.warning("connector_type_replaced", type=connector.spec.type)
            self._connectors[connector.spec.type] = connector
        self._specs = {
            **{spec.type: spec for spec in declared},
            **{t: c.spec for t, c in self._connectors.items()},
        }

    def connector(self, type_: str) -> type[Connector] | None:
        return self._connectors.get(type_)

    def connectors(self) -> list[type[Connector]]:
        """Every provider with actions, by type."""
        return [self._connectors[t] for t in sorted(self._connectors)]

    def spec(self, type_: str) -> IntegrationType | None:
        return self._specs.get(type_)

    def require_spec(self, type_: str) -> IntegrationType:
        """The spec of a stored integration's type; its connector may have been uninstalled."""
        spec = self._specs.get(type_)
        if spec is None:
            raise IntegrationError(
                f"No connector for type {type_!r} is installed (a third-party connector removed?)"
            )
        return spec

    def types(self) -> list[str]:
        return sorted(self._specs)


def builtin_providers() -> list[type[Connector]]:
    found: list[type[Connector]] = []
    for key in BUILTIN_PROVIDERS:
        provider = import_module(f"interlink.providers.{key}").PROVIDER
        found.append(provider)
    return found


def _from_entry_points() -> list[type[Connector]]:
    found: list[type[Connector]] = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
        except Exception:  # a broken plugin must not stop the service
            log.exception("connector_entry_point_failed", entry_point=entry.name)
            continue
        if isinstance(loaded, type) and issubclass(loaded, Connector):
            found.append(loaded)
        else:
            log.error("connector_entry_point_not_a_connector", entry_point=entry.name)
    return found


@cache
def default_registry() -> Registry:
    return Registry([*builtin_providers(), *_from_entry_points()])


def _known_type(value: str) -> str:
    registry = default_registry()
    if registry.spec(value) is None:
        raise ValueError(f"unknown integration type; known types: {', '.join(registry.types())}")
    return value


# Built-in types and those of installed third-party connectors (the `interlink.connectors` group).
TypeName = Annotated[
    str, Field(min_length=1, max_length=40, examples=["github"]), AfterValidator(_known_type)
]
