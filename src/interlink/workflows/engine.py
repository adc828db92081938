"""Running executions: one DBOS workflow per run of an execution, the results of its steps
checkpointed in our own rows.

The workflow's own code (`Run`) only decides what runs next, from its steps' results; what a
step does is its type's (`steps/`: each type a behaviour object of the registry `STEP_TYPES`),
and the engine never names a type. Each result is a typed `Attempt` saved as a checkpoint of the
run (`workflow_checkpoints`, numbered in the order the run meets them; 0 is the `Plan`), written
with the step's end, so it costs no write of its own; and a step's end is held (`Held`) for the
run's next write (the next step's start, or the run's end), which nothing acts before. A run
resumed after its process died replays its checkpoints and re-runs only the step it died in.
Every read and write is the repository's (`repository/runs.py`), straight on the driver.
A step's side effect carries the idempotency key `{execution}:{step}` (with the run and attempt
after the first), the same when the step re-runs, so the provider sees it once. Waiting, and the
few calls around a wait, are DBOS's own steps and receives: a resumed run meets them and its own
checkpoints in the same order, since it decides from the same results.

A step whose type `goes_on` (delay, wait_for_event, foreach) resumes in the run after acting
(`StepType.resume`, through `Resuming`): waiting (and the pause before a retry, or an action
whose integration's circuit is open or budget spent) is a durable `receive` on the run's signal
topic with a timeout: a cancel sends a signal there, so a waiting execution ends at once, and the
event follower sends matching events there. A step does not start once its execution has ended
(the status write that opens it says so).

A retry of a failed execution is a new run (a new DBOS workflow `{execution}:run{n}`) that skips
the steps completed before, with their recorded outputs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import structlog
from pydantic import ValidationError

from interlink.core.backoff import backoff
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.driver import Write
from interlink.core.errors import InterlinkError, validation_details
from interlink.core.metrics import Metrics
from interlink.events.service import EventService
from interlink.events.types import EventType, new_event
from interlink.jobs import Bound, Jobs, current_workflow_id, receive, step, workflow
from interlink.workflows import lifecycle
from interlink.workflows.definition import Definition, compensation_steps, gated_steps
from interlink.workflows.repository import RunRepository, StepRow, runs
from interlink.workflows.results import Attempt, Plan, StepError, StepResult
from interlink.workflows.steps import STEP_TYPES
from interlink.workflows.steps.base import StepFailed, StepRun, StepType, Tools
from interlink.workflows.steps.spec import StepSpec
from interlink.workflows.templates import TemplateFailure, track

log = structlog.get_logger(__name__)

QUEUE = "interlink-workflows"
SIGNAL = "interlink.workflow.signal"
_MAX_WAITS = 500  # of a failed attempt its type waits out (an open circuit...), per attempt


def run_workflow_id(execution_id: str, run: int) -> str:
    return execution_id if run == 1 else f"{execution_id}:run{run}"


@dataclass(frozen=True)
class Checkpoint:
    """Where one result of a run is saved: the run's `seq`-th (0 is its plan)."""

    execution_id: str
    run: int
    seq: int

    def of(self, attempt: Attempt) -> Write:
        return runs.checkpoint(self.execution_id, self.run, self.seq, attempt.to_json())


@dataclass
class Held:
    """The writes that end a run's steps, held until the run's next write: a transaction fewer
    per step. Nothing acts between a step's end and that write (the run writes what it holds
    before any DBOS call), so a crash cuts the same step as it would without holding them."""

    execution_id: str
    acted: list[Write] = field(default_factory=list)  # ends of steps that acted: always written
    instant: list[Write] = field(default_factory=list)  # only while the execution is live

    def take(self) -> tuple[list[Write], list[Write]]:
        taken = self.acted, self.instant
        self.acted, self.instant = [], []
        return taken


@dataclass(frozen=True)
class Begun:
    """A run's plan and the results it saved in an earlier life (by checkpoint number)."""

    plan: Plan
    saved: dict[int, Attempt]


