"""What the `openai` provider sends: a chat completion's body, an embeddings body, and where
each goes, by the integration's configuration (an OpenAI-compatible server's own ways)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interlink.core.errors import InvalidIntegrationConfig
from interlink.providers.kit.llm import (
    CHARS_PER_TOKEN,
    ChatInput,
    ChatMessage,
    EmbeddingsInput,
    Tool,
    estimated_tokens,
)

Body = dict[str, Any]


class OpenAISettings(BaseModel):
    """The integration's configuration fields of its own (`configuration_fields`)."""

    model_config = ConfigDict(extra="ignore")

    api_version: str | None = Field(
        None, description="Azure OpenAI: sent as the `api-version` query parameter of every call"
    )
    azure_deployments: bool = Field(
        False, description="Azure OpenAI: `model` names a deployment, called under /deployments/"
    )
    max_tokens_parameter: Literal["max_completion_tokens", "max_tokens"] = Field(
        "max_completion_tokens",
        description="The field the answer's token limit is sent in (older servers: max_tokens)",
    )

    @classmethod
    def of(cls, configuration: Mapping[str, Any]) -> OpenAISettings:
        try:
            return cls.model_validate(configuration)
        except ValidationError as invalid:
            first = invalid.errors()[0]
            field = ".".join(map(str, first["loc"]))
            raise InvalidIntegrationConfig(
                f"The integration's configuration field {field} is not valid: {first['msg']}"
            ) from None

    def path(self, model: str, endpoint: str) -> str:
        """`endpoint` (`/chat/completions`, `/embeddings`) for `model`."""
        if self.azure_deployments:
            return f"/deployments/{quote(model, safe='')}{endpoint}"
        return endpoint

    @property
    def query(self) -> dict[str, str] | None:
        return {"api-version": self.api_version} if self.api_version else None


def chat_body(params: ChatInput, settings: OpenAISettings) -> Body:
    body: Body = {"model": params.model, "messages": [_message(m) for m in params.messages]}
    if params.tools:
        body["tools"] = [_tool(tool) for tool in params.tools]
        body["tool_choice"] = _tool_choice(params.tool_choice)
    if params.response_format == "json":
        body["response_format"] = _json_format(params.json_schema)
    if params.max_tokens is not None:
        body[settings.max_tokens_parameter] = params.max_tokens
    optional = {"temperature": params.temperature, "top_p": params.top_p}
    body |= {name: value for name, value in optional.items() if value is not None}
    if params.stop:
        body["stop"] = params.stop
    return body


def stream_body(params: ChatInput, settings: OpenAISettings) -> Body:
    """The chat's body, streamed, with the usage in a last chunk."""
    return chat_body(params, settings) | {"stream": True, "stream_options": {"include_usage": True}}


def chat_tokens(params: ChatInput) -> int:
    """What a chat takes of the token window: its prompt's estimate and the answer's limit."""
    return estimated_tokens(params) + (params.max_tokens or 0)


def embeddings_body(params: EmbeddingsInput) -> Body:
    body: Body = {"model": params.model, "input": params.input, "encoding_format": "float"}
    if params.dimensions is not None:
        body["dimensions"] = params.dimensions
    return body


def embeddings_tokens(params: EmbeddingsInput) -> int:
    return max(1, sum(len(text) for text in params.input) // CHARS_PER_TOKEN)


def _message(message: ChatMessage) -> Body:
    found: Body = {"role": message.role, "content": message.content}
    if message.name is not None:
        found["name"] = message.name
    if message.tool_calls:
        found["tool_calls"] = [
            {"id": call.id, "type": "function",
             "function": {"name": call.name, "arguments": call.arguments}}
            for call in message.tool_calls
        ]  # fmt: skip
    if message.tool_call_id is not None:
        found["tool_call_id"] = message.tool_call_id
    return found


def _tool(tool: Tool) -> Body:
    function: Body = {"name": tool.name, "parameters": tool.parameters}
    if tool.description:
        function["description"] = tool.description
    return {"type": "function", "function": function}


def _tool_choice(choice: str) -> str | Body:
    if choice in {"auto", "none", "required"}:
        return choice
    return {"type": "function", "function": {"name": choice}}


def _json_format(schema: dict[str, Any] | None) -> Body:
    if schema is None:
        return {"type": "json_object"}
    return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}
