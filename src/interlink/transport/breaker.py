"""A circuit breaker per integration (per host for a call without one): after `threshold`
consecutive failed calls (a call with its retries counts once) calls fail at once
with CIRCUIT_OPEN for `cooldown` seconds; then one probe goes through (half open), and its result
closes or reopens the circuit. Health reads the state.

One interface (`Breakers`) with two stores: `MemoryBreakers` keeps the circuits of this process;
`RedisBreakers` keeps them in Redis, so a circuit opened by one process is open in all, and of
all the processes only one sends the half-open probe. The client asks it once per call and tells
it how the call ended, once, with its retries: a success, a failure of the provider, or (for the
probe only) neither.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from redis.asyncio import Redis

from interlink.core.clock import Clock
from interlink.core.errors import CircuitOpen
from interlink.transport.unavailable import after_the_call, before_the_call

_KEEP_SECONDS = 86_400  # a circuit's record in Redis lives this long after its last failure


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class Breakers(Protocol):
    async def check(self, key: str, hold: float, name: str = "this integration") -> bool:
        """Raises CIRCUIT_OPEN while open, its message naming the circuit (`name`: what it
        guards). True when this call is the half-open probe, which holds the probe for at most
        `hold` seconds (then another call may probe)."""

    async def succeeded(self, key: str, probe: bool) -> None:
        """Any success closes the circuit."""

    async def failed(self, key: str, probe: bool) -> None:
        """A failure of the provider: counted; opens the circuit at the threshold, or when it
        was the probe."""

    async def release_probe(self, key: str) -> None:
        """The probe ended in neither (a 4xx, a 429, refused before it left): the next call
        may probe at once. Called only by the probe."""

    async def state(self, key: str) -> BreakerState: ...

    async def states(self, keys: Sequence[str]) -> list[BreakerState]:
        """The state of each key, at once (what `/metrics` reports)."""


def circuit_open(failures: int, wait: float, name: str = "this integration") -> CircuitOpen:
    wait = max(wait, 1.0)
    return CircuitOpen(
        f"Calls to {name} are stopped after {failures} failed calls in a row; the next try is "
        f"in {wait:.0f} s",
        headers={"Retry-After": str(max(1, round(wait)))},
    )


@dataclass
class _Circuit:
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False


class MemoryBreakers:
    """The circuits of this process (nothing in it waits: each method returns at once)."""

    def __init__(self, clock: Clock, *, threshold: int = 5, cooldown: float = 30.0) -> None:
        self.clock = clock
        self.threshold = threshold
        self.cooldown = cooldown
        self._circuits: dict[str, _Circuit] = {}

    def _now(self) -> float:
        return self.clock.now().timestamp()

    async def check(self, key: str, hold: float, name: str = "this integration") -> bool:
        circuit = self._circuits.get(key)
        if circuit is None or circuit.opened_at is None:
            return False
        remaining = circuit.opened_at + self.cooldown - self._now()
        if remaining > 0 or circuit.probing:
            raise circuit_open(circuit.failures, remaining, name)
        circuit.probing = True
        return True

    async def succeeded(self, key: str, probe: bool) -> None:
        self._circuits.pop(key, None)

    async def failed(self, key: str, probe: bool) -> None:
        circuit = self._circuits.setdefault(key, _Circuit())
        circuit.failures += 1
        if circuit.probing or circuit.failures >= self.threshold:
            circuit.opened_at, circuit.probing = self._now(), False

    async def release_probe(self, key: str) -> None:
        circuit = self._circuits.get(key)
        if circuit is not None and circuit.probing:
            circuit.probing = False
            circuit.opened_at = self._now() - self.cooldown

    async def state(self, key: str) -> BreakerState:
        return self._state(key)

    async def states(self, keys: Sequence[str]) -> list[BreakerState]:
        return [self._state(key) for key in keys]

    def _state(self, key: str) -> BreakerState:
        circuit = self._circuits.get(key)
        if circuit is None or circuit.opened_at is None:
            return BreakerState.CLOSED
        if circuit.probing or self._now() - circuit.opened_at >= self.cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN


# KEYS[1] the circuit (hash: failures, opened_at), KEYS[2] the probe; ARGV now, cooldown, probe
# token, probe ttl in ms. Answers {0 closed | 1 this call probes | 2 open, failures, wait}.
_CHECK = """
local circuit = redis.call('HMGET', KEYS[1], 'failures', 'opened_at')
local failures = tonumber(circuit[1] or '0') or 0
if not circuit[2] then return {0, failures, '0'} end
local remaining = tonumber(circuit[2]) + tonumber(ARGV[2]) - tonumber(ARGV[1])
if remaining > 0 then return {2, failures, tostring(remaining)} end
if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[4]) then return {1, failures, '0'} end
return {2, failures, '1'}
"""

# ARGV now, threshold, keep ms. Any failure while a probe is out reopens, as in memory.
_FAIL = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if failures >= tonumber(ARGV[2]) or redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HSET', KEYS[1], 'opened_at', ARGV[1])
  redis.call('DEL', KEYS[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return failures
"""