@dataclass
class Engine:
    """What the runs of this process use, bound once per process (`bound.bind`)."""

    clock: Clock
    db: Database
    events: EventService
    jobs: Jobs
    tools: Tools
    metrics: Metrics | None = None
    runs: RunRepository = field(init=False)

    def __post_init__(self) -> None:
        self.runs = RunRepository(self.db)

    # -- the steps' bodies ------------------------------------------------------------------------
    async def begin(self, execution_id: str, run: int) -> Begun | None:
        """The run's plan and the checkpoints saved so far; None if the execution has ended.

        The plan is the run's checkpoint 0, written with the change to running and its event, so
        a run resumed after its process died gets the same plan back (and says started once)."""
        found = await self.runs.to_begin(execution_id)
        if found is None or found["status"] not in lifecycle.LIVE or found["run"] != run:
            return None
        if found["status"] != "pending":  # begun before its process died
            saved = await self.runs.checkpoints(execution_id, run)
            if 0 in saved:
                plan = Plan.from_json(saved.pop(0))
                return Begun(plan, {seq: Attempt.from_json(r) for seq, r in saved.items()})
        done = {}
        if run > 1:  # a retry: the steps completed before keep their outputs
            done = {
                row.name: StepResult("completed", row.output)
                for row in await self.runs.completed_steps(execution_id)
            }
        plan = Plan(
            execution_id, found["workspace_id"], found["workflow_id"], run, found["input"],
            found["definition"], done,
        )  # fmt: skip
        writes = [
            runs.status_change(execution_id, "running"),
            runs.checkpoint(execution_id, run, 0, plan.to_json()),
        ]
        first = found["status"] == "pending"
        if first:
            payload = lifecycle.state(plan.workflow_id, execution_id, "running")
            started = new_event(
                plan.workspace_id, EventType.WORKFLOW_STARTED, payload, at=self.clock.now()
            )
            await self.events.publish(writes, started)
        if not await self.runs.write(*writes):
            return None  # ended (a cancel) since it was read
        if first and self.metrics is not None:
            self.metrics.workflow("started")
        return Begun(plan, {})

    async def attempt_step(
        self,
        plan: Plan,
        spec: StepSpec,
        position: int,
        attempt: int,
        context: Mapping[str, Any],
        key: str,
        seq: int,
        held: Held,
    ) -> Attempt:
        """One attempt of a step: its row written, its config rendered, its type run, and its
        result saved as the run's checkpoint `seq` with the writes that end it (held for the
        run's next write when nothing waits on them).

        Raises `_Cancelled`, before it acts, if the execution has ended (a cancel)."""
        execution_id = plan.execution_id
        saved = Checkpoint(execution_id, plan.run, seq)
        step_type = STEP_TYPES[spec.type]
        shown = step_type.shown or "running"
        row = StepRow(
            execution_id, spec.name, position, spec.type, shown, attempt,
            started_at=self.clock.now(),
        )  # fmt: skip
        if step_type.shown is not None:  # shown while it acts; else written once, done
            await self._write(runs.step_upsert(row), live=(execution_id, shown), held=held)
        run = StepRun(execution_id, plan.workspace_id, spec.name, key, context, self.tools)
        failure, config, output = await self._run_type(step_type, spec, run)
        if failure is not None:
            failed = replace(row, status="failed", error=failure.to_json())
            result = Attempt.failed(failure)
            ends = [runs.step_upsert(replace(failed, completed_at=self.clock.now()))]
            await self._write(*ends, saved.of(result), live=(execution_id, "running"), held=held)
        elif step_type.goes_on:  # its row is ended by its `resume`
            result, opening = self._opened(plan, spec, step_type, config, output)
            await self._write(*opening, saved.of(result), held=held)
        elif step_type.shown is None:
            result = Attempt(output)
            done = replace(row, status="completed", output=output, completed_at=self.clock.now())
            held.instant += [runs.step_upsert(done), saved.of(result)]
        else:
            result = Attempt(output)
            end = runs.step_end(
                execution_id, spec.name, "completed", output, None, self.clock.now()
            )
            held.acted += [end, saved.of(result)]
        return result

    async def _run_type(
        self, step_type: StepType[Any], spec: StepSpec, run: StepRun
    ) -> tuple[StepError | None, Any, Any]:
        """The step's config rendered and its type run: (None, config, output), or the error."""
        try:
            config = await self._config(step_type, spec.config, run.context)
            call = step_type.run(run, config)
            output = await (asyncio.wait_for(call, spec.timeout) if spec.timeout else call)
        except TimeoutError:
            message = f"the step took longer than {spec.timeout:g} s"
            return StepError("STEP_TIMEOUT", message), None, None
        except Exception as exc:
            return _failure(exc, f"the {spec.type} step failed unexpectedly"), None, None
        return None, config, output

    def _opened(
        self, plan: Plan, spec: StepSpec, step_type: StepType[Any], config: Any, output: Any
    ) -> tuple[Attempt, list[Write]]:
        """The result of a step that goes on, with the wait it opens (and its row, for an
        event)."""
        now = self.clock.now()
        wait = step_type.opens(config, now)
        if wait is None:
            return Attempt(output), []
        if wait.event is None:
            return Attempt(output, deadline=wait.deadline), []
        wait_id = f"{plan.execution_id}:{spec.name}:{plan.run}"
        destination = current_workflow_id()
        assert destination is not None
        opening = runs.wait_open(
            wait_id, workspace_id=plan.workspace_id, execution_id=plan.execution_id,
            destination=destination, event=wait.event, filter_=wait.filter, at=now,
        )  # fmt: skip
        return Attempt(output, deadline=wait.deadline, wait_id=wait_id), [opening]

    async def _config(
        self, step_type: StepType[Any], raw: Mapping[str, Any], context: Mapping[str, Any]
    ) -> Any:
        """`raw` rendered (but the part its type renders later) and validated."""
        later = step_type.unrendered(raw)
        own = {k: v for k, v in raw.items() if k not in later}
        try:
            rendered = await self.tools.expressions.render(own, context)
        except TemplateFailure as exc:
            raise StepFailed("TEMPLATE_ERROR", str(exc)) from None
        try:
            return step_type.config.model_validate({**rendered, **later})
        except ValidationError as exc:
            problems = validation_details(exc.errors(), whole="config")
            message = "the rendered config does not fit the step type"
            raise StepFailed("INVALID_STEP_CONFIG", message, problems) from None

    async def _write(
        self, *writes: Write, live: tuple[str, str] | None = None, held: Held | None = None
    ) -> None:
        """Run `writes`, after those `held`, in one transaction. With `live` (an execution and a
        status), first set the execution's status, or raise `_Cancelled` if it has ended, having
        written only the ends of the steps that acted: a step never starts, nor is written,
        after a cancel."""
        acted, instant = ([], []) if held is None else held.take()
        if live is None and instant and held is not None:
            live = (held.execution_id, "running")
        guard = [] if live is None else [runs.status_change(*live)]
        if await self.runs.write(*guard, *acted, *instant, *writes):
            return
        if acted:
            await self.runs.write(*acted)
        raise _Cancelled

    async def flush(self, held: Held) -> None:
        """Write what the run holds (before a DBOS call: its order of calls must not change)."""
        if held.acted or held.instant:
            await self._write(held=held)

    async def end_step(self, execution_id: str, name: str, outcome: StepResult) -> None:
        """End the row of a step that went on in the run (after its wait or its items); the
        execution is running again."""
        error = None if outcome.error is None else outcome.error.to_json()
        now = self.clock.now()
        end = runs.step_end(execution_id, name, outcome.status, outcome.output, error, now)
        await self._write(end, runs.status_change(execution_id, "running", required=False))

    async def run_item(
        self,
        plan: Plan,
        spec: StepSpec,
        index: int,
        item: Any,
        context: Mapping[str, Any],
        nested: tuple[StepType[Any], Mapping[str, Any]],
        key: str,
    ) -> Attempt:
        """One item of a step that runs a `nested` step type (with its raw config) per item,
        rendered with `item` and `index`."""
        step_type, raw = nested
        scope = {**context, "item": track(item, "item"), "index": index}
        run = StepRun(plan.execution_id, plan.workspace_id, spec.name, key, scope, self.tools)
        try:
            config = await self._config(step_type, raw, scope)
            call = step_type.run(run, config)
            output = await (asyncio.wait_for(call, spec.timeout) if spec.timeout else call)
        except TimeoutError:
            return Attempt.failed(StepError("STEP_TIMEOUT", f"item {index} took too long"))
        except Exception as exc:
            return Attempt.failed(_failure(exc, f"item {index} failed unexpectedly", item=True))
        return Attempt(output)

    async def run_part(
        self, plan: Plan, spec: StepSpec, part: str, payload: Mapping[str, Any], key: str
    ) -> Attempt:
        """One durable part of a step that goes on (its type's `act`), keyed `key`, bounded by
        the step's timeout."""
        run = StepRun(plan.execution_id, plan.workspace_id, spec.name, key, {}, self.tools)
        try:
            call = STEP_TYPES[spec.type].act(run, part, payload)
            return Attempt(await (asyncio.wait_for(call, spec.timeout) if spec.timeout else call))
        except TimeoutError:
            return Attempt.failed(StepError("STEP_TIMEOUT", f"{part} took too long"))
        except Exception as exc:
            return Attempt.failed(_failure(exc, f"{part} of the {spec.type} step failed"))

    async def end(
        self,
        plan: Plan,
        status: str,
        output: Any,
        error: dict[str, Any] | None,
        skipped: list[tuple[str, str, int]],
        held: Held | None = None,
    ) -> None:
        """End the execution (unless it has ended already: a cancel), its skipped steps and
        open waits with it, and publish its event, in one transaction with what the run held."""
        acted, instant = ([], []) if held is None else held.take()
        execution_id = plan.execution_id
        now = self.clock.now()
        payload = lifecycle.state(plan.workflow_id, execution_id, status, output, error)
        event = new_event(plan.workspace_id, lifecycle.FINISHED_EVENTS[status], payload, at=now)
        writes = [runs.finish(execution_id, status, output, error, now), *acted, *instant]
        for name, type_, position in skipped:
            writes.append(runs.step_upsert(StepRow(execution_id, name, position, type_, "skipped")))
        writes.append(runs.waits_close(execution_id))
        await self.events.publish(writes, event)
        if not await self.runs.write(*writes):
            if acted:  # ended by a cancel meanwhile: the steps that acted are still shown ended
                await self.runs.write(*acted)
            return
        if self.metrics is not None:
            self.metrics.workflow(status)

    async def close_wait(self, wait_id: str) -> None:
        await self._write(runs.wait_close(wait_id))

    async def is_live(self, execution_id: str) -> bool:
        return await self.runs.status(execution_id) in lifecycle.LIVE


