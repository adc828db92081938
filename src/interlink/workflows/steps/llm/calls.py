"""What an `llm` step calls: the model (an integration's `chat` operation, or a route through
the AI gateway) and its tools (operations of integrations, run as an `action` step runs one:
through the transport, recorded as operations, with the step's idempotency key)."""

from __future__ import annotations

import json
from typing import Any

from interlink.auth.scopes import Principal, Scope
from interlink.core.errors import InterlinkError
from interlink.providers.kit.llm import ChatInput, ChatMessage, Tool, ToolCall
from interlink.workflows.steps.base import StepFailed, StepRun
from interlink.workflows.steps.llm.config import LlmConfig, LlmTool
from interlink.workflows.steps.llm.conversation import Conversation, Target, ToolUse, Turn

CHAT = "chat"
_MAX_TOOL_CONTENT = 100_000  # characters of a tool's answer sent back to the model


async def opening(step: StepRun, config: LlmConfig) -> Conversation:
    """The conversation before the model's first answer: the prompt and the tools, each with
    its operation's parameters as JSON Schema (less the ones the workflow fixes)."""
    messages = [ChatMessage(role="system", content=config.system)] if config.system else []
    messages.append(ChatMessage(role="user", content=config.prompt))
    params = ChatInput(
        model=config.model or config.route or "",
        messages=messages,
        tools=[await _declared(step, tool) for tool in config.tools],
        tool_choice=config.tool_choice if config.tools else "auto",
        max_tokens=config.max_tokens,
        temperature=config.temperature,
    )
    if config.output_schema is not None:
        params.response_format, params.json_schema = "json", config.output_schema
    target = Target(integration_id=config.integration_id, route=config.route)
    return Conversation(
        target=target, params=params, tools=config.tools, output_schema=config.output_schema,
        max_tool_rounds=config.max_tool_rounds,
    )  # fmt: skip


async def _declared(step: StepRun, tool: LlmTool) -> Tool:
    schema = await step.tools.operations.input_schema(
        step.workspace_id, tool.integration_id, tool.action
    )
    summary = str(schema.pop("description", "") or "")
    schema.pop("title", None)
    fixed = set(tool.parameters)
    schema["properties"] = {
        name: field for name, field in (schema.get("properties") or {}).items() if name not in fixed
    }
    if "required" in schema:
        schema["required"] = [name for name in schema["required"] if name not in fixed]
    description = tool.description or summary or f"The {tool.action} operation"
    return Tool(name=tool.name, description=description[:2000], parameters=schema)


async def ask(step: StepRun, target: Target, params: ChatInput) -> Turn:
    """The model's answer to the conversation so far."""
    if target.route is not None:
        return await _routed(step, target.route, params)
    assert target.integration_id is not None
    operation = await step.tools.operations.execute(
        step.principal,
        target.integration_id,
        CHAT,
        params.model_dump(mode="json", exclude_none=True),
        idempotency_key=step.idempotency_key,
    )
    answer: dict[str, Any] = operation.result
    return Turn(
        message=answer["message"],
        finish_reason=answer["finish_reason"],
        model=answer["model"],
        usage=answer["usage"],
        integration_id=target.integration_id,
        operation_id=operation.id,
    )


async def _routed(step: StepRun, route: str, params: ChatInput) -> Turn:
    models = step.tools.models
    if models is None:
        raise StepFailed("INTERNAL_ERROR", "AI routes cannot be called in this process")
    # The workflow calls the model as its saver allowed (as its `action` steps run operations).
    caller = Principal(
        workspace_id=step.workspace_id,
        subject=step.principal.subject,
        scopes=frozenset({Scope.INTEGRATIONS_WRITE}),
    )
    output, served = await models.chat(caller, route, params)
    return Turn(
        message=output.message,
        finish_reason=output.finish_reason,
        model=served.model,
        usage=output.usage,
        integration_id=served.integration_id,
        integration=served.integration,
        provider=served.provider,
        route=served.route,
        route_version=served.route_version,
        fallbacks=served.fallbacks,
        cost=str(served.cost),
    )


async def use(
    step: StepRun, tools: list[LlmTool], call: ToolCall, round_: int
) -> tuple[ToolUse, str]:
    """Run one tool call as its operation; what goes back to the model is the operation's
    result, or the error (bad arguments, a refusal of the provider) for the model to mend."""
    use = ToolUse(round=round_, id=call.id, name=call.name, arguments=call.arguments)
    tool = next((tool for tool in tools if tool.name == call.name), None)
    if tool is None:
        known = ", ".join(t.name for t in tools)
        return _failed(use, "UNKNOWN_TOOL", f"There is no tool {call.name!r} (tools: {known})")
    use.integration_id, use.action = tool.integration_id, tool.action
    try:
        arguments = json.loads(call.arguments or "{}")
    except ValueError:
        return _failed(use, "INVALID_TOOL_ARGUMENTS", "The arguments are not JSON")
    if not isinstance(arguments, dict):
        return _failed(use, "INVALID_TOOL_ARGUMENTS", "The arguments are not a JSON object")
    use.arguments = arguments
    try:
        operation = await step.tools.operations.execute(
            step.principal,
            tool.integration_id,
            tool.action,
            {**arguments, **tool.parameters},
            idempotency_key=step.idempotency_key,
        )
    except InterlinkError as failure:
        return _failed(use, failure.code, failure.message, failure.details)
    use.result, use.operation_id = operation.result, operation.id
    return use, _content(operation.result)


def _failed(
    use: ToolUse, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> tuple[ToolUse, str]:
    use.error = {"code": code, "message": message, "details": details or []}
    return use, _content({"error": use.error})


def _content(value: Any) -> str:
    text = json.dumps(value, default=str)
    if len(text) > _MAX_TOOL_CONTENT:
        return text[:_MAX_TOOL_CONTENT] + " …(cut)"
    return text
