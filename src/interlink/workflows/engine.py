"""Running executions: one DBOS workflow per run of an execution, the results of its steps
checkpointed in our own rows.

The workflow's own code only decides what runs next, from its steps' results. Each result is a
checkpoint of the run (`workflow_checkpoints`, numbered in the order the run meets them; 0 is the
plan), written with the step's end, so it costs no write of its own; and a step's end is held
(`Held`) for the run's next write (the next step's start, or the run's end), which nothing acts
before. A run resumed after its process died replays its checkpoints and re-runs only the step
it died in. Every write goes straight to the driver (`Database.write`).
A step's side effect carries the idempotency key `{execution}:{step}` (with the run and attempt
after the first), the same when the step re-runs, so the provider sees it once. Waiting, and the
few calls around a wait, are DBOS's own steps and receives: a resumed run meets them and its own
checkpoints in the same order, since it decides from the same results.

Waiting (delay, wait_for_event, the pause before a retry, an action whose integration's circuit
is open or budget spent) is a durable `receive` on the run's signal topic with a timeout: a
cancel sends a signal there, so a waiting execution ends at once, and the event follower sends
matching events there. A step does not start once its execution has ended (the status write
that opens it says so).

A retry of a failed execution is a new run (a new DBOS workflow `{execution}:run{n}`) that skips
the steps completed before, with their recorded outputs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import structlog
from pydantic import ValidationError

from interlink.core.backoff import backoff
from interlink.core.clock import Clock
from interlink.core.db import Database
from interlink.core.driver import Write
from interlink.core.errors import (
    CircuitOpen,
    InterlinkError,
    RateLimitExceeded,
    validation_details,
)
from interlink.core.metrics import Metrics
from interlink.events.service import EventService
from interlink.events.types import EventType
from interlink.jobs import Bound, Jobs, current_workflow_id, receive, step, workflow
from interlink.workflows import lifecycle
from interlink.workflows.definition import (
    Definition,
    StepSpec,
    compensation_steps,
    gated_steps,
)
from interlink.workflows.repository import RunRepository, StepRow, runs
from interlink.workflows.steps import STEP_TYPES
from interlink.workflows.steps.base import StepFailed, StepRun, Tools
from interlink.workflows.steps.delay import DelayConfig, seconds_left
from interlink.workflows.steps.foreach import ForeachConfig
from interlink.workflows.templates import TemplateFailure, track

log = structlog.get_logger(__name__)

QUEUE = "interlink-workflows"
SIGNAL = "interlink.workflow.signal"
_WAIT_CODES = {CircuitOpen.code, RateLimitExceeded.code}  # an action waits, then tries again
_MAX_WAITS = 500  # of an action on an open circuit or a spent budget, per attempt
_DEFAULT_WAIT = 5.0
_INSTANT = frozenset({"set", "transform", "condition"})  # no side effect, nothing to wait for


Saved = dict[int, Any]  # a run's checkpoints by number


@dataclass(frozen=True)
class Checkpoint:
    """Where one result of a run is saved: the run's `seq`-th (0 is its plan)."""

    execution_id: str
    run: int
    seq: int

    def of(self, result: Any) -> Write:
        return runs.checkpoint(self.execution_id, self.run, self.seq, result)


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


