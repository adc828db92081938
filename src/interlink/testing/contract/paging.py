"""Checks 8 and 9: the provider's rate-limit headers feed the transport's budget; an action that
pages follows the pages up to its `limit` and stops there."""

from __future__ import annotations

from typing import Any

from interlink.providers.kit.fixtures import Fixture
from interlink.testing.contract.cases import Case, fail, skip
from interlink.testing.contract.choose import RECORD_HINT, http_provider, successful
from interlink.testing.contract.harness import KEY, stage

LIMIT = "limit"  # the input field that bounds how many items an action that pages brings back


async def rate_headers_feed_the_budget(case: Case) -> None:
    """After a call whose answer carries the provider's rate-limit headers, the transport's
    observation of the integration is what they say."""
    spec = case.provider.rate_headers
    if spec is None:
        raise skip(f"{case.provider.spec.type} states no rate-limit headers")
    remaining = spec.remaining.lower()
    carrying = [
        f
        for f in successful(case.provider)
        if any(remaining in e.response.headers for e in f.exchanges)
    ]
    if not carrying:
        raise skip(f"no recorded answer of {case.provider.spec.type} carries {remaining}")
    fixture = carrying[0]
    async with stage(case.provider, fixture) as staged:
        result = await staged.run()
        observed = staged.transport.observed.get(KEY)
        answers = [c.answer for c in staged.calls if c.answer is not None]
        now = staged.clock.now().timestamp()
    last = next(a for a in reversed(answers) if remaining in {k.lower() for k in a.headers})
    expected = spec.observe({k.lower(): v for k, v in last.headers.items()}, now)
    if result.error is not None or observed != expected:
        raise fail(
            f"{fixture.name!r}: the transport observed {observed}, the answer said {expected}"
        )


def takes_a_limit(case: Case) -> bool:
    action = case.provider.actions[case.the_action()]
    return LIMIT in action.parameter_names


def pages(fixture: Fixture) -> bool:
    """A fixture that pages: more than one request of the same method to the same path, or a
    later one below it (Salesforce's `/query/01g...-2000` after `/query`)."""
    seen = [(e.request.method, e.request.path) for e in fixture.exchanges]
    return any(
        method == later and (path == below or below.startswith(f"{path}/"))
        for n, (method, path) in enumerate(seen)
        for later, below in seen[n + 1 :]
    )


async def stops_at_the_limit(case: Case) -> None:
    """An action that takes a `limit` has a fixture that pages and stops at its limit: as many
    requests as recorded and `limit` items, where a larger limit asks for more pages."""
    http_provider(case.provider)
    action = case.the_action()
    recorded = [f for f in case.provider.fixtures() if f.action == action]
    if not recorded:
        raise skip(f"{case.provider.spec.type}.{action} has no fixture yet (see has_a_fixture)")
    paged = [fixture for fixture in recorded if pages(fixture)]
    if not paged:
        hint = RECORD_HINT.format(type=case.provider.spec.type)
        raise fail(
            f"{case.provider.spec.type}.{action} takes a limit but no fixture of it pages: record "
            f"one whose limit stops it before the last page; {hint}"
        )
    for fixture in paged:
        await _stops(case, fixture)


async def _stops(case: Case, fixture: Fixture) -> None:
    limit = fixture.parameters.get(LIMIT)
    if not isinstance(limit, int):
        raise fail(f"{fixture.name!r} pages but gives no `{LIMIT}`: record it with one")
    async with stage(case.provider, fixture) as staged:
        bounded = await staged.run()
        asked = len(staged.calls)
    if asked != len(fixture.exchanges) or _longest(bounded.output) != limit:
        raise fail(
            f"{fixture.name!r}: {asked} requests and {_longest(bounded.output)} items, "
            f"not {len(fixture.exchanges)} and {limit}"
        )
    bound = case.provider.actions[fixture.action].input_model.model_fields.get(LIMIT)
    wider = {**fixture.parameters, LIMIT: _largest(bound.metadata if bound else [], limit)}
    async with stage(case.provider, fixture) as staged:
        unbounded = await staged.run(parameters=wider)
        more = len(staged.calls)
    if more <= asked or _longest(unbounded.output) <= limit:
        raise fail(
            f"{fixture.name!r}: with a larger limit it asks {more} times for "
            f"{_longest(unbounded.output)} items: the recorded limit did not stop it"
        )


def _largest(metadata: list[Any], limit: int) -> int:
    """The largest limit the input allows (its `le`), else ten times the fixture's."""
    for item in metadata:
        bound = getattr(item, "le", None)
        if isinstance(bound, int):
            return bound
    return limit * 10


def _longest(output: Any) -> int:
    """The length of the longest list in the output (the items brought back)."""
    if isinstance(output, list):
        return max([len(output), *(_longest(item) for item in output)])
    if isinstance(output, dict):
        return max([0, *(_longest(value) for value in output.values())])
    return 0
