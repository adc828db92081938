"""Prices of language models, per million tokens, kept as data (`prices.json`: each provider's
price list with the date it was read and its source) and overridable per integration
(`configuration.prices`). Costs are `Decimal`s, stored as whole nano-dollars."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from interlink.core.errors import InvalidIntegrationConfig
from interlink.providers.kit.llm import Usage

PER = Decimal(1_000_000)  # prices are per million tokens
NANOS = Decimal(1_000_000_000)  # a cost is stored as whole billionths of a dollar
WILDCARD = "*"
_TABLE = Path(__file__).with_name("prices.json")


@dataclass(frozen=True)
class Price:
    """Dollars per million prompt (input) and completion (output) tokens; `known` False: the
    model is in no price list (its calls are counted, at no cost)."""

    input: Decimal
    output: Decimal
    known: bool = True

    def cost(self, usage: Usage) -> Decimal:
        return (usage.prompt_tokens * self.input + usage.completion_tokens * self.output) / PER


FREE = Price(Decimal(0), Decimal(0), known=False)


def nanos(cost: Decimal) -> int:
    """A cost in whole nano-dollars, rounded up (a budget is never under-charged)."""
    return int((cost * NANOS).to_integral_value(rounding=ROUND_CEILING))


def dollars(amount: int) -> Decimal:
    return Decimal(amount) / NANOS


@dataclass(frozen=True)
class PriceList:
    """One provider's prices, as read on `date` from `source`."""

    date: str
    source: str
    models: Mapping[str, Price]

    def of(self, model: str) -> Price | None:
        """The model's price: by its exact name, else by the longest listed name it starts with
        (`gpt-4o-mini-2024-07-18` is priced as `gpt-4o-mini`), else the list's `*`."""
        if model in self.models:
            return self.models[model]
        prefixes = [name for name in self.models if name != WILDCARD and model.startswith(name)]
        if prefixes:
            return self.models[max(prefixes, key=len)]
        return self.models.get(WILDCARD)


@cache
def price_lists() -> Mapping[str, PriceList]:
    """The repository's price lists, by provider (the integration type)."""
    table = json.loads(_TABLE.read_text())
    return {
        provider: PriceList(
            listed["date"],
            listed["source"],
            {model: _price(p["input"], p["output"]) for model, p in listed["models"].items()},
        )
        for provider, listed in table["providers"].items()
    }


def price_of(provider: str, model: str, configuration: Mapping[str, Any]) -> Price:
    """What `model` costs on an integration of `provider`: its configuration's `prices` first,
    then the repository's list."""
    overrides = configuration.get("prices")
    if overrides is not None:
        found = PriceList("", "configuration", _overrides(overrides)).of(model)
        if found is not None:
            return found
    listed = price_lists().get(provider)
    return (listed.of(model) if listed else None) or FREE


def _overrides(value: Any) -> dict[str, Price]:
    if not isinstance(value, Mapping):
        raise _bad_prices("an object of model names")
    try:
        return {str(m): _price(p["input"], p["output"]) for m, p in value.items()}
    except (TypeError, KeyError, InvalidOperation, ValueError):
        raise _bad_prices(
            'each model\'s {"input": ..., "output": ...} in dollars per million tokens'
        ) from None


def _price(given_input: Any, given_output: Any) -> Price:
    price = Price(Decimal(str(given_input)), Decimal(str(given_output)))
    if (
        not (price.input.is_finite() and price.output.is_finite())
        or min(price.input, price.output) < 0
    ):
        raise ValueError("a price is a number of dollars, not negative")
    return price


def _bad_prices(expected: str) -> InvalidIntegrationConfig:
    return InvalidIntegrationConfig(
        f"configuration.prices must be {expected}",
        details=[{"field": "configuration.prices", "message": f"expected {expected}"}],
    )