def _failure(exc: Exception, unexpected: str, *, item: bool = False) -> StepError:
    """A step's (or an item's) exception as its error; an unexpected one is logged."""
    if isinstance(exc, StepFailed):
        return StepError(exc.code, exc.message, exc.details)
    if isinstance(exc, InterlinkError):
        # An item's error keeps no Retry-After: the foreach is not waited out.
        return StepError.of(exc.code, exc.message, exc.details, None if item else exc.headers)
    log.exception("workflow_item_failed" if item else "workflow_step_failed")
    return StepError("INTERNAL_ERROR", unexpected)


@dataclass
class Run:
    """The deciding part of one run: which step runs next, from the results so far."""

    plan: Plan
    saved: dict[int, Attempt] = field(default_factory=dict)  # of an earlier life of this run
    definition: Definition = field(init=False)
    results: dict[str, StepResult] = field(default_factory=dict)
    seq: int = 0  # the number of the last checkpoint met
    held: Held = field(init=False)

    def __post_init__(self) -> None:
        self.definition = Definition.model_validate(self.plan.definition)
        self.results = dict(self.plan.done)
        self.held = Held(self.execution_id)

    @property
    def execution_id(self) -> str:
        return self.plan.execution_id

    def context(self) -> dict[str, Any]:
        tracked: dict[str, Any] = track(
            {
                "input": self.plan.input,
                "steps": {name: outcome.to_json() for name, outcome in self.results.items()},
                "execution": {"id": self.execution_id, "workflow_id": self.plan.workflow_id},
            }
        )
        return tracked

    def key(self, spec: StepSpec, attempt: int, item: int | None = None) -> str:
        key = f"{self.execution_id}:{spec.name}"
        if self.plan.run > 1 or attempt > 1:
            key += f":{self.plan.run}.{attempt}"
        return key if item is None else f"{key}:{item}"

    async def go(self) -> str:
        steps = self.definition.steps
        gated, compensations = gated_steps(self.definition), compensation_steps(self.definition)
        chosen: set[str] = set()
        for spec in steps:
            if spec.name in self.results:
                chosen.update(STEP_TYPES[spec.type].chosen(self.results[spec.name].output))
        last_output: Any = None
        for position, spec in enumerate(steps):
            if spec.name in compensations or spec.name in self.results:
                if spec.name in self.results:
                    last_output = self.results[spec.name].output
                continue
            if spec.name in gated and spec.name not in chosen:
                continue
            outcome = await self.attempts(spec, position)
            self.results[spec.name] = outcome
            if outcome.error is not None:
                if spec.on_error == "continue":
                    continue
                if spec.on_error != "fail":
                    helper = next(s for s in steps if s.name == spec.on_error)
                    self.results[helper.name] = await self.attempts(helper, steps.index(helper))
                error = {"step": spec.name, **outcome.error.to_json()}
                await bound().end(self.plan, "failed", None, error, self.skipped(), self.held)
                return "failed"
            last_output = outcome.output
            chosen.update(STEP_TYPES[spec.type].chosen(outcome.output))
        await bound().end(self.plan, "completed", last_output, None, self.skipped(), self.held)
        return "completed"

    def skipped(self) -> list[tuple[str, str, int]]:
        return [
            (s.name, s.type, i)
            for i, s in enumerate(self.definition.steps)
            if s.name not in self.results
        ]

    async def attempts(self, spec: StepSpec, position: int) -> StepResult:
        tries = spec.retry.max_attempts if spec.retry else 1
        result = Attempt()
        for attempt in range(1, tries + 1):
            result = await self.attempt(spec, position, attempt)
            if result.ok:
                break
            if attempt < tries:
                assert spec.retry is not None
                await self.pause(backoff(attempt, base=spec.retry.backoff_seconds))
        return StepResult.of(result)

    async def attempt(self, spec: StepSpec, position: int, attempt: int) -> Attempt:
        step_type = STEP_TYPES[spec.type]
        key = self.key(spec, attempt)
        result = Attempt()
        for _ in range(_MAX_WAITS):
            result = await self.step(spec, position, attempt, key)
            if result.error is not None:
                wait = step_type.waits_out(result.error)
                if wait is None:
                    return result
                await self.pause(wait)
                continue
            if step_type.goes_on:
                return await step_type.resume(Resumed(self, attempt), spec, attempt, result)
            return result
        return result

    async def step(self, spec: StepSpec, position: int, attempt: int, key: str) -> Attempt:
        """One attempt of a step, or, in a resumed run, the result it saved before."""
        self.seq += 1
        if self.seq in self.saved:
            return self.saved[self.seq]
        context = self.context()
        return await bound().attempt_step(
            self.plan, spec, position, attempt, context, key, self.seq, self.held
        )

    async def pause(self, seconds: float) -> None:
        await bound().flush(self.held)
        now = await _now()
        await self.pause_until(now + seconds)

    async def pause_until(self, deadline: float) -> None:
        await self.receive_until(deadline, None)

    async def receive_until(self, deadline: float, wait_id: str | None) -> dict[str, Any] | None:
        """The event sent to `wait_id` before `deadline` (a timestamp), or None. A cancel ends
        the run here; other signals (a late event of an earlier wait) are passed over."""
        await bound().flush(self.held)
        for _ in range(1000):
            left = deadline - await _now()
            if left <= 0:
                return None
            message = await receive(SIGNAL, left)
            if message is None:
                return None
            if message.get("kind") == "cancel" or not await _is_live(self.execution_id):
                raise _Cancelled
            if wait_id is not None and message.get("wait_id") == wait_id:
                return dict(message)
        return None


