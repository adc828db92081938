"""Which connectors exist: the built-ins, and third-party ones registered under the
`interlink.connectors` entry-point group (each entry point names a Connector subclass)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.metadata import entry_points

import structlog

from interlink.connectors.base import Connector
from interlink.connectors.builtin import BUILTIN_CONNECTORS
from interlink.connectors.types import INTEGRATION_TYPES, IntegrationType
from interlink.core.errors import IntegrationError

ENTRY_POINT_GROUP = "interlink.connectors"
log = structlog.get_logger(__name__)


class Registry:
    def __init__(self, connectors: Iterable[type[Connector]]) -> None:
        self._connectors: dict[str, type[Connector]] = {}
        for connector in connectors:
            if connector.spec.type in self._connectors:
                log.warning("connector_type_replaced", type=connector.spec.type)
            self._connectors[connector.spec.type] = connector
        self._specs = {**INTEGRATION_TYPES, **{t: c.spec for t, c in self._connectors.items()}}

    def connector(self, type_: str) -> type[Connector] | None:
        return self._connectors.get(type_)

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
    return Registry([*BUILTIN_CONNECTORS, *_from_entry_points()])
