"""Every recorded fixture of a provider with a published API description fits it: the request
our action sent exists there (method, path, query, body) and the mock's answer validates against
the schema of its status. Where the description is wrong about the provider, its mock says so
(`description_gaps`, each with its reason)."""

from __future__ import annotations

import pytest

from interlink.providers.kit.fixtures import Exchange
from interlink.providers.registry import default_registry
from tests.providers.conftest import (
    PUBLISHED,
    description_or_skip,
    exchange_problems,
    skipped_operation,
)

CASES = [
    pytest.param(
        provider.spec.type,
        exchange,
        id=f"{provider.spec.type}-{fixture.name}-{index}",
    )
    for provider in default_registry().connectors()
    if provider.spec.type in PUBLISHED
    for fixture in provider.fixtures()
    for index, exchange in enumerate(fixture.exchanges)
]


@pytest.mark.parametrize(("key", "exchange"), CASES)
def test_a_recorded_exchange_fits_the_published_description(key: str, exchange: Exchange) -> None:
    description = description_or_skip(key)
    mock = default_registry().connector(key).mock()  # type: ignore[union-attr]
    gaps = mock.description_gaps
    why = skipped_operation(gaps, exchange.request.method, exchange.request.path)
    if why is not None:
        pytest.skip(why)

    assert exchange_problems(description, gaps, exchange) == []
