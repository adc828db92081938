"""A workflow definition: its steps with their options, its triggers, and their validation.

`validate_definition` checks everything that can be known at save time and returns the problems,
each naming the step and the field: unknown step types, configs that do not fit their type,
duplicate names, references to steps that do not exist or run later, branches that loop back
(cycles), output fields an action's result does not have. What needs the database (integrations,
credentials of the workspace) and the syntax of templates and conditions (`written_code`,
compiled in the sandbox) are checked by the service.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

from interlink.core.errors import validation_details
from interlink.workflows.steps import NESTABLE, STEP_TYPES
from interlink.workflows.templates import has_template, references

StepName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
Problem = dict[str, Any]


class _Input(BaseModel):
    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, alias_generator=None, str_max_length=100_000
    )


class RetryOptions(_Input):
    max_attempts: int = Field(
        3, ge=1, le=20, validation_alias=AliasChoices("max_attempts", "maxAttempts")
    )
    backoff_seconds: float = Field(
        1.0,
        ge=0,
        le=3600,
        validation_alias=AliasChoices("backoff_seconds", "backoffSeconds", "backoff"),
        description="The first pause between attempts; it doubles after each",
    )


class StepSpec(_Input):
    name: StepName
    type: str = Field(min_length=1, max_length=40)
    config: dict[str, Any] = Field(default_factory=dict)
    retry: RetryOptions | None = None
    timeout: float | None = Field(None, gt=0, le=24 * 3600, description="Seconds per attempt")
    on_error: str = Field(
        "fail",
        max_length=64,
        validation_alias=AliasChoices("on_error", "onError"),
        description="`fail`, `continue`, or the name of a step to run as compensation",
    )


class Definition(_Input):
    steps: list[StepSpec] = Field(min_length=1, max_length=100)


class ManualTrigger(_Input):
    type: Literal["manual"]


class ScheduleTrigger(_Input):
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


class EventTrigger(_Input):
    type: Literal["event"]
    event: str = Field(min_length=1, max_length=100, description="A type, or `prefix.*`")
    filter: dict[str, Any] = Field(default_factory=dict, max_length=20)


class WebhookTrigger(_Input):
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
            problems.append(_problem(spec.name, "name", f"the name `{spec.name}` is used twice"))
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
        yield _problem(spec.name, "type", f"unknown step type `{spec.type}` (known: {known})")
        return
    yield from _config_problems(spec.name, "config", step_type.config, spec.config)
    for referenced, field in references(spec.config):
        yield from _reference_problems(spec, index, referenced, field, steps, position)
    if spec.type == "condition":
        for branch in ("then", "else"):
            for target in spec.config.get(branch) or []:
                yield from _branch_problems(spec, index, branch, target, position)
    if spec.type == "foreach":
        nested = spec.config.get("step")
        if isinstance(nested, Mapping):
            nested_type = str(nested.get("type", ""))
            if nested_type not in NESTABLE:
                allowed = ", ".join(sorted(NESTABLE))
                message = f"a foreach runs one of {allowed}, not `{nested_type}`"
                yield _problem(spec.name, "config.step.type", message)
            else:
                config = nested.get("config") or {}
                nested_model = STEP_TYPES[nested_type].config
                yield from _config_problems(spec.name, "config.step.config", nested_model, config)
    if spec.on_error not in {"fail", "continue"}:
        if spec.on_error not in position:
            message = f"`on_error` names `{spec.on_error}`, which is not a step of this workflow"
            yield _problem(spec.name, "on_error", message)
        elif spec.on_error == spec.name:
            yield _problem(spec.name, "on_error", "a step cannot be its own compensation")


def _config_problems(
    step: str, field: str, model: type[BaseModel], config: Any
) -> Iterator[Problem]:
    try:
        model.model_validate(config)
    except ValidationError as exc:
        # a template is checked once rendered, when the step runs
        errors = [e for e in exc.errors() if not _is_template(_at(config, e["loc"]))]
        for detail in validation_details(errors, prefix=field):
            yield _problem(step, detail["field"], detail["message"])


Code = tuple[str, str, str, str]  # step, field, kind (`template` or `expression`), text


def written_code(definition: Definition) -> list[Code]:
    """Every template string of the steps' configs and every condition's expression."""
    found: list[Code] = []
    for spec in definition.steps:
        found.extend(_templates_in(spec.name, "config", spec.config))
        expression = spec.config.get("expression") if spec.type == "condition" else None
        if isinstance(expression, str) and not has_template(expression):
            found.append((spec.name, "config.expression", "expression", expression))
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
        yield _problem(spec.name, "config", message)
        return
    if where >= index:
        message = f"`steps.{referenced}` runs after `{spec.name}`: its output is not there yet"
        yield _problem(spec.name, "config", message)
        return
    source = steps[where]
    outputs = _outputs_of(source)
    if field is not None and outputs is not None and field not in outputs:
        known = ", ".join(sorted(outputs)) or "none"
        message = f"`steps.{referenced}.output` has no field `{field}` (it has: {known})"
        yield _problem(spec.name, "config", message)


def _outputs_of(spec: StepSpec) -> frozenset[str] | None:
    if spec.type == "set":
        values = spec.config.get("values")
        return frozenset(values) if isinstance(values, Mapping) else None
    step_type = STEP_TYPES.get(spec.type)
    return step_type.outputs if step_type else None


def _branch_problems(
    spec: StepSpec, index: int, branch: str, target: Any, position: Mapping[str, int]
) -> Iterator[Problem]:
    where = position.get(str(target))
    if where is None:
        yield _problem(spec.name, f"config.{branch}", f"`{target}` is not a step of this workflow")
    elif where <= index:
        message = f"`{target}` runs before `{spec.name}`: branching back to it would be a cycle"
        yield _problem(spec.name, f"config.{branch}", message)


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
                problems.append(_problem(spec.name, "config", message))
    return problems


def gated_steps(definition: Definition) -> set[str]:
    """Steps that run only when a condition chooses them."""
    gated: set[str] = set()
    for spec in definition.steps:
        if spec.type == "condition":
            for branch in ("then", "else"):
                gated.update(str(name) for name in spec.config.get(branch) or [])
    return gated


def compensation_steps(definition: Definition) -> set[str]:
    """Steps that run only as another step's `on_error`."""
    return {s.on_error for s in definition.steps if s.on_error not in {"fail", "continue"}}


def _problem(step: str, field: str, message: str) -> Problem:
    return {"step": step, "field": field, "message": message}


def _is_template(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


def _at(config: Any, location: tuple[int | str, ...]) -> Any:
    for part in location:
        if isinstance(config, list) and isinstance(part, int) and part < len(config):
            config = config[part]
            continue
        if not isinstance(config, Mapping) or part not in config:
            return None
        config = config[part]
    return config
