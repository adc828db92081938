"""Which fixtures a behaviour check runs, and whether the provider speaks HTTP at all."""

from __future__ import annotations

from interlink.providers.kit.action import Connector
from interlink.providers.kit.fixtures import Fixture
from interlink.testing.base import MockUpstream
from interlink.testing.contract.cases import fail, skip

READS = frozenset({"GET", "HEAD", "OPTIONS"})
RECORD_HINT = (
    "record them with `python -m interlink.testing.contract record {type} --new --fixture NAME "
    "--action ACTION --parameters '{{...}}'` (see interlink.testing.contract)"
)


def http_provider(provider: type[Connector]) -> type[MockUpstream]:
    """Its HTTP mock; the case is skipped for a provider that does not speak HTTP."""
    mock = provider.mock()
    if mock is None:
        raise fail(f"{provider.spec.type} has no mock: define MOCK in its `mock` module")
    if not (isinstance(mock, type) and issubclass(mock, MockUpstream)):
        name = getattr(mock, "__name__", mock)
        raise skip(
            f"{provider.spec.type} does not speak HTTP (its mock, {name}, is no MockUpstream): "
            "the HTTP behaviour checks do not apply"
        )
    return mock


def is_read(fixture: Fixture) -> bool:
    return bool(fixture.exchanges) and fixture.exchanges[0].request.method in READS


def successful(provider: type[Connector]) -> list[Fixture]:
    """Its fixtures that end in an output and reach the provider, reads first."""
    http_provider(provider)
    found = [f for f in provider.fixtures() if f.error is None and f.exchanges]
    if not found:
        hint = RECORD_HINT.format(type=provider.spec.type)
        raise skip(f"{provider.spec.type} has no fixture that succeeds to run this with; {hint}")
    return sorted(found, key=lambda fixture: not is_read(fixture))
