"""The shared language-model shapes: what a prompt is estimated at before a call."""

from __future__ import annotations

from interlink.providers.kit.llm import ChatInput, ChatMessage, Tool, ToolCall, estimated_tokens


def test_a_prompt_is_estimated_from_its_messages_calls_tools_and_schema() -> None:
    words = ChatInput(model="m", messages=[ChatMessage(role="user", content="x" * 400)])
    richer = words.model_copy(
        update={
            "messages": [
                *words.messages,
                ChatMessage(role="assistant", tool_calls=[ToolCall(id="1", name="f",
                                                                   arguments="y" * 40)]),
            ],
            "tools": [Tool(name="f", description="z" * 200)],
            "json_schema": {"type": "object"},
        }
    )  # fmt: skip

    assert estimated_tokens(words) == 100
    assert estimated_tokens(richer) > 100 + 10 + 50


def test_an_empty_prompt_is_still_one_token() -> None:
    empty = ChatInput(model="m", messages=[ChatMessage(role="user", content="")])

    assert estimated_tokens(empty) == 1