@dataclass
class Resumed:
    """What a step that goes on reaches of its run (`steps.base.Resuming`)."""

    run: Run
    attempt: int

    def context(self) -> dict[str, Any]:
        return self.run.context()

    async def pause_until(self, deadline: float) -> None:
        await self.run.pause_until(deadline)

    async def receive_until(self, deadline: float, wait_id: str) -> Mapping[str, Any] | None:
        return await self.run.receive_until(deadline, wait_id)

    async def close_wait(self, wait_id: str) -> None:
        await _close_wait(wait_id)

    async def end_step(self, name: str, outcome: StepResult) -> None:
        error = None if outcome.error is None else outcome.error.to_json()
        await _end_step(self.run.execution_id, name, outcome.status, outcome.output, error)

    async def run_item(
        self,
        spec: StepSpec,
        attempt: int,
        index: int,
        item: Any,
        context: Mapping[str, Any],
        nested: tuple[StepType[Any], Mapping[str, Any]],
    ) -> Attempt:
        key = self.run.key(spec, attempt, index)
        step_type, raw = nested
        found = await _run_item(
            self.run.plan.to_json(), spec, index, item, dict(context), step_type.name, dict(raw),
            key,
        )  # fmt: skip
        return Attempt.from_json(found)

    async def act(
        self, spec: StepSpec, attempt: int, part: str, payload: Mapping[str, Any]
    ) -> Attempt:
        key = f"{self.run.key(spec, attempt)}:{part}"
        found = await _act(self.run.plan.to_json(), spec, part, dict(payload), key)
        return Attempt.from_json(found)

    async def flush(self) -> None:
        await bound().flush(self.run.held)


