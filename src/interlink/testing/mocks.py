"""The mock upstream of every registered provider, by type (derived from the registry)."""

from __future__ import annotations

from typing import Any

from interlink.providers.registry import default_registry
from interlink.testing.base import MockUpstream


def mocks() -> dict[str, type[MockUpstream]]:
    """Every provider's HTTP mock upstream, by type (SMTP's is a server of its own kind)."""
    found: dict[str, type[MockUpstream]] = {}
    for connector in default_registry().connectors():
        mock = connector.mock()
        if isinstance(mock, type) and issubclass(mock, MockUpstream):
            found[connector.spec.type] = mock
    return found


def mock_classes() -> dict[str, type[Any]]:
    """Every provider's mock class by class name (`GitHubMock`, `SmtpMock`...)."""
    found: dict[str, type[Any]] = {}
    for connector in default_registry().connectors():
        mock = connector.mock()
        if isinstance(mock, type):
            found[mock.__name__] = mock
    return found


def create_mock(type_: str, **options: Any) -> MockUpstream:
    """A new mock for provider type `type_` (raises `KeyError` for an unknown one)."""
    return mocks()[type_](**options)
