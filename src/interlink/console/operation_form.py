"""The form that runs an operation, generated from its action's input schema (the catalog's
parameter list), and the parameters read back from the submitted form."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from interlink.core.errors import InvalidRequest

_KINDS = {"integer": "number", "number": "number", "boolean": "boolean", "object": "json",
          "array": "json"}  # fmt: skip


@dataclass(frozen=True)
class FormField:
    name: str
    kind: str  # text, password, number, boolean, json
    required: bool
    description: str
    default: str  # as the input shows it ("" for none)
    step: str = "any"


def form_fields(parameters: Sequence[Mapping[str, Any]]) -> list[FormField]:
    return [_field(p) for p in parameters]


def _field(parameter: Mapping[str, Any]) -> FormField:
    type_ = parameter.get("type") or "string"
    kind = _KINDS.get(type_, "text")
    if parameter.get("format") == "password":
        kind = "password"
    default = parameter.get("default")
    shown = "" if default is None or kind == "password" else _shown(default, kind)
    return FormField(
        name=str(parameter["name"]),
        kind=kind,
        required=bool(parameter.get("required")),
        description=parameter.get("description") or "",
        default=shown,
        step="1" if type_ == "integer" else "any",
    )


def _shown(value: Any, kind: str) -> str:
    if kind == "json":
        return json.dumps(value, indent=2)
    if kind == "boolean":
        return "true" if value else "false"
    return str(value)


def parameters_of(submitted: Mapping[str, str], fields: Sequence[FormField]) -> dict[str, Any]:
    """The operation's parameters: a blank field is left out (the action's default applies)."""
    found: dict[str, Any] = {}
    for field in fields:
        raw = submitted.get(field.name, "").strip()
        if raw:
            found[field.name] = _value(field, raw)
    return found


def _value(field: FormField, raw: str) -> Any:
    try:
        if field.kind == "json":
            return json.loads(raw)
        if field.kind == "number":
            return int(raw) if field.step == "1" else float(raw)
    except ValueError:
        what = "JSON" if field.kind == "json" else "a number"
        raise InvalidRequest(
            f"{field.name} is not {what}", details=[{"field": field.name}]
        ) from None
    if field.kind == "boolean":
        return raw == "true"
    return raw
