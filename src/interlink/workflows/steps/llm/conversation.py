"""An `llm` step's conversation, as its run keeps it between rounds: the request (messages and
tools), the model's answers (`Turn`) and the tool calls it made (`ToolUse`). It is JSON in the
run's checkpoints and DBOS's records, so its shape does not change between releases."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from interlink.providers.kit.llm import ChatInput, ChatMessage, Usage
from interlink.workflows.steps.llm.config import LlmTool


class Target(BaseModel):
    """What answers: an integration (its `chat` operation) or an AI route (the gateway)."""

    integration_id: str | None = None
    route: str | None = None


class Turn(BaseModel):
    """One answer of the model, and who served it."""

    message: ChatMessage
    finish_reason: str
    model: str
    usage: Usage
    integration_id: str
    integration: str | None = None
    provider: str | None = None
    route: str | None = None
    route_version: int | None = None
    fallbacks: int = 0
    cost: str | None = Field(None, description="US dollars, with a route (the gateway's price)")
    operation_id: str | None = Field(None, description="With an integration: its chat's")


class ToolUse(BaseModel):
    """One tool call of the model, and what the operation answered (or why it did not)."""

    round: int
    id: str
    name: str
    integration_id: str | None = None
    action: str | None = None
    arguments: Any = None
    result: Any = None
    error: dict[str, Any] | None = None
    operation_id: str | None = None


class Conversation(BaseModel):
    target: Target
    params: ChatInput
    tools: list[LlmTool] = Field(default_factory=list)
    output_schema: dict[str, Any] | None = None
    max_tool_rounds: int = 5
    turns: list[Turn] = Field(default_factory=list)
    uses: list[ToolUse] = Field(default_factory=list)

    @property
    def calls(self) -> list[Any]:
        """The tool calls of the last answer, to run (none: the model has answered)."""
        return list(self.turns[-1].message.tool_calls) if self.tools else []

    def answered(self, turn: Turn) -> None:
        self.turns.append(turn)
        self.params.messages.append(turn.message)

    def used(self, use: ToolUse, content: str) -> None:
        self.uses.append(use)
        message = ChatMessage(role="tool", content=content, name=use.name, tool_call_id=use.id)
        self.params.messages.append(message)
