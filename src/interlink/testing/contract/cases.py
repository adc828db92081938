"""What the suite is made of: checks, and the cases they make for one provider (one per
provider, per action or per fixture), which pass, fail (`ContractFailure`) or are skipped with a
reason (`ContractSkipped`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from interlink.providers.kit.action import Connector
from interlink.providers.kit.fixtures import Fixture

Scope = Literal["provider", "action", "fixture"]


class ContractFailure(AssertionError):
    """The provider breaks the contract (the message says where and how)."""


class ContractSkipped(Exception):
    """The check does not apply to this provider (the message says why)."""


@dataclass(frozen=True)
class Case:
    """One check of one provider, for one of its actions or fixtures when the check is so."""

    check: Check
    provider: type[Connector]
    action: str | None = None
    fixture: Fixture | None = None

    @property
    def id(self) -> str:
        parts = [self.provider.spec.type, self.check.name]
        if self.fixture is not None:
            parts.append(self.fixture.name)
        elif self.action is not None:
            parts.append(self.action)
        return ":".join(parts)

    def the_fixture(self) -> Fixture:
        assert self.fixture is not None, f"{self.check.name} runs per fixture"
        return self.fixture

    def the_action(self) -> str:
        assert self.action is not None, f"{self.check.name} runs per action"
        return self.action

    async def run(self) -> None:
        await self.check.run(self)


@dataclass(frozen=True)
class Check:
    """`name` is what a case's id and a report say; the docstring of `run` says what it checks."""

    name: str
    scope: Scope
    run: Callable[[Case], Awaitable[None]]
    only: Callable[[Case], bool] = lambda _: True  # the cases it makes at all

    @property
    def description(self) -> str:
        return (self.run.__doc__ or self.name).strip().splitlines()[0]

    def cases(self, provider: type[Connector]) -> list[Case]:
        if self.scope == "provider":
            made = [Case(self, provider)]
        elif self.scope == "action":
            made = [Case(self, provider, action=name) for name in sorted(provider.actions)]
        else:
            made = [Case(self, provider, fixture=fixture) for fixture in provider.fixtures()]
        return [case for case in made if self.only(case)]


def fail(message: str) -> ContractFailure:
    return ContractFailure(message)


def skip(reason: str) -> ContractSkipped:
    return ContractSkipped(reason)
