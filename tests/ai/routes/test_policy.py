"""The order a route tries its targets in, for what a request needs."""

from __future__ import annotations

from typing import Any

import pytest

from interlink.ai.routes.errors import NoTargetFits
from interlink.ai.routes.policy import Hints, Needs, RoutePolicy, order
from interlink.providers.kit.llm import ChatInput, ChatMessage, Tool


def _policy(**given: Any) -> RoutePolicy:
    targets = [
        {"integration": "openai", "model": "big", "quality": "high", "price": 10,
         "context_window": 100_000},
        {"integration": "anthropic", "model": "mid", "price": 3, "context_window": 8_000},
        {"integration": "ollama", "model": "small", "quality": "economy", "price": 0,
         "context_window": 2_000, "tools": False, "json_output": False},
    ]  # fmt: skip
    return RoutePolicy.model_validate({"targets": targets, **given})


def _needs(text: str = "hi", hints: Hints | None = None, **asked: Any) -> Needs:
    params = ChatInput(model="x", messages=[ChatMessage(role="user", content=text)], **asked)
    return Needs.of(params, hints or Hints())


def _keys(policy: RoutePolicy, needs: Needs, draw: float = 0.0) -> list[str]:
    return [target.key for target in order(policy, needs, lambda: draw)]


def test_a_fallback_chain_is_tried_as_declared() -> None:
    assert _keys(_policy(), _needs()) == ["openai/big", "anthropic/mid", "ollama/small"]


def test_targets_that_cannot_take_the_request_are_left_out() -> None:
    long = "x" * 4 * 5_000  # about 5,000 tokens: past the small model's window
    tools = [Tool(name="lookup")]

    assert _keys(_policy(), _needs(long)) == ["openai/big", "anthropic/mid"]
    assert _keys(_policy(), _needs(tools=tools)) == ["openai/big", "anthropic/mid"]
    assert _keys(_policy(), _needs(response_format="json")) == ["openai/big", "anthropic/mid"]
    assert _keys(_policy(), _needs("x" * 4 * 50_000)) == ["openai/big"]


def test_a_quality_hint_picks_the_cheapest_model_that_meets_it() -> None:
    policy = _policy()

    assert _keys(policy, _needs(hints=Hints(quality="economy")))[0] == "ollama/small"
    assert _keys(policy, _needs(hints=Hints(quality="standard"))) == ["anthropic/mid", "openai/big"]
    assert _keys(policy, _needs(hints=Hints(quality="high"))) == ["openai/big"]


def test_the_first_rule_whose_conditions_hold_names_the_targets() -> None:
    rules = [
        {"when": {"tools": True}, "use": ["anthropic/mid"]},
        {"when": {"max_prompt_tokens": 100}, "use": ["ollama/small", "anthropic/mid"]},
    ]
    policy = _policy(rules=rules)

    assert _keys(policy, _needs(tools=[Tool(name="lookup")])) == ["anthropic/mid"]
    assert _keys(policy, _needs("short")) == ["ollama/small", "anthropic/mid"]
    assert _keys(policy, _needs("x" * 4 * 3_000)) == ["openai/big", "anthropic/mid"]


def test_cheapest_orders_by_price() -> None:
    assert _keys(_policy(strategy="cheapest"), _needs()) == [
        "ollama/small", "anthropic/mid", "openai/big",
    ]  # fmt: skip


def test_weighted_draws_the_first_by_weight_and_falls_back_along_the_rest() -> None:
    targets = [
        {"integration": "a", "model": "m", "weight": 3},
        {"integration": "b", "model": "m", "weight": 1},
        {"integration": "c", "model": "m", "weight": 0},
    ]
    policy = RoutePolicy.model_validate({"strategy": "weighted", "targets": targets})

    assert _keys(policy, _needs(), draw=0.0) == ["a/m", "b/m", "c/m"]
    assert _keys(policy, _needs(), draw=0.74) == ["a/m", "b/m", "c/m"]
    assert _keys(policy, _needs(), draw=0.75) == ["b/m", "a/m", "c/m"]
    drawn = [_keys(policy, _needs(), draw=i / 100)[0] for i in range(100)]
    assert (drawn.count("a/m"), drawn.count("b/m"), drawn.count("c/m")) == (75, 25, 0)


def test_a_request_no_target_can_take_is_refused() -> None:
    with pytest.raises(NoTargetFits, match="No target of this route"):
        order(_policy(), _needs("x" * 4 * 200_000))


def test_a_rule_may_name_only_the_routes_targets() -> None:
    with pytest.raises(ValueError, match="rules use targets the route does not have: x/y"):
        _policy(rules=[{"when": {"tools": True}, "use": ["x/y"]}])