class _Cancelled(Exception):
    """The execution was cancelled while it waited (its row already says so)."""


bound = Bound[Engine]("the workflow engine")


# -- DBOS workflows and steps: their names are stored with pending work, never rename them ------
@workflow("interlink.workflows.run")
async def run_execution(execution_id: str, run: int) -> str:
    begun = await bound().begin(execution_id, run)
    if begun is None:
        return "ended"
    deciding = Run(begun.plan, begun.saved)
    try:
        return await deciding.go()
    except _Cancelled:
        log.info("workflow_run_stopped", execution_id=execution_id, run=run)
        return "cancelled"
    except Exception:  # a bug or the database gone: the execution ends failed, not stuck
        log.exception("workflow_run_failed", execution_id=execution_id)
        error = StepError("INTERNAL_ERROR", "the execution failed unexpectedly").to_json()
        await bound().end(begun.plan, "failed", None, error, [], deciding.held)
        return "failed"
    except BaseException:  # DBOS stopped it (a cancel), or its process is stopping
        log.info("workflow_run_stopped", execution_id=execution_id, run=run)
        raise


@step("interlink.workflows.item")
async def _run_item(
    plan: dict[str, Any],
    spec: StepSpec,
    index: int,
    item: Any,
    context: dict[str, Any],
    type_: str,
    config: dict[str, Any],
    key: str,
) -> dict[str, Any]:
    """One item of a foreach: its result as JSON (DBOS records it)."""
    nested = (STEP_TYPES[type_], config)
    found = await bound().run_item(Plan.from_json(plan), spec, index, item, context, nested, key)
    return found.to_json()


@step("interlink.workflows.part")
async def _act(
    plan: dict[str, Any], spec: StepSpec, part: str, payload: dict[str, Any], key: str
) -> dict[str, Any]:
    """One part of a step that goes on (an `llm` step's chat round or tool call): its result
    as JSON (DBOS records it)."""
    found = await bound().run_part(Plan.from_json(plan), spec, part, payload, key)
    return found.to_json()


@step("interlink.workflows.settle")
async def _end_step(
    execution_id: str,
    name: str,
    status: str,
    output: Any = None,
    error: dict[str, Any] | None = None,
) -> None:
    error_ = None if error is None else StepError.from_json(error)
    outcome = StepResult("failed" if status == "failed" else "completed", output, error_)
    await bound().end_step(execution_id, name, outcome)


@step("interlink.workflows.close_wait")
async def _close_wait(wait_id: str) -> None:
    await bound().close_wait(wait_id)


@step("interlink.workflows.now")
async def _now() -> float:
    return bound().clock.now().timestamp()


@step("interlink.workflows.is_live")
async def _is_live(execution_id: str) -> bool:
    return await bound().is_live(execution_id)
