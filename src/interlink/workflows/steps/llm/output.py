"""An `llm` step's output: the model's last answer, what all its rounds used and cost, who
served them, the tool calls made, and, with `output_schema`, the answer as JSON of it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from jsonschema.validators import validator_for

from interlink.workflows.steps.base import StepFailed
from interlink.workflows.steps.llm.conversation import Conversation

INVALID_OUTPUT = "INVALID_LLM_OUTPUT"
_MAX_MISMATCHES = 20
FIELDS = frozenset(
    {"text", "data", "model", "finish_reason", "usage", "integration_id", "integration",
     "provider", "route", "route_version", "fallbacks", "cost", "tool_calls", "rounds"}
)  # fmt: skip


def finished(conversation: Conversation) -> dict[str, Any]:
    """The step's output once the model answers without calling a tool."""
    last = conversation.turns[-1]
    text = last.message.content or ""
    costs = [turn.cost for turn in conversation.turns if turn.cost is not None]
    output: dict[str, Any] = {
        "text": text,
        "model": last.model,
        "finish_reason": last.finish_reason,
        "usage": {
            "prompt_tokens": sum(t.usage.prompt_tokens for t in conversation.turns),
            "completion_tokens": sum(t.usage.completion_tokens for t in conversation.turns),
        },
        "integration_id": last.integration_id,
        "integration": last.integration,
        "provider": last.provider,
        "route": last.route,
        "route_version": last.route_version,
        "fallbacks": sum(turn.fallbacks for turn in conversation.turns),
        "cost": str(sum(map(Decimal, costs), Decimal(0))) if costs else None,
        "tool_calls": [use.model_dump(mode="json") for use in conversation.uses],
        "rounds": len(conversation.turns),
    }
    if conversation.output_schema is not None:
        output["data"] = structured(text, conversation.output_schema)
    return output


def structured(text: str, schema: Mapping[str, Any]) -> Any:
    """The answer as the JSON value the schema asks for; INVALID_LLM_OUTPUT when it is not."""
    try:
        value = json.loads(text)
    except ValueError:
        raise StepFailed(
            INVALID_OUTPUT,
            "The model's answer is not JSON",
            [{"field": "text", "message": "not JSON", "start": text[:100]}],
        ) from None
    validator = validator_for(schema)(schema)
    mismatches = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    if mismatches:
        details = [
            {"field": ".".join(["data", *map(str, e.absolute_path)]), "message": e.message}
            for e in mismatches[:_MAX_MISMATCHES]
        ]
        raise StepFailed(
            INVALID_OUTPUT, "The model's answer does not match the step's output_schema", details
        )
    return value
