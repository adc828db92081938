"""A language model's token window, learned from its answers' headers: a call that declares its
tokens waits for the window's reset, or is refused before the provider would say 429; in one
process (memory) and across processes (Redis)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from interlink.core.clock import FrozenClock
from interlink.core.errors import RateLimitExceeded
from interlink.transport.client import ProviderFacts, Transport
from interlink.transport.headers import RateLimitHeaders
from tests.transport.conftest import SharedRedis, Upstream, client_of, status

OPENAI = ProviderFacts(
    rate_headers=RateLimitHeaders(
        limit="x-ratelimit-limit-requests", remaining="x-ratelimit-remaining-requests",
        reset="x-ratelimit-reset-requests", reset_kind="duration",
        tokens=RateLimitHeaders(
            limit="x-ratelimit-limit-tokens", remaining="x-ratelimit-remaining-tokens",
            reset="x-ratelimit-reset-tokens", reset_kind="duration",
        ),
    )
)  # fmt: skip


def tokens_left(remaining: int, reset: str = "5s", limit: int = 1000) -> dict[str, str]:
    return {
        "x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "499",
        "x-ratelimit-reset-requests": "120ms", "x-ratelimit-limit-tokens": str(limit),
        "x-ratelimit-remaining-tokens": str(remaining), "x-ratelimit-reset-tokens": reset,
    }  # fmt: skip


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def processes(request: pytest.FixtureRequest, transport: Transport) -> list[Transport]:
    """Two transports sharing one budget: the same one (memory), or two processes (Redis)."""
    if request.param == "memory":
        return [transport, transport]
    shared: SharedRedis = request.getfixturevalue("shared")
    return [shared.transport(), shared.transport()]


async def test_a_call_needing_more_tokens_than_are_left_waits_for_the_reset(
    processes: list[Transport], upstream: Upstream, clock: FrozenClock
) -> None:
    upstream.script(status(200, **tokens_left(100)))
    await client_of(processes[0], upstream.url, OPENAI).post("/chat", tokens=10)

    await client_of(processes[1], upstream.url, OPENAI).post("/chat", tokens=300)

    assert clock.sleeps == [5.0]  # the token window's reset, not a 429's
    assert len(upstream.seen) == 2


async def test_granted_calls_take_their_tokens_off_until_the_provider_says_again(
    processes: list[Transport], upstream: Upstream, clock: FrozenClock
) -> None:
    upstream.script(status(200, **tokens_left(100)), status(200), status(200, **tokens_left(900)))
    await client_of(processes[0], upstream.url, OPENAI).post("/chat", tokens=1)
    await client_of(processes[1], upstream.url, OPENAI).post("/chat", tokens=60)  # 40 left

    await client_of(processes[0], upstream.url, OPENAI).post("/chat", tokens=60)
    assert clock.sleeps == [5.0]

    await client_of(processes[1], upstream.url, OPENAI).post("/chat", tokens=600)  # 900 said
    assert clock.sleeps == [5.0]


async def test_a_reset_past_the_wait_bound_is_refused_before_the_provider_is_asked(
    processes: list[Transport], upstream: Upstream, clock: FrozenClock
) -> None:
    upstream.script(status(200, **tokens_left(120, reset="6m0s")))
    await client_of(processes[0], upstream.url, OPENAI).post("/chat", tokens=10)

    with pytest.raises(RateLimitExceeded) as raised:
        await client_of(processes[1], upstream.url, OPENAI, max_wait=10).post("/chat", tokens=500)

    assert raised.value.message == (
        "This call needs about 500 tokens and the provider's token budget has 120 left; "
        "it resets in 360.0 s (waited up to 10 s)"
    )
    assert raised.value.details == [
        {"tokens_needed": 500, "tokens_remaining": 120, "retry_after_seconds": 360.0}
    ]
    assert raised.value.headers["Retry-After"] == "360"
    assert len(upstream.seen) == 1
    assert clock.sleeps == []


async def test_a_call_over_the_whole_window_is_refused_at_once(
    processes: list[Transport], upstream: Upstream, clock: FrozenClock
) -> None:
    upstream.script(status(200, **tokens_left(1000, limit=1000)))
    await client_of(processes[0], upstream.url, OPENAI).post("/chat", tokens=10)

    with pytest.raises(RateLimitExceeded) as raised:
        await client_of(processes[1], upstream.url, OPENAI, max_wait=600).post("/chat", tokens=1500)

    assert raised.value.message == (
        "This call needs about 1500 tokens, more than the provider's token limit of 1000 per window"
    )
    assert raised.value.details[0]["token_limit"] == 1000
    assert len(upstream.seen) == 1
    assert clock.sleeps == []


async def test_calls_that_declare_no_tokens_and_ended_windows_are_not_held(
    processes: list[Transport], upstream: Upstream, clock: FrozenClock
) -> None:
    upstream.script(status(200, **tokens_left(0)))
    await client_of(processes[0], upstream.url, OPENAI).post("/chat", tokens=10)

    await client_of(processes[1], upstream.url, OPENAI).get("/models")  # no tokens declared
    clock.advance(5)
    await client_of(processes[1], upstream.url, OPENAI).post("/chat", tokens=999)

    assert clock.sleeps == []
    assert len(upstream.seen) == 3
    assert processes[0].observed_tokens["int_1"].describe() == "0/1000 remaining"


async def test_a_stream_declaring_its_tokens_is_held_as_a_request_is(
    processes: list[Transport], upstream: Upstream, clock: FrozenClock
) -> None:
    upstream.script(status(200, **tokens_left(50, reset="2s")))
    await client_of(processes[0], upstream.url, OPENAI).post("/chat", tokens=10)

    async with client_of(processes[1], upstream.url, OPENAI).stream(
        "POST", "/chat", json={"stream": True}, tokens=200
    ) as answer:
        assert answer.status == 200

    assert clock.sleeps == [2.0]


async def test_calls_racing_for_the_last_tokens_do_not_all_go(
    processes: list[Transport], upstream: Upstream
) -> None:
    upstream.script(status(200, **tokens_left(100, reset="6m0s")))
    await client_of(processes[0], upstream.url, OPENAI).post("/chat", tokens=1)
    clients = [client_of(processes[n % 2], upstream.url, OPENAI) for n in range(6)]

    outcomes = await asyncio.gather(
        *(client.post("/chat", tokens=40) for client in clients), return_exceptions=True
    )

    went = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
    assert len(went) == 2  # 100 tokens left hold two calls of 40
    assert all(isinstance(o, RateLimitExceeded) for o in outcomes if o not in went)
    assert len(upstream.seen) == 3


def _anthropic_window(name: str) -> RateLimitHeaders:
    prefix = f"anthropic-ratelimit-{name}"
    return RateLimitHeaders(f"{prefix}-limit", f"{prefix}-remaining", f"{prefix}-reset", "iso8601")


ANTHROPIC = ProviderFacts(
    rate_headers=replace(
        _anthropic_window("requests"),
        tokens=_anthropic_window("input-tokens"),
        output_tokens=_anthropic_window("output-tokens"),
    )
)
RESET = "2026-01-01T00:00:30Z"  # 30 s after the transports' clock


def windows_left(inputs: int, outputs: int, reset: str = RESET) -> dict[str, str]:
    """Anthropic's three windows: plenty of requests, `inputs` and `outputs` tokens left."""
    return {
        "anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "49",
        "anthropic-ratelimit-requests-reset": reset,
        "anthropic-ratelimit-input-tokens-limit": "30000",
        "anthropic-ratelimit-input-tokens-remaining": str(inputs),
        "anthropic-ratelimit-input-tokens-reset": reset,
        "anthropic-ratelimit-output-tokens-limit": "8000",
        "anthropic-ratelimit-output-tokens-remaining": str(outputs),
        "anthropic-ratelimit-output-tokens-reset": reset,
    }  # fmt: skip


