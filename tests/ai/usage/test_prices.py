"""The price table: every provider's list dated and sourced, models found by name or prefix,
an integration's own prices first, costs exact."""

from __future__ import annotations

from decimal import Decimal

import pytest

from interlink.ai.usage.prices import FREE, nanos, price_lists, price_of
from interlink.core.errors import InvalidIntegrationConfig
from interlink.providers.kit.llm import Usage


def test_every_provider_list_says_when_and_where_it_was_read() -> None:
    lists = price_lists()
    assert {"openai", "anthropic", "gemini", "ollama"} <= set(lists)
    for listed in lists.values():
        assert listed.date[:2] == "20"
        assert listed.source.startswith("https://")


def test_a_dated_model_is_priced_as_its_longest_listed_prefix() -> None:
    mini = price_of("openai", "gpt-4o-mini-2024-07-18", {})
    assert (mini.input, mini.output) == (Decimal("0.15"), Decimal("0.60"))
    assert price_of("anthropic", "claude-sonnet-4-5-20250929", {}).output == Decimal(15)
    assert price_of("ollama", "llama3.2:latest", {}).known
    assert price_of("openai", "a-model-nobody-lists", {}) == FREE


def test_an_integrations_prices_come_first_and_costs_are_exact() -> None:
    configuration = {"prices": {"gpt-4o": {"input": "1", "output": "3"}}}
    price = price_of("openai", "gpt-4o", configuration)

    cost = price.cost(Usage(prompt_tokens=1, completion_tokens=1))

    assert cost == Decimal("0.000004")
    assert nanos(cost) == 4000
    assert nanos(Decimal("0.0000000001")) == 1  # rounded up: a budget is never under-charged


@pytest.mark.parametrize(
    "prices",
    [["gpt-4o"], {"gpt-4o": {"input": "x", "output": "1"}}, {"m": {"input": "-1", "output": "1"}}],
)
def test_wrong_prices_in_configuration_are_the_configurations_fault(prices: object) -> None:
    with pytest.raises(InvalidIntegrationConfig) as raised:
        price_of("openai", "gpt-4o", {"prices": prices})
    assert raised.value.details[0]["field"] == "configuration.prices"
