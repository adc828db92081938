"""A workflow definition: its steps with their options, its triggers, and their validation.

`validate_definition` checks everything that can be known at save time and returns the problems,
each naming the step and the field: unknown step types, configs that do not fit their type,
duplicate names, references to steps that do not exist or run later, branches that loop back
(cycles), output fields an action's result does not have. Each step type checks its own part
(`StepType.definition_problems`). What needs the database (integrations, credentials of the
workspace) and the syntax of templates and conditions (`written_code`, compiled in the sandbox)
are checked by `checks.DefinitionChecks`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import BaseModel, Field, field_validator

from interlink.workflows.problems import Problem, config_problems, problem
from interlink.workflows.steps import STEP_TYPES
from interlink.workflows.steps.spec import Input, StepSpec
from interlink.workflows.templates import has_template, references


class Definition(Input):
    steps: list[StepSpec] = Field(min_length=1, max_length=100)


class ManualTrigger(Input):
    type: Literal["manual"]


class ScheduleTrigger(Input):
    type: Literal["schedule"]
    cron: str = Field(min_length=1, max_length=200, description="Five fields, e.g. `0 9 * * 1`")
    timezone: str = Field("UTC", max_length=100)
    input: dict[str, Any] = Field(default_factory=dict)

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError("`cron` is not a valid five-field cron expression")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class EventTrigger(Input):
    type: Literal["event"]
    event: str = Field(min_length=1, max_length=100, description="A type, or `prefix.*`")
    filter: dict[str, Any] = Field(default_factory=dict, max_length=20)


class WebhookTrigger(Input):
    type: Literal["webhook"]


Trigger = Annotated[
    ManualTrigger | ScheduleTrigger | EventTrigger | WebhookTrigger, Field(discriminator="type")
]


class Triggers(BaseModel):
    items: list[Trigger] = Field(max_length=20)


def validate_definition(definition: Definition) -> list[Problem]:
    problems: list[Problem] = []
    steps = definition.steps
    position = {}
    for index, spec in enumerate(steps):
        if spec.name in position:
            problems.append(problem(spec.name, "name", f"the name `{spec.name}` is used twice"))
        else:
            position[spec.name] = index
    for index, spec in enumerate(steps):
        problems.extend(_check_step(spec, index, steps, position))
    return problems


def _check_step(
    spec: StepSpec, index: int, steps: list[StepSpec], position: Mapping[str, int]
) -> Iterator[Problem]:
    step_type = STEP_TYPES.get(spec.type)
    if step_type is None:
        known = ", ".join(sorted(STEP_TYPES))
        yield problem(spec.name, "type", f"unknown step type `{spec.type}` (known: {known})")
        return
    yield from config_problems(spec.name, "config", step_type.config, spec.config)
    for referenced, field in references(spec.config):
        yield from _reference_problems(spec, index, referenced, field, steps, position)
    yield from step_type.definition_problems(spec, index, position)
    if spec.on_error not in {"fail", "continue"}:
        if spec.on_error not in position:
            message = f"`on_error` names `{spec.on_error}`, which is not a step of this workflow"
            yield problem(spec.name, "on_error", message)
        elif spec.on_error == spec.name:
            yield problem(spec.name, "on_error", "a step cannot be its own compensation")


Code = tuple[str, str, str, str]  # step, field, kind (`template` or `expression`), text


def written_code(definition: Definition) -> list[Code]:
    """Every template string of the steps' configs, and the code their types hold besides (a
    condition's expression)."""
    found: list[Code] = []
    for spec in definition.steps:
        found.extend(_templates_in(spec.name, "config", spec.config))
        step_type = STEP_TYPES.get(spec.type)
        if step_type is not None:
            found.extend((spec.name, *code) for code in step_type.code(spec.config))
    return found


def _templates_in(step: str, field: str, value: Any) -> Iterator[Code]:
    if isinstance(value, str):
        if has_template(value):
            yield (step, field, "template", value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _templates_in(step, f"{field}.{key}", item)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _templates_in(step, f"{field}[{i}]", item)


def _reference_problems(
    spec: StepSpec,
    index: int,
    referenced: str,
    field: str | None,
    steps: list[StepSpec],
    position: Mapping[str, int],
) -> Iterator[Problem]:
    where = position.get(referenced)
    if where is None:
        message = f"`steps.{referenced}` is not a step of this workflow"
        yield problem(spec.name, "config", message)
        return
    if where >= index:
        message = f"`steps.{referenced}` runs after `{spec.name}`: its output is not there yet"
        yield problem(spec.name, "config", message)
        return
    source = steps[where]
    source_type = STEP_TYPES.get(source.type)
    outputs = source_type.outputs_of(source.config) if source_type else None
    if field is not None and outputs is not None and field not in outputs:
        known = ", ".join(sorted(outputs)) or "none"
        message = f"`steps.{referenced}.output` has no field `{field}` (it has: {known})"
        yield problem(spec.name, "config", message)


def output_field_problems(
    definition: Definition, outputs: Mapping[str, frozenset[str]]
) -> list[Problem]:
    """References to fields that the named steps' outputs (known only with the database, e.g.
    an action's result model) do not have."""
    problems: list[Problem] = []
    for spec in definition.steps:
        for referenced, field in references(spec.config):
            known = outputs.get(referenced)
            if field is not None and known is not None and field not in known:
                listed = ", ".join(sorted(known)) or "none"
                message = f"`steps.{referenced}.output` has no field `{field}` (it has: {listed})"
                problems.append(problem(spec.name, "config", message))
    return problems


def gated_steps(definition: Definition) -> set[str]:
    """Steps that run only when another step (a condition) chooses them."""
    gated: set[str] = set()
    for spec in definition.steps:
        step_type = STEP_TYPES.get(spec.type)
        if step_type is not None:
            gated.update(step_type.gates(spec.config))
    return gated


def compensation_steps(definition: Definition) -> set[str]:
    """Steps that run only as another step's `on_error`."""
    return {s.on_error for s in definition.steps if s.on_error not in {"fail", "continue"}}
