"""A route's policy, as data, and the order it tries its targets in for one request.

The targets a request can use are those that meet what it needs (its estimated prompt fits the
model's context window, tools or JSON output when asked, at least the quality the caller hints);
the first rule whose conditions hold narrows them to the ones it names; then the strategy orders
them: `fallback` as declared, `weighted` one drawn by weight first, `cheapest` by price. The
gateway tries them in that order, falling back on a rate limit, a provider's failure or silence,
an open breaker or a spent budget.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from interlink.ai.routes.errors import NoTargetFits
from interlink.providers.kit.llm import ChatInput, estimated_tokens

Quality = Literal["economy", "standard", "high"]
_RANK: dict[str, int] = {"economy": 0, "standard": 1, "high": 2}


class Target(BaseModel):
    integration: str = Field(
        min_length=1, max_length=200, description="The integration's name or id"
    )
    model: str = Field(min_length=1, max_length=200, description="The provider's model name")
    weight: int = Field(1, ge=0, le=1000, description="Its share under `weighted`")
    quality: Quality = "standard"
    context_window: int | None = Field(None, ge=1, description="Tokens of prompt and answer")
    tools: bool = Field(True, description="It can call tools")
    json_output: bool = Field(True, description="It can answer in JSON")
    price: float | None = Field(
        None, ge=0, description="US dollars per million tokens, to order `cheapest` by"
    )

    @property
    def key(self) -> str:
        """How rules name it: `<integration>/<model>`."""
        return f"{self.integration}/{self.model}"


class When(BaseModel):
    """Conditions on the request; the ones given must all hold."""

    min_prompt_tokens: int | None = Field(None, ge=0)
    max_prompt_tokens: int | None = Field(None, ge=0)
    tools: bool | None = Field(None, description="Whether the request offers tools")
    json_output: bool | None = Field(None, description="Whether it asks for JSON output")
    quality: Quality | None = Field(None, description="The caller's hint")


class Rule(BaseModel):
    when: When
    use: list[str] = Field(
        min_length=1, max_length=20, description="Targets, as `<integration>/<model>`"
    )


class RoutePolicy(BaseModel):
    strategy: Literal["fallback", "weighted", "cheapest"] = "fallback"
    targets: list[Target] = Field(min_length=1, max_length=20)
    rules: list[Rule] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _rules_name_targets(self) -> RoutePolicy:
        keys = {target.key for target in self.targets}
        unknown = sorted({name for rule in self.rules for name in rule.use} - keys)
        if unknown:
            raise ValueError(f"rules use targets the route does not have: {', '.join(unknown)}")
        return self


class Hints(BaseModel):
    """What the caller says of the call beyond the request itself."""

    quality: Quality | None = None


class Needs(BaseModel):
    """What a request needs of a model."""

    prompt_tokens: int
    answer_tokens: int
    tools: bool
    json_output: bool
    quality: Quality | None

    @classmethod
    def of(cls, params: ChatInput, hints: Hints) -> Needs:
        return cls(
            prompt_tokens=estimated_tokens(params),
            answer_tokens=params.max_tokens or 0,
            tools=bool(params.tools),
            json_output=params.response_format == "json",
            quality=hints.quality,
        )

    def met_by(self, target: Target) -> bool:
        window = target.context_window
        fits = window is None or self.prompt_tokens + self.answer_tokens <= window
        quality = self.quality is None or _RANK[target.quality] >= _RANK[self.quality]
        return (
            fits
            and quality
            and (target.tools or not self.tools)
            and (target.json_output or not self.json_output)
        )

    def hold(self, when: When) -> bool:
        checks = (
            when.min_prompt_tokens is None or self.prompt_tokens >= when.min_prompt_tokens,
            when.max_prompt_tokens is None or self.prompt_tokens <= when.max_prompt_tokens,
            when.tools is None or when.tools == self.tools,
            when.json_output is None or when.json_output == self.json_output,
            when.quality is None or when.quality == self.quality,
        )
        return all(checks)


def order(
    policy: RoutePolicy, needs: Needs, draw: Callable[[], float] = random.random
) -> list[Target]:
    """The targets to try for a request that `needs` this, in order."""
    able = [target for target in policy.targets if needs.met_by(target)]
    rule = next((rule for rule in policy.rules if needs.hold(rule.when)), None)
    if rule is not None:
        named = {target.key: target for target in able}
        able = [named[name] for name in rule.use if name in named]
    if not able:
        raise NoTargetFits(
            f"No target of this route can take the request (about {needs.prompt_tokens} prompt "
            f"tokens, tools {needs.tools}, JSON {needs.json_output}, quality {needs.quality})"
        )
    if policy.strategy == "cheapest" or (needs.quality is not None and rule is None):
        return sorted(able, key=_price)  # the cheapest model that meets the need first
    if policy.strategy == "weighted":
        return _weighted(able, draw)
    return able


def _price(target: Target) -> float:
    return target.price if target.price is not None else float("inf")


def _weighted(targets: Sequence[Target], draw: Callable[[], float]) -> list[Target]:
    """One drawn by weight first (a weight of 0: only as a fallback), the rest as declared."""
    total = sum(target.weight for target in targets)
    if total == 0:
        return list(targets)
    point, seen = draw() * total, 0
    for index, target in enumerate(targets):
        seen += target.weight
        if point < seen:
            return [target, *targets[:index], *targets[index + 1 :]]
    return list(targets)
