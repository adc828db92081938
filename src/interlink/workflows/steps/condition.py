"""`condition`: an expression; the steps it names under `then` or `else` run, the others not."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field

from interlink.workflows.problems import Problem, problem
from interlink.workflows.steps.base import Code, StepConfig, StepFailed, StepRun, StepType
from interlink.workflows.templates import TemplateFailure, has_template

if TYPE_CHECKING:
    from interlink.workflows.steps.spec import StepSpec

_BRANCHES = ("then", "else")


class ConditionConfig(StepConfig):
    expression: str = Field(min_length=1, max_length=10_000)
    then: list[str] = Field(default_factory=list, max_length=100)
    else_: list[str] = Field(default_factory=list, max_length=100, alias="else")


class Condition(StepType[ConditionConfig]):
    name = "condition"
    config = ConditionConfig
    outputs = frozenset({"result", "next"})
    summary = "Choose the steps to run next"
    shown = None

    async def run(self, step: StepRun, config: ConditionConfig) -> dict[str, Any]:
        try:
            result = bool(await step.tools.expressions.evaluate(config.expression, step.context))
        except TemplateFailure as exc:
            raise StepFailed("TEMPLATE_ERROR", str(exc)) from None
        return {"result": result, "next": config.then if result else config.else_}

    def definition_problems(
        self, spec: StepSpec, index: int, position: Mapping[str, int]
    ) -> Iterator[Problem]:
        """Each branch names later steps: one that does not exist, or runs before, would be a
        cycle."""
        for branch in _BRANCHES:
            for target in spec.config.get(branch) or []:
                where = position.get(str(target))
                field = f"config.{branch}"
                if where is None:
                    yield problem(spec.name, field, f"`{target}` is not a step of this workflow")
                elif where <= index:
                    before = f"`{target}` runs before `{spec.name}`"
                    yield problem(
                        spec.name, field, f"{before}: branching back to it would be a cycle"
                    )

    def code(self, config: Mapping[str, Any]) -> Iterator[Code]:
        expression = config.get("expression")
        if isinstance(expression, str) and not has_template(expression):
            yield ("config.expression", "expression", expression)

    def gates(self, config: Mapping[str, Any]) -> Iterable[str]:
        for branch in _BRANCHES:
            yield from (str(name) for name in config.get(branch) or [])

    def chosen(self, output: Any) -> Iterable[str]:
        return output["next"] if isinstance(output, Mapping) else ()
