"""One contract over every registered provider (`interlink.testing.contract`), run as behaviour
against each provider's mock, so no provider writes its own boilerplate tests."""

from __future__ import annotations

import pytest

from interlink.providers.registry import default_registry
from interlink.testing import contract

CONNECTORS = default_registry().connectors()
# Providers whose fixtures are being recorded: their "every action has a fixture" cases are
# skipped until then. Shrink it to empty as each provider's fixtures land.
AWAITING_FIXTURES: set[str] = set()


def cases_of(*checks: str) -> pytest.MarkDecorator:
    found = contract.cases(CONNECTORS, *checks)
    return pytest.mark.parametrize("case", found, ids=[case.id for case in found])


def test_the_registry_holds_the_builtins() -> None:
    assert {"http", "github"} <= {c.spec.type for c in CONNECTORS}


def test_the_connectors_that_receive_webhooks_have_verifiers() -> None:
    with_verifier = {c.spec.type for c in CONNECTORS if c.webhook_verifier is not None}
    assert {"github", "stripe", "slack", "discord", "http"} <= with_verifier


@cases_of("facts")
async def test_facts_are_complete(case: contract.Case) -> None:
    await contract.check(case)


@cases_of("no_http_client")
async def test_no_provider_opens_its_own_http_client(case: contract.Case) -> None:
    await contract.check(case)


@cases_of("has_a_fixture")
async def test_every_action_has_a_fixture(case: contract.Case) -> None:
    if case.provider.spec.type in AWAITING_FIXTURES:
        pytest.skip(f"{case.provider.spec.type}'s fixtures are being recorded (AWAITING_FIXTURES)")
    await contract.check(case)


@cases_of("replays")
async def test_each_fixture_replays_against_the_mock(case: contract.Case) -> None:
    await contract.check(case)


@cases_of("no_secret_in_output")
async def test_no_secret_in_a_result(case: contract.Case) -> None:
    await contract.check(case)


@cases_of("wrong_token")
async def test_a_wrong_token_is_authentication_failed(case: contract.Case) -> None:
    await contract.check(case)


@cases_of("forbidden")
async def test_a_refusal_is_permission_denied(case: contract.Case) -> None:
    await contract.check(case)


@cases_of("not_found")
async def test_a_missing_resource_is_not_found(case: contract.Case) -> None:
    await contract.check(case)


@cases_of("rate_limited")
async def test_a_429_is_waited_out_for_its_hint_and_retried(case: contract.Case) -> None:
    await contract.check(case)


@cases_of("server_error")
async def test_a_5xx_is_retried_only_when_repeatable(case: contract.Case) -> None:
    await contract.check(case)


@cases_of("rate_headers")
async def test_rate_limit_headers_feed_the_budget(case: contract.Case) -> None:
    await contract.check(case)


@cases_of("stops_at_the_limit")
async def test_pagination_stops_at_the_limit(case: contract.Case) -> None:
    await contract.check(case)


@cases_of("webhook_signed_sample")
async def test_a_signed_webhook_is_accepted_and_a_tampered_one_refused(
    case: contract.Case,
) -> None:
    await contract.check(case)


@cases_of("webhook_stale_sample")
async def test_a_stale_webhook_is_refused(case: contract.Case) -> None:
    await contract.check(case)


def test_every_check_is_run_here() -> None:
    run_here = {
        mark.args[1][0].check.name
        for test in globals().values()
        for mark in getattr(test, "pytestmark", [])
        if mark.name == "parametrize" and mark.args[1]
    }
    assert run_here == {check.name for check in contract.CHECKS}