async def test_a_call_whose_max_tokens_the_output_window_cannot_hold_waits_for_its_reset(
    processes: list[Transport], upstream: Upstream, clock: FrozenClock
) -> None:
    upstream.script(status(200, **windows_left(inputs=29_000, outputs=500)))
    await client_of(processes[0], upstream.url, ANTHROPIC).post("/v1/messages", tokens=10)

    await client_of(processes[1], upstream.url, ANTHROPIC, max_wait=60).post(
        "/v1/messages", tokens=10, output_tokens=1000
    )  # its prompt fits the input window; its max_tokens not the output window

    assert clock.sleeps == [30.0]
    assert len(upstream.seen) == 2
    seen = processes[0].observed_output_tokens["int_1"]
    assert seen.describe() == "500/8000 remaining"


async def test_granted_calls_take_their_max_tokens_off_the_output_window(
    processes: list[Transport], upstream: Upstream, clock: FrozenClock
) -> None:
    upstream.script(status(200, **windows_left(inputs=29_000, outputs=1000)), status(200))
    await client_of(processes[0], upstream.url, ANTHROPIC).post("/v1/messages", tokens=1)
    await client_of(processes[1], upstream.url, ANTHROPIC).post(
        "/v1/messages", tokens=1, output_tokens=600
    )  # 400 left until Anthropic says again

    await client_of(processes[0], upstream.url, ANTHROPIC, max_wait=60).post(
        "/v1/messages", tokens=1, output_tokens=600
    )

    assert clock.sleeps == [30.0]


async def test_max_tokens_over_the_whole_output_window_are_refused_before_sending(
    processes: list[Transport], upstream: Upstream, clock: FrozenClock
) -> None:
    upstream.script(status(200, **windows_left(inputs=30_000, outputs=8000)))
    await client_of(processes[0], upstream.url, ANTHROPIC).post("/v1/messages", tokens=10)

    with pytest.raises(RateLimitExceeded) as raised:
        await client_of(processes[1], upstream.url, ANTHROPIC, max_wait=600).post(
            "/v1/messages", tokens=10, output_tokens=64_000
        )

    assert raised.value.message == (
        "This call may write up to 64000 tokens (its max_tokens), more than the provider's "
        "output-token limit of 8000 per window"
    )
    assert raised.value.details == [
        {"output_tokens_needed": 64_000, "output_tokens_remaining": 8000,
         "output_token_limit": 8000}
    ]  # fmt: skip
    assert len(upstream.seen) == 1
    assert clock.sleeps == []


async def test_an_output_window_resetting_past_the_wait_bound_is_refused_with_its_numbers(
    processes: list[Transport], upstream: Upstream, clock: FrozenClock
) -> None:
    upstream.script(status(200, **windows_left(inputs=30_000, outputs=300)))
    await client_of(processes[0], upstream.url, ANTHROPIC).post("/v1/messages", tokens=10)

    with pytest.raises(RateLimitExceeded) as raised:
        await client_of(processes[1], upstream.url, ANTHROPIC, max_wait=5).post(
            "/v1/messages", tokens=10, output_tokens=1024
        )

    assert raised.value.message == (
        "This call may write up to 1024 tokens (its max_tokens) and the provider's output-token "
        "budget has 300 left; it resets in 30.0 s (waited up to 5 s)"
    )
    assert raised.value.details == [
        {"output_tokens_needed": 1024, "output_tokens_remaining": 300,
         "retry_after_seconds": 30.0}
    ]  # fmt: skip
    assert raised.value.headers["Retry-After"] == "30"
    assert len(upstream.seen) == 1
