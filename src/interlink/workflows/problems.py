"""A problem of a definition found at save time: the step, the field and what is wrong."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from interlink.core.errors import validation_details

Problem = dict[str, Any]  # {"step", "field", "message"}: one detail of the 400


def problem(step: str | None, field: str, message: str) -> Problem:
    return {"step": step, "field": field, "message": message}


def config_problems(
    step: str, field: str, model: type[BaseModel], config: Any
) -> Iterator[Problem]:
    """Where `config` does not fit `model`; a value that is a template is checked once rendered,
    when the step runs."""
    try:
        model.model_validate(config)
    except ValidationError as exc:
        errors = [e for e in exc.errors() if not is_template(_at(config, e["loc"]))]
        for detail in validation_details(errors, prefix=field):
            yield problem(step, detail["field"], detail["message"])


def is_template(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


def is_literal(value: Any) -> bool:
    """A string written as it is (no template in it)."""
    return isinstance(value, str) and not is_template(value)


def _at(config: Any, location: tuple[int | str, ...]) -> Any:
    for part in location:
        if isinstance(config, list) and isinstance(part, int) and part < len(config):
            config = config[part]
            continue
        if not isinstance(config, Mapping) or part not in config:
            return None
        config = config[part]
    return config
