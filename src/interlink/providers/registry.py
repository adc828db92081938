"""Which providers exist: the built-ins (`builtin.BUILTIN_PROVIDERS`, one folder each), those of
third-party packages registered under the `interlink.connectors` entry-point group (each entry
point names a Connector subclass), and `custom`: the providers each workspace declares as data
(`DeclaredProviders`, given by the composition root; `connector_of` and `type_of` find them).
Everything else (the type list, the catalog, `interlink mock`, the direct interfaces, the
generated docs, the contract suite) is derived from it."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import structlog
from pydantic import AfterValidator, Field

from interlink.core.errors import IntegrationError, InvalidIntegrationConfig
from interlink.providers.builtin import BUILTIN_PROVIDERS
from interlink.providers.custom.provider import CUSTOM_TYPE
from interlink.providers.kit.action import Connector
from interlink.providers.kit.types import IntegrationType

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

ENTRY_POINT_GROUP = "interlink.connectors"
log = structlog.get_logger(__name__)
CUSTOM = IntegrationType(
    CUSTOM_TYPE, "Custom", "A provider declared as data (POST /api/v1/custom-providers)"
)


class DeclaredProviders(Protocol):
    """The providers a workspace declared as data (`interlink.custom_providers`)."""

    async def resolve(
        self,
        workspace_id: str,
        configuration: Mapping[str, Any],
        session: AsyncSession | None = None,
    ) -> tuple[type[Connector], dict[str, Any]]:
        """The connector of the version `configuration` pins (`provider`, `provider_version`;
        no version: the current one), and that pin, to store in the configuration. `session`:
        the caller's open unit of work, read in when given."""
        ...


class Registry:
    def __init__(self, connectors: Iterable[type[Connector]]) -> None:
        self._connectors: dict[str, type[Connector]] = {}
        for connector in connectors:
            if connector.spec.type in self._connectors:
                log.warning("connector_type_replaced", type=connector.spec.type)
            self._connectors[connector.spec.type] = connector
        self._specs = {
            CUSTOM.type: CUSTOM,
            **{t: c.spec for t, c in self._connectors.items()},
        }
        self.declared: DeclaredProviders | None = None

    def declaring(self, declared: DeclaredProviders) -> Registry:
        """This registry, also finding the providers workspaces declare (the `custom` type)."""
        found = copy.copy(self)
        found.declared = declared
        return found

    async def connector_of(
        self,
        type_: str,
        workspace_id: str,
        configuration: Mapping[str, Any],
        session: AsyncSession | None = None,
    ) -> type[Connector] | None:
        """The connector of an integration: its type's, or the declared provider's version it
        pins."""
        if type_ != CUSTOM.type or self.declared is None:
            return self.connector(type_)
        connector, _ = await self.declared.resolve(workspace_id, configuration, session)
        return connector

    async def type_of(
        self,
        type_: str,
        workspace_id: str,
        configuration: Mapping[str, Any],
        session: AsyncSession | None = None,
    ) -> tuple[IntegrationType, dict[str, Any]]:
        """The spec of an integration of `type_` and `configuration`, and what its stored
        configuration gets: for `custom`, the declared provider's key and pinned version."""
        if type_ != CUSTOM.type:
            return self.require_spec(type_), {}
        if self.declared is None:
            raise InvalidIntegrationConfig("Custom providers are not available here")
        connector, pin = await self.declared.resolve(workspace_id, configuration, session)
        return connector.spec, pin

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
