"""`foreach`: a nested step for each item of a list, `concurrency` at a time, output in order.

The nested step's templates see `item` and `index` beside `input` and `steps`; it is rendered
for each item, not with the foreach's own config. Each item is a durable step of the run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field

from interlink.workflows.problems import Problem, config_problems, problem
from interlink.workflows.results import Attempt, StepResult
from interlink.workflows.steps.base import (
    Findings,
    Resuming,
    StepConfig,
    StepFailed,
    StepRun,
    StepType,
    Workspace,
)

if TYPE_CHECKING:
    from interlink.workflows.steps.spec import StepSpec

MAX_ITEMS = 1000


class NestedStep(StepConfig):
    type: str = Field(min_length=1, max_length=40)
    config: dict[str, Any] = Field(default_factory=dict)


class ForeachConfig(StepConfig):
    items: list[Any] | str
    step: NestedStep
    concurrency: int = Field(5, ge=1, le=50)


class Foreach(StepType[ForeachConfig]):
    name = "foreach"
    config = ForeachConfig
    summary = "A step for each item of a list"
    goes_on = True

    def __init__(self, nestable: Mapping[str, StepType[Any]]) -> None:
        self.nestable = nestable  # what it may run for each item: steps that finish in one go

    async def run(self, step: StepRun, config: ForeachConfig) -> dict[str, Any]:
        if not isinstance(config.items, list):
            raise StepFailed("INVALID_STEP_CONFIG", "`items` did not render to a list")
        if len(config.items) > MAX_ITEMS:
            raise StepFailed("INVALID_STEP_CONFIG", f"`items` has more than {MAX_ITEMS} items")
        return {"items": config.items}

    def unrendered(self, config: Mapping[str, Any]) -> Mapping[str, Any]:
        return {"step": config["step"]} if "step" in config else {}

    def definition_problems(
        self, spec: StepSpec, index: int, position: Mapping[str, int]
    ) -> Iterator[Problem]:
        nested = spec.config.get("step")
        if not isinstance(nested, Mapping):
            return
        nested_type = self.nestable.get(str(nested.get("type", "")))
        if nested_type is None:
            allowed = ", ".join(sorted(self.nestable))
            message = f"a foreach runs one of {allowed}, not `{nested.get('type', '')}`"
            yield problem(spec.name, "config.step.type", message)
            return
        config = nested.get("config") or {}
        yield from config_problems(spec.name, "config.step.config", nested_type.config, config)

    async def workspace_problems(
        self, step: str, config: Mapping[str, Any], where: str, workspace: Workspace
    ) -> Findings:
        nested = config.get("step")
        if not isinstance(nested, Mapping):
            return Findings()
        nested_type = self.nestable.get(str(nested.get("type")))
        if nested_type is None:
            return Findings()
        found = await nested_type.workspace_problems(
            step, nested.get("config") or {}, f"{where}.step.config", workspace
        )
        return Findings(found.problems)  # the nested step's output is not the foreach's

    async def resume(self, run: Resuming, spec: StepSpec, attempt: int, opened: Attempt) -> Attempt:
        """The items in waves of `concurrency`, each started in list order (so a replayed run
        meets their records in the same order); the first failed item fails the step."""
        await run.flush()
        config = ForeachConfig.model_validate(spec.config)
        nested = (self.nestable[config.step.type], config.step.config)
        items: list[Any] = opened.output["items"]
        outputs: list[Any] = []
        context = run.context()
        for start in range(0, len(items), config.concurrency):
            wave = items[start : start + config.concurrency]
            results = await asyncio.gather(
                *(
                    run.run_item(spec, attempt, start + i, item, context, nested)
                    for i, item in enumerate(wave)
                )
            )
            for offset, result in enumerate(results):
                if result.error is not None:
                    failed = Attempt.failed(result.error.at_item(start + offset))
                    await run.end_step(spec.name, StepResult.of(failed))
                    return failed
                outputs.append(result.output)
        done = Attempt(outputs)
        await run.end_step(spec.name, StepResult.of(done))
        return done
