"""The catalog: what each action takes and returns, generated from its pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from interlink.providers.kit.action import Action


def title(name: str) -> str:
    return name.replace("_", " ").title()


def _type_of(schema: dict[str, Any]) -> tuple[str, str | None]:
    if "type" in schema:
        return str(schema["type"]), schema.get("format")
    for option in schema.get("anyOf", []):
        if option.get("type") not in (None, "null"):
            return str(option["type"]), option.get("format")
    return "object", None


def parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The seed's parameter list: name, type, description, required, default, format."""
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    listed = []
    for name, prop in schema.get("properties", {}).items():
        type_, format_ = _type_of(prop)
        entry: dict[str, Any] = {
            "name": name,
            "type": type_,
            "description": prop.get("description"),
            "required": name in required,
        }
        if "default" in prop:
            entry["default"] = prop["default"]
        if format_:
            entry["format"] = format_
        listed.append(entry)
    return listed


def describe(action: Action) -> dict[str, Any]:
    return {
        "id": action.name,
        "name": title(action.name),
        "description": action.summary,
        "parameters": parameters(action.input_model),
        "result_schema": action.output_model.model_json_schema(),
    }
