"""A language model's token window, learned from its answers' headers: a call that declares its
tokens waits for the window's reset, or is refused before the provider would say 429; in one
process (memory) and across processes (Redis)."""

from __future__ import annotations

import asyncio

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
