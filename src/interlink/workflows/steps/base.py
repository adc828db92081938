"""What every step type is: a behaviour object that owns everything about its type.

At save time: its config model, the checks of the definition it needs beyond that model (a
condition's branches, a foreach's nested step), the code it holds (compiled in the sandbox) and
its checks against the workspace (integrations, credentials). When it runs: how its config is
rendered, what it does, how its row is shown while it is under way, and, for a step that goes on
in the run after acting (a wait, a foreach's items), how it resumes there. The engine and the
definition's checks dispatch through the registry of these objects (`steps.STEP_TYPES`) and
never name a type.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from interlink.auth.scopes import Principal
from interlink.workflows.problems import Problem
from interlink.workflows.results import Attempt, StepError, StepResult

if TYPE_CHECKING:
    from datetime import datetime
    from decimal import Decimal

    from interlink.providers.kit.llm import ChatInput, ChatOutput
    from interlink.workflows.steps.spec import StepSpec


class StepFailed(Exception):
    """A step failed with `code` (TEMPLATE_ERROR, TRANSFORM_ERROR, INVALID_STEP_CONFIG...): the
    code its row's error holds. It never leaves the engine."""

    def __init__(self, code: str, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or []


class StepConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


C = TypeVar("C", bound=StepConfig)


# -- what a step reaches when it runs ------------------------------------------------------------
class Operations(Protocol):
    """How a step runs an integration's operation (OperationService)."""

    async def execute(
        self,
        principal: Principal,
        integration_id: str,
        name: str,
        parameters: dict[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> Any: ...

    async def input_schema(
        self, workspace_id: str, integration_id: str, name: str
    ) -> dict[str, Any]: ...


class Served(Protocol):
    """Which integration and model answered a routed chat, and what it cost."""

    integration_id: str
    integration: str
    provider: str
    model: str
    route: str | None
    route_version: int | None
    fallbacks: int
    cost: Decimal


class Models(Protocol):
    """How a step asks a language model along a route (the AI gateway: its policy, fallback,
    budgets and metering)."""

    async def chat(
        self, principal: Principal, model: str, params: ChatInput
    ) -> tuple[ChatOutput, Served]: ...


class Requests(Protocol):
    """How a step makes an HTTP request (through the transport: SSRF guard, retries)."""

    async def request(
        self,
        workspace_id: str,
        credential_id: str | None,
        method: str,
        url: str,
        *,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: Any,
        idempotency_key: str | None,
    ) -> dict[str, Any]: ...


class Expressions(Protocol):
    """How templates, conditions and JMESPath searches run: bounded, off the event loop
    (`workflows/sandbox.py`); a failure is a `TemplateFailure`."""

    async def render(self, value: Any, context: Mapping[str, Any]) -> Any: ...

    async def evaluate(self, expression: str, context: Mapping[str, Any]) -> Any: ...

    async def search(self, path: str, data: Any) -> Any: ...


@dataclass(frozen=True)
class Tools:
    operations: Operations
    requests: Requests
    expressions: Expressions
    models: Models | None = None


@dataclass(frozen=True)
class StepRun:
    """One run of one step: who it is, its idempotency key, and the data it may read."""

    execution_id: str
    workspace_id: str
    step_name: str
    idempotency_key: str
    context: Mapping[str, Any]
    tools: Tools

    @property
    def principal(self) -> Principal:
        subject = f"workflow:{self.execution_id}"
        return Principal(workspace_id=self.workspace_id, subject=subject, scopes=frozenset())


@dataclass(frozen=True)
class Wait:
    """A wait a step opens when it has acted: until `deadline` (a timestamp), or, with an
    `event`, until the first matching event (the engine opens a wait row the follower serves)."""

    deadline: float
    event: str | None = None
    filter: dict[str, Any] = field(default_factory=dict)


class Resuming(Protocol):
    """What a step that goes on in its run may do there. Each call is durable: a run replayed
    after its process died meets the same calls in the same order, from their records."""

    def context(self) -> dict[str, Any]: ...

    async def pause_until(self, deadline: float) -> None: ...

    async def receive_until(self, deadline: float, wait_id: str) -> Mapping[str, Any] | None:
        """The event sent to the wait before `deadline`, or None."""
        ...

    async def close_wait(self, wait_id: str) -> None: ...

    async def end_step(self, name: str, outcome: StepResult) -> None:
        """The step's row ends with `outcome`; the execution is running again."""
        ...

    async def run_item(
        self,
        spec: StepSpec,
        attempt: int,
        index: int,
        item: Any,
        context: Mapping[str, Any],
        nested: tuple[StepType[Any], Mapping[str, Any]],
    ) -> Attempt:
        """One item of `spec`: the `nested` step type run with its raw config, whose templates
        also see `item` and `index`."""
        ...

    async def act(
        self, spec: StepSpec, attempt: int, part: str, payload: Mapping[str, Any]
    ) -> Attempt:
        """One durable part of the step: its type's `act` with `payload`, its side effects keyed
        `{the step's key}:{part}`; a replayed run gets the part's recorded result."""
        ...

    async def flush(self) -> None: ...


# -- what a step's checks reach at save time ----------------------------------------------------
@dataclass(frozen=True)
class ActionShape:
    """The fields an operation takes and gives."""

    inputs: frozenset[str]
    outputs: frozenset[str] | None  # None: not known (a declared provider's shaped result)


@dataclass(frozen=True)
class IntegrationActions:
    type: str
    actions: Mapping[str, ActionShape]


class Workspace(Protocol):
    """What a step's checks may look up in the workspace that saves the definition."""

    def require_credentials_use(self, what: str) -> None:
        """Raise `Forbidden` unless the saver holds `credentials:use`."""
        ...

    async def has_credential(self, credential_id: str) -> bool: ...

    async def integration(self, integration_id: str) -> IntegrationActions | None: ...

    async def has_route(self, name: str) -> bool:
        """Whether the workspace has an AI route of that name."""
        ...


@dataclass
class Findings:
    """What a step's workspace checks found: problems, and the fields of its output when only
    the workspace knows them (an action's result model)."""

    problems: list[Problem] = field(default_factory=list)
    outputs: frozenset[str] | None = None


Code = tuple[str, str, str]  # field, kind (`template` or `expression`), text


class StepType(Generic[C]):
    """One type of step. Subclasses set the class attributes and `run`, and override the hooks
    their type needs; the defaults are those of a step that acts once and is done."""

    name: ClassVar[str]
    config: type[C]
    summary: ClassVar[str] = ""
    outputs: ClassVar[frozenset[str] | None] = None  # the output's known fields; None: any
    # Its row's status while it is under way; None: written once, when done (no side effect).
    shown: ClassVar[str | None] = "running"
    # Its act only opens it: it goes on in the run (`resume`), which ends its row.
    goes_on: ClassVar[bool] = False

    async def run(self, step: StepRun, config: C) -> Any:
        raise NotImplementedError

    # -- at save time -----------------------------------------------------------------------------
    def definition_problems(
        self, spec: StepSpec, index: int, position: Mapping[str, int]
    ) -> Iterator[Problem]:
        """Problems of the step in its definition beyond its config model (`position`: the
        index of each step by name)."""
        return iter(())

    def code(self, config: Mapping[str, Any]) -> Iterator[Code]:
        """Code the config holds besides its templates, for the sandbox to compile."""
        return iter(())

    def outputs_of(self, config: Mapping[str, Any]) -> frozenset[str] | None:
        return self.outputs

    def gates(self, config: Mapping[str, Any]) -> Iterable[str]:
        """The steps that run only when this one chooses them."""
        return ()

    async def workspace_problems(
        self, step: str, config: Mapping[str, Any], where: str, workspace: Workspace
    ) -> Findings:
        return Findings()

    # -- when it runs -----------------------------------------------------------------------------
    def unrendered(self, config: Mapping[str, Any]) -> Mapping[str, Any]:
        """The part of its raw config rendered later, not before it runs."""
        return {}

    def opens(self, config: C, now: datetime) -> Wait | None:
        """The wait it opens once it has acted (for a step that goes on)."""
        return None

    def waits_out(self, error: StepError) -> float | None:
        """Seconds to wait before trying a failed attempt again (not counted as an attempt),
        or None: the attempt failed."""
        return None

    def chosen(self, output: Any) -> Iterable[str]:
        """The gated steps its output chooses to run."""
        return ()

    async def resume(self, run: Resuming, spec: StepSpec, attempt: int, opened: Attempt) -> Attempt:
        """For a step that goes on: what it does in the run after acting, and its result."""
        return opened

    async def act(self, step: StepRun, part: str, payload: Mapping[str, Any]) -> Any:
        """For a step that goes on: one durable part of its work (`Resuming.act`)."""
        raise NotImplementedError
