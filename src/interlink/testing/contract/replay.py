"""Check 1 and 11: every fixture replayed against a fresh mock gives its output (or its error),
sends its requests and gets its answers; and nothing the run returns carries the credential."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from interlink.providers.kit.fixtures import Exchange, Fixture
from interlink.testing.contract.cases import Case, fail
from interlink.testing.contract.choose import http_provider
from interlink.testing.contract.exchanges import Normalizer, exchanges_of
from interlink.testing.contract.harness import Result, Stage, stage


async def replay(case: Case) -> None:
    """A fixture replayed against a fresh mock gives its output (or error), its requests and
    its answers."""
    http_provider(case.provider)
    fixture = case.the_fixture()
    async with stage(case.provider, fixture) as staged:
        result = await staged.run()
        problems = compare(staged, result)
    if problems:
        where = f"{case.provider.spec.type} fixture {fixture.name!r}"
        raise fail(f"{where} no longer replays:\n  " + "\n  ".join(problems))


def compare(staged: Stage, result: Result) -> list[str]:
    """How the run differs from its fixture (nothing when it does not)."""
    fixture = staged.fixture
    normalizer = Normalizer(staged.running.url, staged.secrets)
    problems = _outcome(fixture, result, normalizer)
    actual = exchanges_of(staged.calls, staged.provider, staged.mock.api_root, normalizer)
    if len(actual) != len(fixture.exchanges):
        sent = [f"{e.request.method} {e.request.path}" for e in actual]
        problems.append(f"{len(actual)} request(s) instead of {len(fixture.exchanges)}: {sent}")
    for index, (want, got) in enumerate(zip(fixture.exchanges, actual, strict=False)):
        problems += [f"exchange {index}: {p}" for p in _exchange(want, got)]
    return problems


def _outcome(fixture: Fixture, result: Result, normalizer: Normalizer) -> list[str]:
    if fixture.error is not None or result.error is not None:
        if result.code != fixture.error:
            said = f" ({result.error.message})" if result.error is not None else ""
            return [f"ended with {result.code or 'an output'}{said}, not {fixture.error}"]
        return []
    output = normalizer.data(result.output)
    if output != fixture.output:
        return [f"output differs: {_differences(fixture.output, output)}"]
    return []


def _exchange(want: Exchange, got: Exchange) -> list[str]:
    problems = []
    sent, expected = got.request, want.request
    for name in ("method", "path", "query", "json_body", "form"):
        if getattr(sent, name) != getattr(expected, name):
            label = {"json_body": "json"}.get(name, name)
            problems.append(
                f"request {label} is {_short(getattr(sent, name))}, "
                f"recorded {_short(getattr(expected, name))}"
            )
    answer, recorded = got.response, want.response
    if answer.status != recorded.status:
        problems.append(f"answer status is {answer.status}, recorded {recorded.status}")
    for name, value in recorded.headers.items():
        if answer.headers.get(name) != value:
            problems.append(
                f"answer header {name} is {answer.headers.get(name)!r}, recorded {value!r}"
            )
    if answer.body != recorded.body:
        problems.append(f"answer body differs: {_differences(recorded.body, answer.body)}")
    return problems


def _differences(expected: Any, actual: Any, path: str = "$") -> str:
    """The first place two JSON values differ, e.g. `$.items[3].title: 'a' != 'b'`."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual), key=str):
            if expected.get(key, _MISSING) != actual.get(key, _MISSING):
                return _differences(expected.get(key, _MISSING), actual.get(key, _MISSING),
                                    f"{path}.{key}")  # fmt: skip
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for index, (a, b) in enumerate(zip(expected, actual, strict=True)):
            if a != b:
                return _differences(a, b, f"{path}[{index}]")
    return f"{path}: recorded {_short(expected)}, now {_short(actual)}"


class _Missing:
    def __repr__(self) -> str:
        return "(missing)"


_MISSING = _Missing()


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, _Missing) else json.dumps(value, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


async def no_secret_in_output(case: Case) -> None:
    """Nothing a fixture's run returns (output, error message, details) carries the token or
    key given to the integration."""
    http_provider(case.provider)
    fixture = case.the_fixture()
    async with stage(case.provider, fixture) as staged:
        result = await staged.run()
        secrets = staged.secret_values()
    refuse_leaks(case, fixture, result, secrets)


def refuse_leaks(case: Case, fixture: Fixture, result: Result, secrets: Iterable[str]) -> None:
    """Fails when what a run returns (output, or error message and details) holds a secret."""
    returned = json.dumps(
        result.output
        if result.error is None
        else {"message": result.error.message, "details": result.error.details},
        default=str,
    )
    leaked = sorted(secret for secret in secrets if secret in returned)
    if leaked:
        raise fail(
            f"{case.provider.spec.type} fixture {fixture.name!r} returns the credential "
            f"({len(leaked)} of its values) in what it returns"
        )
