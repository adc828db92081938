"""The checks of the contract, the cases they make of a provider, and running them."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from interlink.providers.kit.action import Connector
from interlink.testing.contract import failures, paging, replay, retries, smtp, static, webhooks
from interlink.testing.contract.cases import Case, Check, ContractFailure, ContractSkipped
from interlink.testing.contract.smtp import or_smtp


def _succeeds(case: Case) -> bool:
    fixture = case.the_fixture()
    return fixture.error is None and (bool(fixture.exchanges) or smtp.speaks_smtp(case.provider))


# Why a check does not apply to a provider that speaks SMTP (the others have an SMTP form).
NO_REFUSAL = (
    "no refusal of its own apart from a wrong password (wrong_token) and a refused message "
    "(server_error)"
)
NOTHING_MISSING = (
    "no resource to be missing; a refused recipient is reported in the output (a fixture)"
)
NO_HINT = "no retry hint to wait out; a 4xx is EXTERNAL_SERVICE_ERROR (server_error)"
NO_RATE_HEADERS = "no rate-limit headers to observe"
NO_PAGES = "nothing to page"


CHECKS: tuple[Check, ...] = (
    Check("facts", "provider", static.facts),
    Check("no_http_client", "provider", static.no_http_client),
    Check("has_a_fixture", "action", or_smtp(static.has_a_fixture, smtp.has_a_fixture)),
    Check("replays", "fixture", or_smtp(replay.replay, smtp.replay)),
    Check(
        "no_secret_in_output",
        "fixture",
        or_smtp(replay.no_secret_in_output, smtp.no_secret_in_output),
    ),
    Check("wrong_token", "provider", or_smtp(failures.wrong_token, smtp.wrong_token)),
    Check("forbidden", "provider", or_smtp(failures.forbidden, NO_REFUSAL)),
    Check("not_found", "provider", or_smtp(failures.not_found, NOTHING_MISSING)),
    Check("rate_limited", "provider", or_smtp(retries.rate_limited, NO_HINT)),
    Check(
        "server_error",
        "fixture",
        or_smtp(retries.server_error, smtp.server_error),
        only=_succeeds,
    ),
    Check(
        "rate_headers", "provider", or_smtp(paging.rate_headers_feed_the_budget, NO_RATE_HEADERS)
    ),
    Check(
        "stops_at_the_limit",
        "action",
        or_smtp(paging.stops_at_the_limit, NO_PAGES),
        only=paging.takes_a_limit,
    ),
    Check("webhook_signed_sample", "provider", webhooks.signed_sample),
    Check("webhook_stale_sample", "provider", webhooks.stale_sample),
)
BY_NAME = {check.name: check for check in CHECKS}


def cases(providers: Iterable[type[Connector]], *checks: str) -> list[Case]:
    """The cases of `providers`, of the checks named (every check when none is)."""
    chosen = [BY_NAME[name] for name in checks] if checks else list(CHECKS)
    return [case for provider in providers for check in chosen for case in check.cases(provider)]


async def check(case: Case) -> None:
    """Runs one case: returns when it passes, raises `ContractFailure` (an AssertionError) when
    it fails; a case that does not apply is skipped: `pytest.skip` under pytest, else
    `ContractSkipped`."""
    try:
        await case.run()
    except ContractSkipped as skipped:
        if "pytest" in sys.modules:
            import pytest

            pytest.skip(f"{case.id}: {skipped}")
        raise


@dataclass
class Report:
    """What `run_contract` found: the ids of the cases that passed, and why others failed or
    were skipped."""

    passed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed

    def __str__(self) -> str:
        lines = [
            f"{len(self.passed)} passed, {len(self.failed)} failed, {len(self.skipped)} skipped"
        ]
        lines += [f"FAILED {case}: {why}" for case, why in self.failed.items()]
        lines += [f"skipped {case}: {why}" for case, why in self.skipped.items()]
        return "\n".join(lines)


async def run_contract(provider: type[Connector], *checks: str) -> Report:
    """Every case of `provider` (of the checks named, or all), run in turn."""
    report = Report()
    for case in cases([provider], *checks):
        try:
            await case.run()
        except ContractSkipped as skipped:
            report.skipped[case.id] = str(skipped)
        except ContractFailure as failure:
            report.failed[case.id] = str(failure)
        else:
            report.passed.append(case.id)
    return report
