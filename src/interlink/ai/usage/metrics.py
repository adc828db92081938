"""The Prometheus families of language-model usage, on the process's registry
(docs/observability.md): tokens and dollars by provider and model, and by integration only with
`INTERLINK_METRICS_PER_INTEGRATION=true` (its ids are unbounded)."""

from __future__ import annotations

from decimal import Decimal

from prometheus_client import Counter

from interlink.core.metrics import Metrics
from interlink.providers.kit.llm import Usage


class UsageMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self.per_integration = metrics.per_integration
        labels = ["provider", "model", *(["integration_id"] if self.per_integration else [])]
        self.tokens = Counter(
            "interlink_llm_tokens", "Tokens of language-model calls, by kind (prompt, completion)",
            [*labels, "kind"], registry=metrics.registry,
        )  # fmt: skip
        self.cost = Counter(
            "interlink_llm_cost_usd", "Dollars language-model calls cost (from the price table)",
            labels, registry=metrics.registry,
        )  # fmt: skip
        self.calls = Counter(
            "interlink_llm_calls", "Language-model calls charged (settled after their answer)",
            labels, registry=metrics.registry,
        )  # fmt: skip

    def count(
        self, provider: str, model: str, integration_id: str, usage: Usage, cost: Decimal
    ) -> None:
        labels = (provider, model, *((integration_id,) if self.per_integration else ()))
        self.tokens.labels(*labels, "prompt").inc(usage.prompt_tokens)
        self.tokens.labels(*labels, "completion").inc(usage.completion_tokens)
        self.cost.labels(*labels).inc(float(cost))
        self.calls.labels(*labels).inc()
