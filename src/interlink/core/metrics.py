"""Prometheus metrics: every family Interlink exposes, in one registry per app (or worker).

Recording code holds label children resolved once (`http_child`, `meter`), so the hot path does
a dict lookup and an increment, never a label lookup of its own. What lives elsewhere (circuit
states, queue depths in DBOS's tables) is read when `/metrics` is scraped, by the `on_scrape`
readers that the process registered. Labels carry bounded values only: route templates, connector
types, action names, queue names, outcomes; an integration id only with
`INTERLINK_METRICS_PER_INTEGRATION=true`. docs/observability.md describes each family.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import prometheus_client
import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

log = structlog.get_logger(__name__)
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series

CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST
UNMATCHED = "unmatched"  # the route label of a request no route matched (bounded, unlike paths)
SCRAPE_SECONDS = 5.0  # one reader's limit per scrape
_CALL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_LLM_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
_TOKEN_RATE_BUCKETS = (1, 5, 10, 20, 40, 60, 80, 100, 150, 200, 300, 500, 1000)
_DELIVERY_OUTCOMES = {"succeeded": "succeeded", "pending": "retrying", "failed": "failed"}

Reader = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class LlmCall:
    """One language-model call as the metrics count it."""

    prompt_tokens: int
    completion_tokens: int
    dollars: float
    seconds: float
    first_token_seconds: float | None = None  # streamed
    error_code: str | None = None

    def tokens_per_second(self) -> float | None:
        """Completion tokens over the time spent generating them (after the first token, when
        streamed); None without both."""
        generating = self.seconds - (self.first_token_seconds or 0.0)
        if self.completion_tokens <= 0 or generating <= 0:
            return None
        return self.completion_tokens / generating


@dataclass(frozen=True, slots=True)
class CallMeter:
    """The children of one connector type and operation: what a provider client records."""

    calls: Counter
    connector_type: str
    operation: str
    duration: Histogram
    waits: Counter
    wait_seconds: Counter
    refusals: Counter
    circuit_open: Counter
    outcomes: dict[str, Counter]

    def call(self, outcome: str, seconds: float) -> None:
        """One request sent to the provider (each attempt, each retry) and how it ended."""
        child = self.outcomes.get(outcome)
        if child is None:
            child = self.outcomes[outcome] = self.calls.labels(
                self.connector_type, self.operation, outcome
            )
        child.inc()
        self.duration.observe(seconds)

    def waited(self, seconds: float) -> None:
        """The call waited for rate budget before it left."""
        self.waits.inc()
        self.wait_seconds.inc(seconds)

    def refused(self) -> None:
        """The budget would not free in time: RATE_LIMIT_EXCEEDED without calling."""
        self.refusals.inc()

    def refused_by_circuit(self) -> None:
        self.circuit_open.inc()


class Metrics:
    def __init__(self, *, per_integration: bool = False) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.per_integration = per_integration
        self._readers: list[tuple[str, Reader]] = []
        self._http: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._meters: dict[tuple[str, str], CallMeter] = {}
        self._deliveries: dict[str, Counter] = {}
        self._workflows: dict[str, Counter] = {}
        r = self.registry
        self.http_requests = Counter(
            "interlink_http_requests", "HTTP requests answered, by route template and status",
            ["method", "route", "status"], registry=r,
        )  # fmt: skip
        self.http_duration = Histogram(
            "interlink_http_request_duration_seconds", "Time to answer an HTTP request",
            ["method", "route"], registry=r,
        )  # fmt: skip
        calls = ["connector_type", "operation"]
        self.provider_calls = Counter(
            "interlink_provider_calls", "Requests sent to providers (each attempt), by outcome",
            [*calls, "outcome"], registry=r,
        )  # fmt: skip
        self.provider_duration = Histogram(
            "interlink_provider_call_duration_seconds", "Time of one request to a provider",
            calls, buckets=_CALL_BUCKETS, registry=r,
        )  # fmt: skip
        self.rate_waits = Counter(
            "interlink_rate_limit_waits", "Calls that waited for their integration's rate budget",
            calls, registry=r,
        )  # fmt: skip
        self.rate_wait_seconds = Counter(
            "interlink_rate_limit_wait_seconds", "Seconds calls waited for rate budget",
            calls, registry=r,
        )  # fmt: skip
        self.rate_refusals = Counter(
            "interlink_rate_limit_refusals",
            "Calls refused with RATE_LIMIT_EXCEEDED before they left (budget spent too long)",
            calls, registry=r,
        )  # fmt: skip
        self.circuit_refusals = Counter(
            "interlink_circuit_open_refusals", "Calls refused with CIRCUIT_OPEN",
            calls, registry=r,
        )  # fmt: skip
        breaker_labels = ["connector_type", "state"]
        if per_integration:
            breaker_labels.insert(1, "integration_id")
        self.circuit_breakers = Gauge(
            "interlink_circuit_breakers",
            "Integrations this process has called, by circuit state (closed, open, half_open)",
            breaker_labels, registry=r,
        )  # fmt: skip
        self.queue_depth = Gauge(
            "interlink_queue_depth", "Durable work per queue: queued (waiting) or running",
            ["queue", "state"], registry=r,
        )  # fmt: skip
        self.queue_oldest_age = Gauge(
            "interlink_queue_oldest_age_seconds", "Age of the oldest work waiting in the queue",
            ["queue"], registry=r,
        )  # fmt: skip
        self.webhook_deliveries = Counter(
            "interlink_webhook_deliveries",
            "Webhook delivery attempts by outcome (succeeded, retrying, failed)",
            ["outcome"], registry=r,
        )  # fmt: skip
        self.webhook_duration = Histogram(
            "interlink_webhook_delivery_duration_seconds", "Time of one webhook delivery attempt",
            buckets=_CALL_BUCKETS, registry=r,
        )  # fmt: skip
        self.workflow_executions = Counter(
            "interlink_workflow_executions",
            "Workflow execution status changes (started, completed, failed, cancelled)",
            ["status"], registry=r,
        )  # fmt: skip
        llm = ["provider", "model", *(["integration_id"] if per_integration else [])]
        self.llm_tokens = Counter(
            "interlink_llm_tokens", "Tokens of language-model calls, by kind (prompt, completion)",
            [*llm, "kind"], registry=r,
        )  # fmt: skip
        self.llm_cost = Counter(
            "interlink_llm_cost_usd", "Dollars language-model calls cost (from the price table)",
            llm, registry=r,
        )  # fmt: skip
        self.llm_calls = Counter(
            "interlink_llm_calls", "Language-model calls charged (settled after their answer)",
            llm, registry=r,
        )  # fmt: skip
        self.llm_errors = Counter(
            "interlink_llm_errors", "Language-model calls that failed, by error code",
            [*llm, "code"], registry=r,
        )  # fmt: skip
        self.llm_duration = Histogram(
            "interlink_llm_call_duration_seconds", "Time of a language-model call, to its end",
            llm, buckets=_LLM_BUCKETS, registry=r,
        )  # fmt: skip
        self.llm_first_token = Histogram(
            "interlink_llm_time_to_first_token_seconds", "Time to a streamed answer's first chunk",
            llm, buckets=_LLM_BUCKETS, registry=r,
        )  # fmt: skip
        self.llm_token_rate = Histogram(
            "interlink_llm_output_tokens_per_second",
            "Completion tokens per second of generation (after the first token, when streamed)",
            llm, buckets=_TOKEN_RATE_BUCKETS, registry=r,
        )  # fmt: skip
        self.scrape_errors = Counter(
            "interlink_metrics_scrape_errors", "Readers that failed during a scrape",
            ["reader"], registry=r,
        )  # fmt: skip

    # -- recording ------------------------------------------------------------------------------
    def http_child(self, method: str, route: str, status: int) -> tuple[Counter, Histogram]:
        key = (method, route, status)
        found = self._http.get(key)
        if found is None:
            found = self._http[key] = (
                self.http_requests.labels(method, route, str(status)),
                self.http_duration.labels(method, route),
            )
        return found

    def meter(self, connector_type: str, operation: str) -> CallMeter:
        key = (connector_type, operation)
        found = self._meters.get(key)
        if found is None:
            found = self._meters[key] = CallMeter(
                calls=self.provider_calls, connector_type=connector_type, operation=operation,
                duration=self.provider_duration.labels(*key), waits=self.rate_waits.labels(*key),
                wait_seconds=self.rate_wait_seconds.labels(*key),
                refusals=self.rate_refusals.labels(*key),
                circuit_open=self.circuit_refusals.labels(*key), outcomes={},
            )  # fmt: skip
        return found

    def delivery(self, status: str, seconds: float) -> None:
        """A delivery attempt ended; `status` is the row's new status."""
        outcome = _DELIVERY_OUTCOMES.get(status, status)
        child = self._deliveries.get(outcome)
        if child is None:
            child = self._deliveries[outcome] = self.webhook_deliveries.labels(outcome)
        child.inc()
        self.webhook_duration.observe(seconds)

    def workflow(self, status: str) -> None:
        child = self._workflows.get(status)
        if child is None:
            child = self._workflows[status] = self.workflow_executions.labels(status)
        child.inc()

    def llm(self, provider: str, model: str, integration_id: str, call: LlmCall) -> None:
        """A language-model call's usage and timing (`integration_id` counted only when
        allowed)."""
        labels = (provider, model, *((integration_id,) if self.per_integration else ()))
        self.llm_tokens.labels(*labels, "prompt").inc(call.prompt_tokens)
        self.llm_tokens.labels(*labels, "completion").inc(call.completion_tokens)
        self.llm_cost.labels(*labels).inc(call.dollars)
        self.llm_calls.labels(*labels).inc()
        if call.error_code is not None:
            self.llm_errors.labels(*labels, call.error_code).inc()
        self.llm_duration.labels(*labels).observe(call.seconds)
        if call.first_token_seconds is not None:
            self.llm_first_token.labels(*labels).observe(call.first_token_seconds)
        rate = call.tokens_per_second()
        if rate is not None:
            self.llm_token_rate.labels(*labels).observe(rate)

    # -- read at scrape time --------------------------------------------------------------------
    def on_scrape(self, name: str, reader: Reader) -> None:
        """`reader` sets gauges from state kept elsewhere, before each exposition."""
        self._readers.append((name, reader))

    def set_breakers(self, states: Iterable[tuple[str, str, str]]) -> None:
        """(connector type, integration id, state) of each integration this process knows."""
        self.circuit_breakers.clear()
        if self.per_integration:
            for connector_type, integration_id, state in states:
                self.circuit_breakers.labels(connector_type, integration_id, state).set(1)
            return
        counts: dict[tuple[str, str], int] = {}
        for connector_type, _, state in states:
            counts[(connector_type, state)] = counts.get((connector_type, state), 0) + 1
        for (connector_type, state), count in counts.items():
            self.circuit_breakers.labels(connector_type, state).set(count)

    def set_queues(self, rows: Iterable[tuple[str, str, int, float | None]]) -> None:
        """(queue, state, count, age of the oldest in seconds or None) per queue and state."""
        self.queue_depth.clear()
        self.queue_oldest_age.clear()
        for queue, state, count, oldest in rows:
            self.queue_depth.labels(queue, state).set(count)
            if state == "queued" and oldest is not None:
                self.queue_oldest_age.labels(queue).set(oldest)

    async def exposition(self) -> bytes:
        """Run the readers (each bounded in time; one failing leaves its gauges empty and
        counts an error), then the text format."""
        for name, reader in self._readers:
            try:
                async with asyncio.timeout(SCRAPE_SECONDS):
                    await reader()
            except Exception:
                log.warning("metrics_reader_failed", reader=name, exc_info=True)
                self.scrape_errors.labels(name).inc()
        return prometheus_client.generate_latest(self.registry)
