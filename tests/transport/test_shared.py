"""Transports that share one Redis, as the processes of one deployment do: one circuit, one
half-open probe, one set of concurrency slots and one learned pause per integration.

Each `shared.transport()` stands for one process; all run on one frozen clock, so waiting for a
cooldown, a lease or a reset moves the clock, not the test.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from interlink.core.clock import FrozenClock
from interlink.core.errors import CircuitOpen, ExternalServiceError, RateLimitExceeded
from interlink.transport.breaker import BreakerState
from interlink.transport.retry import RetryPolicy
from tests.transport.conftest import SharedRedis, Upstream, client_of, status

pytestmark = pytest.mark.redis

ONCE = RetryPolicy(max_retries=0)


async def _open_the_circuit(shared: SharedRedis, upstream: Upstream) -> None:
    """Three failures in a row (the threshold) through a process of its own."""
    upstream.script(status(500), status(500), status(500))
    client = client_of(shared.transport(), upstream.url, retry=ONCE)
    for _ in range(3):
        with pytest.raises(ExternalServiceError):
            await client.get("/x")


@dataclass
class Gate:
    """An upstream reply that holds each call until the test opens the gate, counting the calls
    in flight and the most there ever were at once."""

    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    in_flight: int = 0
    peak: int = 0
    full_at: int = 1

    async def __call__(self, _: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        if self.in_flight >= self.full_at:
            self.arrived.set()
        await self.opened.wait()
        self.in_flight -= 1
        return web.json_response({"ok": True})


async def test_a_circuit_opened_in_one_process_is_open_in_another(
    shared: SharedRedis, upstream: Upstream, clock: FrozenClock
) -> None:
    await _open_the_circuit(shared, upstream)
    other = shared.transport()

    with pytest.raises(CircuitOpen) as raised:
        await client_of(other, upstream.url, retry=ONCE).get("/x")

    assert len(upstream.seen) == 3  # the other process did not reach the provider
    assert raised.value.headers["Retry-After"] == "30"
    assert raised.value.message.startswith("Calls to 127.0.0.1 are stopped after 3 failed calls")
    assert await other.breakers.state("int_1") is BreakerState.OPEN  # what health shows

    clock.advance(30)
    assert await other.breakers.state("int_1") is BreakerState.HALF_OPEN
    await client_of(other, upstream.url, retry=ONCE).get("/x")  # the probe closes it for all
    assert await shared.transports[0].breakers.state("int_1") is BreakerState.CLOSED


async def test_only_one_of_two_half_open_probes_goes_through(
    shared: SharedRedis, upstream: Upstream, clock: FrozenClock
) -> None:
    await _open_the_circuit(shared, upstream)
    clock.advance(30)
    gate = Gate()
    upstream.script(gate)
    first, second = shared.transport(), shared.transport()

    probe = asyncio.create_task(client_of(first, upstream.url, retry=ONCE).get("/probe"))
    await asyncio.wait_for(gate.arrived.wait(), timeout=10)
    with pytest.raises(CircuitOpen) as refused:
        await client_of(second, upstream.url, retry=ONCE).get("/second-probe")
    gate.opened.set()
    await probe
    after = await client_of(second, upstream.url, retry=ONCE).get("/after")

    assert [s["path"] for s in upstream.seen[3:]] == ["/probe", "/after"]
    assert refused.value.headers["Retry-After"] == "1"
    assert after.status == 200


async def test_two_probes_asked_at_once_get_one_answer_yes(
    shared: SharedRedis, upstream: Upstream, clock: FrozenClock
) -> None:
    await _open_the_circuit(shared, upstream)
    clock.advance(30)
    first, second = shared.transport(), shared.transport()

    answers = await asyncio.gather(
        first.breakers.check("int_1", 60), second.breakers.check("int_1", 60),
        return_exceptions=True,
    )  # fmt: skip

    assert sorted(type(a).__name__ for a in answers) == ["CircuitOpen", "bool"]
    assert True in answers


async def test_a_probe_refused_by_the_budget_lets_the_next_call_probe(
    shared: SharedRedis, upstream: Upstream, clock: FrozenClock
) -> None:
    await _open_the_circuit(shared, upstream)
    clock.advance(30)
    first, second = shared.transport(), shared.transport()
    await first.limiter.pause("int_1", 3600)  # the provider said: no more for an hour

    with pytest.raises(RateLimitExceeded):
        await client_of(first, upstream.url, retry=ONCE, max_wait=0).get("/x")

    assert await second.breakers.state("int_1") is BreakerState.HALF_OPEN
    assert await second.breakers.check("int_1", 60) is True  # the probe was given back


async def test_max_concurrent_holds_across_processes(
    shared: SharedRedis, upstream: Upstream
) -> None:
    gate = Gate(full_at=2)
    upstream.script(*[gate] * 6)
    first, second = shared.transport(), shared.transport()
    clients = [client_of(t, upstream.url, max_concurrent=2) for t in (first, second)]

    calls = [asyncio.create_task(clients[n % 2].get(f"/{n}")) for n in range(6)]
    await asyncio.wait_for(gate.arrived.wait(), timeout=10)
    for _ in range(200):  # give any third call every chance to slip in
        await asyncio.sleep(0)
    in_flight_while_held = gate.in_flight
    gate.opened.set()
    answers = await asyncio.gather(*calls)

    assert in_flight_while_held == 2
    assert gate.peak == 2
    assert [a.status for a in answers] == [200] * 6
    assert await shared.redis.zcard(f"{shared.prefix}:slots:int_1") == 0  # all given back


async def test_the_lease_of_a_dead_process_is_reclaimed(
    shared: SharedRedis, upstream: Upstream, clock: FrozenClock
) -> None:
    dead = shared.slots()
    await dead.acquire("int_1", limit=1, hold=20)  # taken, and never given back
    client = client_of(shared.transport(), upstream.url, max_concurrent=1)

    response = await client.get("/x")

    assert response.status == 200
    assert 20 <= sum(clock.sleeps) < 21  # it waited for the lease to run out, no longer
    assert await shared.redis.zcard(f"{shared.prefix}:slots:int_1") == 0


async def test_a_pause_learned_in_one_process_holds_the_others(
    shared: SharedRedis, upstream: Upstream, clock: FrozenClock
) -> None:
    reset = int(clock.now().timestamp()) + 30
    upstream.script(status(200, **{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}))
    await client_of(shared.transport(), upstream.url).get("/a")
    other = shared.transport()

    with pytest.raises(RateLimitExceeded) as raised:
        await client_of(other, upstream.url, max_wait=5).get("/b")
    await client_of(other, upstream.url, max_wait=60).get("/c")

    assert raised.value.headers["Retry-After"] == "30"
    assert [s["path"] for s in upstream.seen] == ["/a", "/c"]
    assert clock.sleeps == [30.0]