# ARGV probe token, now, cooldown. Only the holder of the probe frees it.
_RELEASE = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
if redis.call('HEXISTS', KEYS[1], 'opened_at') == 1 then
  redis.call('HSET', KEYS[1], 'opened_at', tostring(tonumber(ARGV[2]) - tonumber(ARGV[3])))
end
return 1
"""


class RedisBreakers:
    """The circuits of every process on one Redis. Each step is one atomic command or script:
    the failure count and the opening time in a hash, the probe a key set with NX and an expiry
    (a probe whose process died frees itself)."""

    def __init__(
        self,
        redis: Redis,
        clock: Clock,
        *,
        threshold: int = 5,
        cooldown: float = 30.0,
        prefix: str = "interlink:breaker",
    ) -> None:
        self.redis = redis
        self.clock = clock
        self.threshold = threshold
        self.cooldown = cooldown
        self.prefix = prefix
        self._check = redis.register_script(_CHECK)
        self._fail = redis.register_script(_FAIL)
        self._release = redis.register_script(_RELEASE)
        self._probes: dict[str, str] = {}  # key -> token of the probe this process holds
        self._dirty: set[str] = set()  # keys last seen with failures: a success must reset them

    def _keys(self, key: str) -> list[str]:
        return [f"{self.prefix}:{key}", f"{self.prefix}:{key}:probe"]

    def _now(self) -> float:
        return self.clock.now().timestamp()

    async def check(self, key: str, hold: float, name: str = "this integration") -> bool:
        token = uuid.uuid4().hex
        args: list[float | str] = [self._now(), self.cooldown, token, int(hold * 1000) + 1000]
        with before_the_call():
            verdict, failures, wait = await self._check(keys=self._keys(key), args=args)
        if failures:
            self._dirty.add(key)
        else:
            self._dirty.discard(key)
        if verdict == 2:
            raise circuit_open(int(failures), float(wait), name)
        if verdict == 1:
            self._probes[key] = token
        return bool(verdict == 1)

    async def succeeded(self, key: str, probe: bool) -> None:
        if probe:
            self._probes.pop(key, None)
        if probe or key in self._dirty:
            self._dirty.discard(key)
            with after_the_call("breaker_success"):
                await self.redis.delete(*self._keys(key))

    async def failed(self, key: str, probe: bool) -> None:
        if probe:
            self._probes.pop(key, None)
        self._dirty.add(key)
        args = [self._now(), self.threshold, _KEEP_SECONDS * 1000]
        with after_the_call("breaker_failure"):
            await self._fail(keys=self._keys(key), args=args)

    async def release_probe(self, key: str) -> None:
        token = self._probes.pop(key, None)
        if token is not None:
            args: list[float | str] = [token, self._now(), self.cooldown]
            with after_the_call("release_probe"):  # else the probe runs out by itself
                await self._release(keys=self._keys(key), args=args)

    async def state(self, key: str) -> BreakerState:
        circuit, probe = self._keys(key)
        with before_the_call():
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hget(circuit, "opened_at")
                pipe.exists(probe)
                opened_at, probing = await pipe.execute()
        return self._state_of(opened_at, probing, self._now())

    async def states(self, keys: Sequence[str]) -> list[BreakerState]:
        """One round trip for all the keys."""
        if not keys:
            return []
        with before_the_call():
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    circuit, probe = self._keys(key)
                    pipe.hget(circuit, "opened_at")
                    pipe.exists(probe)
                answers = await pipe.execute()
        now = self._now()
        return [self._state_of(answers[i], answers[i + 1], now) for i in range(0, len(answers), 2)]

    def _state_of(self, opened_at: bytes | None, probing: int, now: float) -> BreakerState:
        if opened_at is None:
            return BreakerState.CLOSED
        if probing or now - float(opened_at) >= self.cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN
