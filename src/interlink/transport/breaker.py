"""A circuit breaker per integration: after `threshold` consecutive failures calls fail at once
with CIRCUIT_OPEN for `cooldown` seconds; then one probe goes through (half open), and its result
closes or reopens the circuit. State is per process; health reads it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from interlink.core.clock import Clock
from interlink.core.errors import CircuitOpen


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class _Circuit:
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False


class CircuitBreakers:
    def __init__(self, clock: Clock, *, threshold: int = 5, cooldown: float = 30.0) -> None:
        self.clock = clock
        self.threshold = threshold
        self.cooldown = cooldown
        self._circuits: dict[str, _Circuit] = {}

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def state(self, key: str) -> BreakerState:
        circuit = self._circuits.get(key)
        if circuit is None or circuit.opened_at is None:
            return BreakerState.CLOSED
        if circuit.probing or self._now() - circuit.opened_at >= self.cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def before_call(self, key: str) -> None:
        """Raises CIRCUIT_OPEN while open; lets exactly one probe through when half open."""
        circuit = self._circuits.setdefault(key, _Circuit())
        if circuit.opened_at is None:
            return
        remaining = circuit.opened_at + self.cooldown - self._now()
        if remaining > 0 or circuit.probing:
            wait = max(remaining, 1.0)
            raise CircuitOpen(
                f"Calls to this integration are stopped after {circuit.failures} failures in a "
                f"row; the next try is in {wait:.0f} s",
                headers={"Retry-After": str(max(1, round(wait)))},
            )
        circuit.probing = True

    def record_success(self, key: str) -> None:
        self._circuits[key] = _Circuit()

    def record_failure(self, key: str) -> None:
        circuit = self._circuits.setdefault(key, _Circuit())
        circuit.failures += 1
        if circuit.probing or circuit.failures >= self.threshold:
            circuit.opened_at, circuit.probing = self._now(), False

    def release_probe(self, key: str) -> None:
        """A probe that ended neither in success nor failure (e.g. a 4xx) frees the slot."""
        circuit = self._circuits.get(key)
        if circuit is not None and circuit.probing:
            circuit.probing = False
            circuit.opened_at = self._now() - self.cooldown
