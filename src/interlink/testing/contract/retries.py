"""Checks 6 and 7: a 429 with the provider's hint is waited out and retried; a 5xx is retried
only when the call is safe to repeat. Waits land on the frozen clock (`clock.sleeps`)."""

from __future__ import annotations

from interlink.core.errors import ExternalServiceError
from interlink.testing.contract.cases import Case, fail
from interlink.testing.contract.choose import http_provider, successful
from interlink.testing.contract.harness import stage
from interlink.testing.faults import Fault

HINT = 3.0  # seconds: the provider's Retry-After, under the transport's longest wait


async def rate_limited(case: Case) -> None:
    """A 429 with the provider's retry hint (its mock's `rate_limited_response`) is waited out
    for the hint, on the clock, and retried; the call succeeds. A provider whose refusal names
    no wait (`MockUpstream.rate_limit_hint` False) is waited out for the transport's pause."""
    fixture = successful(case.provider)[0]
    async with stage(case.provider, fixture) as staged:
        staged.mock.faults.add(Fault.rate_limited(retry_after=HINT), times=1)
        result = await staged.run()
        sent, sleeps, hinted = len(staged.calls), staged.clock.sleeps, staged.mock.rate_limit_hint
    where = f"{fixture.name!r} after a 429 with Retry-After {HINT:g}"
    if result.error is not None:
        raise fail(f"{where} failed: {result.code} ({result.error.message})")
    waited = [slept for slept in sleeps if abs(slept - HINT) < 0.01 or not hinted]
    if not waited:
        raise fail(f"{where}: the waits were {sleeps}, not the hint")
    if sent != len(fixture.exchanges) + 1:
        raise fail(f"{where}: {sent} requests, not {len(fixture.exchanges) + 1}")


async def server_error(case: Case) -> None:
    """A 5xx is retried (and the call succeeds) when the call is safe to repeat: a read, an
    idempotent action or request, or one carrying an Idempotency-Key; otherwise it is not
    retried and the call fails with EXTERNAL_SERVICE_ERROR."""
    http_provider(case.provider)
    fixture = case.the_fixture()
    async with stage(case.provider, fixture) as staged:
        staged.mock.faults.add(Fault.error(503), times=1)
        result = await staged.run()
        calls, first = staged.calls, staged.sent[0]
    where = f"{fixture.name!r} ({first.method} {first.path}) after a 503"
    code = ExternalServiceError.code
    if first.repeatable:
        if result.error is not None:
            raise fail(f"{where} failed: {result.code} ({result.error.message})")
        if len(calls) != len(fixture.exchanges) + 1:
            raise fail(f"{where}: {len(calls)} requests, not one retry")
    elif result.code != code:
        raise fail(f"{where} gave {result.code or 'an output'}, not {code}")
    elif len(calls) != 1:
        raise fail(f"{where}: a write that is not safe to repeat was sent {len(calls)} times")
