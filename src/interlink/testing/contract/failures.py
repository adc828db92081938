"""Checks 3 to 5: a wrong token, a refusal and a missing resource end in our error codes, whatever
the provider's own way of saying them (its mock's `forbidden_response`, `missing_response`)."""

from __future__ import annotations

from interlink.core.errors import (
    AuthenticationFailed,
    ExternalResourceNotFound,
    PermissionDenied,
)
from interlink.providers.kit.fixtures import Fixture
from interlink.testing.contract.cases import Case, fail
from interlink.testing.contract.choose import http_provider, is_read, successful
from interlink.testing.contract.harness import Result, stage
from interlink.testing.faults import Fault

WRONG_TOKEN = "contract-wrong-token"  # noqa: S105 - refused on purpose


async def wrong_token(case: Case) -> None:
    """A wrong token gives AUTHENTICATION_FAILED (on the first fixture the mock authenticates;
    a generic mock may let some paths through)."""
    provider = case.provider
    for fixture in successful(provider):
        async with stage(provider, fixture) as staged:
            result = await staged.run(token=WRONG_TOKEN)
        if result.error is None:
            continue
        _expect(result, AuthenticationFailed.code, f"{fixture.name!r} with a wrong token")
        return
    raise fail(f"{provider.spec.type}: every fixture succeeded with a wrong token")


async def forbidden(case: Case) -> None:
    """The provider's refusal (its mock's `forbidden_response`) gives PERMISSION_DENIED."""
    fixture = successful(case.provider)[0]
    result = await _faulted(case, fixture, Fault.forbidden())
    _expect(result, PermissionDenied.code, f"{fixture.name!r} answered with a refusal")


async def not_found(case: Case) -> None:
    """A missing resource gives EXTERNAL_RESOURCE_NOT_FOUND: a fixture that ends so counts,
    else the mock's `missing_response` is injected into a read."""
    http_provider(case.provider)
    code = ExternalResourceNotFound.code
    if any(fixture.error == code for fixture in case.provider.fixtures()):
        return  # replayed by the fixture check
    fixture = next((f for f in successful(case.provider) if is_read(f)), None)
    fixture = fixture or successful(case.provider)[0]
    result = await _faulted(case, fixture, Fault.not_found())
    _expect(result, code, f"{fixture.name!r} answered that the resource does not exist")


async def _faulted(case: Case, fixture: Fixture, fault: Fault) -> Result:
    """The fixture run with `fault` answering its first request."""
    async with stage(case.provider, fixture) as staged:
        staged.mock.faults.add(fault, times=1)
        return await staged.run()


def _expect(result: Result, code: str, what: str) -> None:
    if result.code != code:
        said = f": {result.error.message}" if result.error is not None else ""
        raise fail(f"{what} gave {result.code or 'an output'}{said}, not {code}")