def run_workflow_id(execution_id: str, run: int) -> str:
    return execution_id if run == 1 else f"{execution_id}:run{run}"


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
    async def begin(self, execution_id: str, run: int) -> tuple[dict[str, Any], Saved] | None:
        """The run's plan and the checkpoints saved so far; None if the execution has ended.

        The plan is the run's checkpoint 0, written with the change to running and its event, so
        a run resumed after its process died gets the same plan back (and says started once)."""
        found = await self.runs.to_begin(execution_id)
        if found is None or found["status"] not in lifecycle.LIVE or found["run"] != run:
            return None
        if found["status"] != "pending":  # begun before its process died
            saved = await self.runs.checkpoints(execution_id, run)
            if 0 in saved:
                return saved.pop(0), saved
        done = {}
        if run > 1:  # a retry: the steps completed before keep their outputs
            done = {
                row.name: {"status": row.status, "output": row.output, "error": row.error}
                for row in await self.runs.completed_steps(execution_id)
            }
        plan = {
            "execution_id": execution_id,
            "workspace_id": found["workspace_id"],
            "workflow_id": found["workflow_id"],
            "run": run,
            "input": found["input"],
            "definition": found["definition"],
            "done": done,
        }
        writes = [
            runs.status_change(execution_id, "running"),
            runs.checkpoint(execution_id, run, 0, plan),
        ]
        first = found["status"] == "pending"
        if first:
            payload = lifecycle.state(found["workflow_id"], execution_id, "running")
            started = self.events.row(found["workspace_id"], EventType.WORKFLOW_STARTED, payload)
            writes += await self.events.publishing([started])
        if not await self.runs.write(*writes):
            return None  # ended (a cancel) since it was read
        if first and self.metrics is not None:
            self.metrics.workflow("started")
        return plan, {}

    async def run_step(
        self,
        plan: Mapping[str, Any],
        spec: StepSpec,
        position: int,
        attempt: int,
        context: Mapping[str, Any],
        key: str,
        seq: int,
        held: Held,
    ) -> dict[str, Any]:
        """One attempt of a step: its row written, its config rendered, its type run, and its
        result saved as the run's checkpoint `seq` with the writes that end it (held for the
        run's next write when nothing waits on them).

        Raises `_Cancelled`, before it acts, if the execution has ended (a cancel)."""
        execution_id = plan["execution_id"]
        saved = Checkpoint(execution_id, plan["run"], seq)
        started = self.clock.now()
        step_type = STEP_TYPES[spec.type]
        waits = spec.type in {"delay", "wait_for_event"}
        row = StepRow(
            execution_id, spec.name, position, spec.type, "waiting" if waits else "running",
            attempt, started_at=started,
        )  # fmt: skip
        if spec.type not in _INSTANT:
            # Shown as running (or waiting) while it acts; an instant step is written once, done.
            live = (execution_id, "waiting" if waits else "running")
            await self._write(runs.step_upsert(row), live=live, held=held)
        try:
            config = await self._config(step_type.config, spec.config, context)
            run = StepRun(execution_id, plan["workspace_id"], spec.name, key, context, self.tools)
            call = step_type.run(run, config)
            output = await (asyncio.wait_for(call, spec.timeout) if spec.timeout else call)
            wait = self._prepare_wait(plan, spec, config) if waits else None
        except TimeoutError:
            failure = _error("STEP_TIMEOUT", f"the step took longer than {spec.timeout:g} s")
            return await self._step_failed(row, failure, saved, held)
        except StepFailed as exc:
            failure = _error(exc.step_code, exc.message, exc.details)
            return await self._step_failed(row, failure, saved, held)
        except InterlinkError as exc:
            failure = _error(exc.code, exc.message, exc.details, exc.headers)
            return await self._step_failed(row, failure, saved, held)
        except Exception:
            log.exception("workflow_step_failed", step_type=spec.type)
            failure = _error("INTERNAL_ERROR", f"the {spec.type} step failed unexpectedly")
            return await self._step_failed(row, failure, saved, held)
        result = {"ok": True, "output": output}
        if wait is not None:
            opened, result = wait.pop("opened", None), {**result, **wait}
            opening = [] if opened is None else [opened]
            await self._write(*opening, saved.of(result), held=held)
        elif spec.type in _INSTANT:
            done = replace(row, status="completed", output=output, completed_at=self.clock.now())
            held.instant += [runs.step_upsert(done), saved.of(result)]
        elif spec.type == "foreach":  # settled by the run when its items are done
            await self._write(saved.of(result), held=held)
        else:
            end = runs.step_end(
                execution_id, spec.name, "completed", output, None, self.clock.now()
            )
            held.acted += [end, saved.of(result)]
        return result

    async def _config(
        self, model: type[Any], raw: Mapping[str, Any], context: Mapping[str, Any]
    ) -> Any:
        """`raw` rendered and validated; a foreach's nested step is rendered later, per item."""
        nested = {k: v for k, v in raw.items() if k == "step" and model is ForeachConfig}
        own = {k: v for k, v in raw.items() if k not in nested}
        try:
            rendered = await self.tools.expressions.render(own, context)
        except TemplateFailure as exc:
            raise StepFailed("TEMPLATE_ERROR", str(exc)) from None
        return _validated(model, {**rendered, **nested})

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

    def _prepare_wait(self, plan: Mapping[str, Any], spec: StepSpec, config: Any) -> dict[str, Any]:
        now = self.clock.now()
        if spec.type == "delay":
            assert isinstance(config, DelayConfig)
            seconds = seconds_left(config, now)
            return {"deadline": (now + timedelta(seconds=seconds)).timestamp()}
        wait_id = f"{plan['execution_id']}:{spec.name}:{plan['run']}"
        deadline = now + timedelta(seconds=config.timeout_seconds)
        destination = current_workflow_id()
        assert destination is not None
        opened = runs.wait_open(
            wait_id, workspace_id=plan["workspace_id"], execution_id=plan["execution_id"],
            destination=destination, event=config.event, filter_=config.filter, at=now,
        )  # fmt: skip
        return {"deadline": deadline.timestamp(), "wait_id": wait_id, "opened": opened}

    async def _step_failed(
        self, row: StepRow, error: dict[str, Any], saved: Checkpoint, held: Held
    ) -> dict[str, Any]:
        failed = replace(row, status="failed", error=error, completed_at=self.clock.now())
        result = {"ok": False, "error": error}
        live = (row.execution_id, "running")
        await self._write(runs.step_upsert(failed), saved.of(result), live=live, held=held)
        return result

    async def settle(
        self,
        execution_id: str,
        name: str,
        status: str,
        output: Any = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        """A step's row ended after a wait or a foreach's items: the execution is running
        again."""
        end = runs.step_end(execution_id, name, status, output, error, self.clock.now())
        await self._write(end, runs.status_change(execution_id, "running", required=False))

    async def run_item(
        self,
        plan: Mapping[str, Any],
        spec: StepSpec,
        index: int,
        item: Any,
        context: Mapping[str, Any],
        key: str,
    ) -> dict[str, Any]:
        """One item of a foreach: its nested step, rendered with `item` and `index`."""
        assert isinstance(spec.config, Mapping)
        nested = spec.config["step"]
        step_type = STEP_TYPES[nested["type"]]
        scope = {**context, "item": track(item, "item"), "index": index}
        try:
            config = await self._config(step_type.config, nested.get("config") or {}, scope)
            run = StepRun(
                plan["execution_id"], plan["workspace_id"], spec.name, key, scope, self.tools
            )
            call = step_type.run(run, config)
            output = await (asyncio.wait_for(call, spec.timeout) if spec.timeout else call)
        except TimeoutError:
            return {"ok": False, "error": _error("STEP_TIMEOUT", f"item {index} took too long")}
        except StepFailed as exc:
            return {"ok": False, "error": _error(exc.step_code, exc.message, exc.details)}
        except InterlinkError as exc:
            return {"ok": False, "error": _error(exc.code, exc.message, exc.details)}
        except Exception:
            log.exception("workflow_item_failed", step_type=nested["type"])
            failure = _error("INTERNAL_ERROR", f"item {index} failed unexpectedly")
            return {"ok": False, "error": failure}
        return {"ok": True, "output": output}

    async def end(
        self,
        plan: Mapping[str, Any],
        status: str,
        output: Any,
        error: dict[str, Any] | None,
        skipped: list[tuple[str, str, int]],
        held: Held | None = None,
    ) -> None:
        """End the execution (unless it has ended already: a cancel), its skipped steps and
        open waits with it, and publish its event, in one transaction with what the run held."""
        acted, instant = ([], []) if held is None else held.take()
        execution_id = plan["execution_id"]
        now = self.clock.now()
        payload = lifecycle.state(plan["workflow_id"], execution_id, status, output, error)
        event = self.events.row(
            plan["workspace_id"], lifecycle.FINISHED_EVENTS[status], payload, at=now
        )
        writes = [runs.finish(execution_id, status, output, error, now), *acted, *instant]
        for name, type_, position in skipped:
            writes.append(runs.step_upsert(StepRow(execution_id, name, position, type_, "skipped")))
        writes.append(runs.waits_close(execution_id))
        writes += await self.events.publishing([event])
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


@dataclass
class Run:
    """The deciding part of one run: which step runs next, from the results so far."""

    plan: dict[str, Any]
    saved: Saved = field(default_factory=dict)  # checkpoints of an earlier life of this run
    definition: Definition = field(init=False)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    seq: int = 0  # the number of the last checkpoint met
    held: Held = field(init=False)

    def __post_init__(self) -> None:
        self.definition = Definition.model_validate(self.plan["definition"])
        self.results = dict(self.plan["done"])
        self.held = Held(self.execution_id)

    @property
    def execution_id(self) -> str:
        return str(self.plan["execution_id"])

    def context(self) -> dict[str, Any]:
        tracked: dict[str, Any] = track(
            {
                "input": self.plan["input"],
                "steps": self.results,
                "execution": {"id": self.execution_id, "workflow_id": self.plan["workflow_id"]},
            }
        )
        return tracked

    def key(self, spec: StepSpec, attempt: int, item: int | None = None) -> str:
        key = f"{self.execution_id}:{spec.name}"
        if self.plan["run"] > 1 or attempt > 1:
            key += f":{self.plan['run']}.{attempt}"
        return key if item is None else f"{key}:{item}"

    async def go(self) -> str:
        steps = self.definition.steps
        gated, compensations = gated_steps(self.definition), compensation_steps(self.definition)
        chosen: set[str] = set()
        for result in self.results.values():
            if isinstance(result.get("output"), Mapping) and "next" in result["output"]:
                chosen.update(result["output"]["next"])
        last_output: Any = None
        for position, spec in enumerate(steps):
            if spec.name in compensations or spec.name in self.results:
                if spec.name in self.results:
                    last_output = self.results[spec.name].get("output")
                continue
            if spec.name in gated and spec.name not in chosen:
                continue
            outcome = await self.attempts(spec, position)
            self.results[spec.name] = outcome
            if outcome["status"] == "failed":
                if spec.on_error == "continue":
                    continue
                if spec.on_error != "fail":
                    helper = next(s for s in steps if s.name == spec.on_error)
                    self.results[helper.name] = await self.attempts(helper, steps.index(helper))
                error = {"step": spec.name, **outcome["error"]}
                await bound().end(self.plan, "failed", None, error, self.skipped(), self.held)
                return "failed"
            last_output = outcome["output"]
            if spec.type == "condition":
                chosen.update(outcome["output"]["next"])
        await bound().end(self.plan, "completed", last_output, None, self.skipped(), self.held)
        return "completed"

    def skipped(self) -> list[tuple[str, str, int]]:
        return [
            (s.name, s.type, i)
            for i, s in enumerate(self.definition.steps)
            if s.name not in self.results
        ]

    async def attempts(self, spec: StepSpec, position: int) -> dict[str, Any]:
        tries = spec.retry.max_attempts if spec.retry else 1
        result: dict[str, Any] = {}
        for attempt in range(1, tries + 1):
            result = await self.attempt(spec, position, attempt)
            if result["ok"]:
                return {"status": "completed", "output": result["output"], "error": None}
            if attempt < tries:
                assert spec.retry is not None
                await self.pause(backoff(attempt, base=spec.retry.backoff_seconds))
        return {"status": "failed", "output": None, "error": result["error"]}

    async def attempt(self, spec: StepSpec, position: int, attempt: int) -> dict[str, Any]:
        key = self.key(spec, attempt)
        for _ in range(_MAX_WAITS):
            result = await self.step(spec, position, attempt, key)
            if not result["ok"]:
                error = result["error"]
                if spec.type == "action" and error["code"] in _WAIT_CODES:
                    await self.pause(_retry_after(error))
                    continue
                return result
            if spec.type == "delay":
                await self.pause_until(result["deadline"])
                await _settle(self.execution_id, spec.name, "completed", result["output"])
            elif spec.type == "wait_for_event":
                return await self.wait_for_event(spec, result)
            elif spec.type == "foreach":
                return await self.foreach(spec, result["output"]["items"], attempt)
            return result
        return result

    async def step(self, spec: StepSpec, position: int, attempt: int, key: str) -> dict[str, Any]:
        """One attempt of a step, or, in a resumed run, the result it saved before."""
        self.seq += 1
        if self.seq in self.saved:
            return dict(self.saved[self.seq])
        context = self.context()
        return await bound().run_step(
            self.plan, spec, position, attempt, context, key, self.seq, self.held
        )

    async def foreach(self, spec: StepSpec, items: list[Any], attempt: int) -> dict[str, Any]:
        await bound().flush(self.held)
        config = ForeachConfig.model_validate(spec.config)
        outputs: list[Any] = []
        context = self.context()
        for start in range(0, len(items), config.concurrency):
            wave = items[start : start + config.concurrency]
            # Started in list order, so a resumed run meets its checkpoints in the same order.
            results = await asyncio.gather(
                *(
                    _run_item(
                        self.plan, spec, start + i, item, context,
                        self.key(spec, attempt, start + i),
                    )
                    for i, item in enumerate(wave)
                )
            )  # fmt: skip
            for offset, item_result in enumerate(results):
                if not item_result["ok"]:
                    error = {**item_result["error"], "item": start + offset}
                    await _settle(self.execution_id, spec.name, "failed", None, error)
                    return {"ok": False, "error": error}
                outputs.append(item_result["output"])
        await _settle(self.execution_id, spec.name, "completed", outputs)
        return {"ok": True, "output": outputs}

    async def wait_for_event(self, spec: StepSpec, opened: dict[str, Any]) -> dict[str, Any]:
        wait_id = opened["wait_id"]
        message = await self.receive_until(opened["deadline"], wait_id)
        await _close_wait(wait_id)
        if message is None:
            if opened["output"].get("on_timeout") == "continue":
                output = {"event": None, "timed_out": True}
                await _settle(self.execution_id, spec.name, "completed", output)
                return {"ok": True, "output": output}
            error = _error("WAIT_TIMEOUT", f"no matching `{opened['output']['event']}` event came")
            await _settle(self.execution_id, spec.name, "failed", None, error)
            return {"ok": False, "error": error}
        output = {"event": message["event"], "timed_out": False}
        await _settle(self.execution_id, spec.name, "completed", output)
        return {"ok": True, "output": output}

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


class _Cancelled(Exception):
    """The execution was cancelled while it waited (its row already says so)."""


def _validated(model: type[Any], rendered: Mapping[str, Any]) -> Any:
    try:
        return model.model_validate(rendered)
    except ValidationError as exc:
        problems = validation_details(exc.errors(), whole="config")
        raise StepFailed(
            "INVALID_STEP_CONFIG", "the rendered config does not fit the step type", problems
        ) from None


def _error(
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "details": details or []}
    retry_after = (headers or {}).get("Retry-After")
    if retry_after:
        error["retry_after"] = retry_after
    return error


def _retry_after(error: Mapping[str, Any]) -> float:
    try:
        return min(max(float(error.get("retry_after", _DEFAULT_WAIT)), 0.5), 3600.0)
    except (TypeError, ValueError):
        return _DEFAULT_WAIT


bound = Bound[Engine]("the workflow engine")


# -- DBOS workflows and steps: their names are stored with pending work, never rename them ------
@workflow("interlink.workflows.run")
async def run_execution(execution_id: str, run: int) -> str:
    begun = await bound().begin(execution_id, run)
    if begun is None:
        return "ended"
    deciding = Run(*begun)
    try:
        return await deciding.go()
    except _Cancelled:
        return "cancelled"
    except Exception:  # a bug or the database gone: the execution ends failed, not stuck
        log.exception("workflow_run_failed", execution_id=execution_id)
        error = _error("INTERNAL_ERROR", "the execution failed unexpectedly")
        await bound().end(begun[0], "failed", None, error, [], deciding.held)
        return "failed"


@step("interlink.workflows.item")
async def _run_item(
    plan: dict[str, Any],
    spec: StepSpec,
    index: int,
    item: Any,
    context: dict[str, Any],
    key: str,
) -> dict[str, Any]:
    return await bound().run_item(plan, spec, index, item, context, key)


@step("interlink.workflows.settle")
async def _settle(
    execution_id: str,
    name: str,
    status: str,
    output: Any = None,
    error: dict[str, Any] | None = None,
) -> None:
    await bound().settle(execution_id, name, status, output, error)


@step("interlink.workflows.close_wait")
async def _close_wait(wait_id: str) -> None:
    await bound().close_wait(wait_id)


@step("interlink.workflows.now")
async def _now() -> float:
    return bound().clock.now().timestamp()


@step("interlink.workflows.is_live")
async def _is_live(execution_id: str) -> bool:
    return await bound().is_live(execution_id)
