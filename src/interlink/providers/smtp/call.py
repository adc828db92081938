"""An SMTP session as one call of its integration: it takes the breaker and the rate budget an
HTTP call takes (through the integration's `ProviderClient`), and how it ended is told to the
breaker and the metrics once."""

from __future__ import annotations

import time

from interlink.transport.classify import Disposition
from interlink.transport.client import ProviderClient


class SmtpCall:
    def __init__(self, http: ProviderClient) -> None:
        self.http = http
        self._probe = False  # this session is the half-open probe
        self._started = 0.0  # when the breaker and the budget let it go (its duration's start)

    async def begin(self) -> None:
        """The breaker check (CIRCUIT_OPEN while open) and the rate budget."""
        http = self.http
        name = http.circuit or "this server"
        self._probe = await http.enter_circuit(name, http.settings.hold_seconds)
        try:
            await http.take_budget()
        except BaseException:
            await self._leave(None)
            raise
        self._started = time.perf_counter()

    async def end(self, *, failed: bool, outcome: str | None = None) -> None:
        """`failed`: a failure of the server, not of the input (counted by the breaker; else the
        circuit closes). `outcome`: what the metrics count it as (by default `server_error` or
        `success`)."""
        meter = self.http.meter
        if meter is not None:
            took = time.perf_counter() - self._started
            meter.call(outcome or ("server_error" if failed else "success"), took)
        await self._leave(Disposition.RETRY if failed else Disposition.OK)

    async def _leave(self, disposition: Disposition | None) -> None:
        probe, self._probe = self._probe, False
        await self.http.leave_circuit(probe, disposition)
