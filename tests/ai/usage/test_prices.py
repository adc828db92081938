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


@pytest.mark.parametrize(
    ("provider", "model", "expected"),
    [
        ("anthropic", "claude-opus-4-7", ("5", "25")),  # not Opus 4's $15 / $75 by its prefix
        ("anthropic", "claude-opus-4-1-20250805", ("15", "75")),
        ("anthropic", "claude-opus-5-5", ("4", "20")),
        ("anthropic", "claude-sonnet-5", ("2", "10")),
        ("openai", "o1-mini-2024-09-12", ("1.10", "4.40")),  # not o1's by its prefix
        ("gemini", "gemini-2.5-flash-lite-preview-09-2025", ("0.10", "0.40")),
    ],
)
def test_a_newer_model_of_a_family_is_not_priced_as_an_older_prefix(
    provider: str, model: str, expected: tuple[str, str]
) -> None:
    price = price_of(provider, model, {})

    assert (price.input, price.output) == (Decimal(expected[0]), Decimal(expected[1]))
