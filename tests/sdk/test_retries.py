"""Retries: a 429 waits for Retry-After (on the injected sleep, so nothing sleeps here), a
connection error backs off, a POST keeps one Idempotency-Key across its tries, and other
errors are not retried."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from interlink import (
    AsyncIntegrationManager,
    IntegrationManager,
    InterlinkConnectionError,
    RateLimitExceeded,
    RetryPolicy,
    TooManyRequests,
)
from interlink.sdk import IntegrationConfig
from interlink.sdk.retry import NO_RETRIES
from tests.sdk.conftest import LIMITED_KEY, AsyncSleeps, Recorder, Sleeps, envelope, error_envelope

INTEGRATION = {
    "id": "int_1",
    "name": "n",
    "type": "github",
    "status": "configured",
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-01T00:00:00Z",
}
CONFIG = IntegrationConfig(name="n", type="github")


def too_many(retry_after: str | None = "2") -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return error_envelope("TOO_MANY_REQUESTS", 429, "slow down", headers=headers)


def manager(recorder: Recorder, sleeps: Sleeps, **policy: Any) -> IntegrationManager:
    """A manager whose backoff waits the whole of each step, unless `jitter` is given."""
    return IntegrationManager(
        "sk_x",
        base_url="http://sdk.test",
        transport=httpx.MockTransport(recorder),
        sleep=sleeps,
        retry=RetryPolicy(**{"jitter": False, **policy}),
    )


def test_a_429_is_retried_after_the_servers_retry_after() -> None:
    recorder, sleeps = Recorder(too_many("2"), too_many("7"), envelope(INTEGRATION)), Sleeps()

    got = manager(recorder, sleeps).get_integration("int_1")

    assert got.id == "int_1"
    assert sleeps.waits == [2.0, 7.0]
    assert len(recorder.requests) == 3


def test_a_429_without_retry_after_backs_off_exponentially() -> None:
    answers = [too_many(None), too_many(None), too_many(None), envelope(INTEGRATION)]
    recorder, sleeps = Recorder(*answers), Sleeps()

    manager(recorder, sleeps, backoff_seconds=0.5).get_integration("int_1")

    assert sleeps.waits == [0.5, 1.0, 2.0]


def test_the_backoff_waits_a_random_part_of_each_step_by_default() -> None:
    answers = [too_many(None), httpx.ConnectError("refused"), envelope(INTEGRATION)]
    recorder, sleeps = Recorder(*answers), Sleeps()
    draws = iter([0.5, 0.25])

    manager(recorder, sleeps, jitter=True, random=lambda: next(draws)).get_integration("int_1")

    assert sleeps.waits == [0.25, 0.25]  # half of 0.5 s, a quarter of 1 s
    assert RetryPolicy().jitter


def test_the_last_429_is_raised_when_the_tries_are_used_up() -> None:
    recorder, sleeps = Recorder(too_many("1"), too_many("1")), Sleeps()

    with pytest.raises(TooManyRequests) as raised:
        manager(recorder, sleeps, max_attempts=2).get_integration("int_1")

    assert raised.value.retry_after == 1.0
    assert sleeps.waits == [1.0]


def test_a_retry_after_beyond_the_limit_is_not_waited_for() -> None:
    recorder, sleeps = Recorder(too_many("3600")), Sleeps()

    with pytest.raises(TooManyRequests):
        manager(recorder, sleeps, max_retry_after_seconds=60).get_integration("int_1")

    assert sleeps.waits == []


def test_a_connection_error_is_retried_then_raised_as_our_own_error() -> None:
    failure = httpx.ConnectError("refused")
    recorder, sleeps = Recorder(failure, failure, failure), Sleeps()

    with pytest.raises(InterlinkConnectionError) as raised:
        manager(recorder, sleeps, max_attempts=3, backoff_seconds=1).get_integration("int_1")

    assert "http://sdk.test" in str(raised.value)
    assert sleeps.waits == [1.0, 2.0]
    assert len(recorder.requests) == 3


def test_a_post_keeps_one_idempotency_key_across_its_tries() -> None:
    answers = [httpx.ConnectError("reset"), too_many("1"), envelope(INTEGRATION, 201)] * 2
    recorder, sleeps = Recorder(*answers), Sleeps()

    mgr = manager(recorder, sleeps)
    mgr.create_integration(CONFIG)
    mgr.create_integration(CONFIG)  # a second call: a new key

    keys = [r.headers.get("Idempotency-Key") for r in recorder.requests]
    assert len(set(keys[:3])) == 1
    assert keys[0]
    assert keys[3] != keys[0]


def test_only_posts_carry_an_idempotency_key() -> None:
    recorder, sleeps = Recorder(envelope(INTEGRATION)), Sleeps()

    manager(recorder, sleeps).get_integration("int_1")

    assert "Idempotency-Key" not in recorder.requests[0].headers


def test_other_errors_are_not_retried() -> None:
    recorder, sleeps = Recorder(error_envelope("RATE_LIMIT_EXCEEDED", 409)), Sleeps()

    with pytest.raises(RateLimitExceeded):
        manager(recorder, sleeps).get_integration("int_1")

    assert (sleeps.waits, len(recorder.requests)) == ([], 1)


def test_an_http_date_retry_after_is_read_against_the_servers_date() -> None:
    headers = {
        "Retry-After": "Wed, 21 Oct 2026 07:28:05 GMT",
        "Date": "Wed, 21 Oct 2026 07:28:00 GMT",
    }
    limited = error_envelope("TOO_MANY_REQUESTS", 429, headers=headers)
    recorder, sleeps = Recorder(limited, envelope(INTEGRATION)), Sleeps()

    manager(recorder, sleeps).get_integration("int_1")

    assert sleeps.waits == [5.0]


async def test_the_async_twin_retries_the_same_way() -> None:
    answers = [too_many("2"), httpx.ConnectError("refused"), envelope(INTEGRATION, 201)]
    recorder, sleeps = Recorder(*answers), AsyncSleeps()
    mgr = AsyncIntegrationManager(
        "sk_x",
        base_url="http://sdk.test",
        transport=httpx.MockTransport(recorder),
        sleep=sleeps,
        retry=RetryPolicy(jitter=False),
    )

    async with mgr:
        created = await mgr.create_integration(CONFIG)

    assert created.id == "int_1"
    assert sleeps.waits == [2.0, 1.0]
    assert len({r.headers["Idempotency-Key"] for r in recorder.requests}) == 1


def spend(manager: IntegrationManager) -> None:
    for _ in range(5):
        manager.list_integrations()


def test_live_429_carries_the_servers_retry_after_and_is_retried(limited_server: str) -> None:
    spender = IntegrationManager(LIMITED_KEY, base_url=limited_server, retry=NO_RETRIES)
    with pytest.raises(TooManyRequests):  # the key's budget of 2 a minute is spent
        spend(spender)
    sleeps = Sleeps()
    mgr = IntegrationManager(LIMITED_KEY, base_url=limited_server, sleep=sleeps)

    with pytest.raises(TooManyRequests) as raised:
        mgr.list_integrations()

    assert len(sleeps.waits) == RetryPolicy().max_attempts - 1
    assert all(0 < wait <= 61 for wait in sleeps.waits)
    assert raised.value.retry_after == pytest.approx(sleeps.waits[-1], abs=1)
