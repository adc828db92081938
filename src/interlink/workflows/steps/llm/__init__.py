"""`llm`: an answer of a language model: an LLM integration's `chat` operation (openai,
anthropic, gemini, ollama) or an AI route (the gateway's policy and fallback). `prompt` and
`system` are templates of the step context. With `output_schema` the model is asked for JSON and
its answer must be a JSON value of that schema: the output's `data`; otherwise the step fails
with INVALID_LLM_OUTPUT, each mismatch in its details.

With `tools`, the model may call operations of integrations: each call runs as an `action`
step's operation, its result (or error) goes back to the model, and the model is asked again, up
to `max_tool_rounds` times. The first answer is the step's act, checkpointed like any step's;
each later tool call and answer is a durable part of the run (`Resuming.act`) with its own
idempotency key, so a run resumed after a crash neither runs a finished tool call again nor
asks again for an answer it has.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from interlink.providers.kit.llm import ChatInput, ToolCall
from interlink.workflows.results import Attempt, StepError, StepResult
from interlink.workflows.steps.action import provider_wait
from interlink.workflows.steps.base import Findings, Resuming, StepFailed, StepRun, StepType
from interlink.workflows.steps.llm.calls import ask, opening, use
from interlink.workflows.steps.llm.checks import llm_problems
from interlink.workflows.steps.llm.config import LlmConfig, LlmTool
from interlink.workflows.steps.llm.conversation import Conversation, Target, ToolUse, Turn
from interlink.workflows.steps.llm.output import FIELDS, INVALID_OUTPUT, finished, structured

if TYPE_CHECKING:
    from interlink.workflows.steps.base import Workspace
    from interlink.workflows.steps.spec import StepSpec

__all__ = ["INVALID_OUTPUT", "Llm", "LlmConfig", "LlmTool", "structured"]

PENDING = "pending"  # an output key of the step's act alone: the conversation goes on
ROUNDS_EXCEEDED = "LLM_TOOL_ROUNDS_EXCEEDED"
_PLAIN_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class Llm(StepType[LlmConfig]):
    name = "llm"
    config = LlmConfig
    summary = "An answer of a language model (an LLM integration's chat, or an AI route)"
    outputs = FIELDS
    goes_on = True  # its tool calls and the answers after them are parts of the run

    async def run(self, step: StepRun, config: LlmConfig) -> Any:
        conversation = await opening(step, config)
        conversation.answered(await ask(step, conversation.target, conversation.params))
        if conversation.calls:
            return {PENDING: conversation.model_dump(mode="json")}
        return finished(conversation)

    def waits_out(self, error: StepError) -> float | None:
        return provider_wait(error)

    async def workspace_problems(
        self, step: str, config: Mapping[str, Any], where: str, workspace: Workspace
    ) -> Findings:
        return Findings(await llm_problems(step, config, where, workspace))

    async def resume(self, run: Resuming, spec: StepSpec, attempt: int, opened: Attempt) -> Attempt:
        await run.flush()
        if isinstance(opened.output, Mapping) and PENDING in opened.output:
            conversation = Conversation.model_validate(opened.output[PENDING])
            result = await _converse(run, spec, attempt, conversation)
        else:
            result = opened
        await run.end_step(spec.name, StepResult.of(result))
        return result

    async def act(self, step: StepRun, part: str, payload: Mapping[str, Any]) -> Any:
        """A tool call (`call`, with the step's `tools`), or the model asked again."""
        if "call" in payload:
            tools = [LlmTool.model_validate(tool) for tool in payload["tools"]]
            call = ToolCall.model_validate(payload["call"])
            done, content = await use(step, tools, call, int(payload["round"]))
            return {"use": done.model_dump(mode="json"), "content": content}
        target = Target.model_validate(payload["target"])
        turn = await ask(step, target, ChatInput.model_validate(payload["params"]))
        return turn.model_dump(mode="json")


async def _converse(
    run: Resuming, spec: StepSpec, attempt: int, conversation: Conversation
) -> Attempt:
    """Answer the model's tool calls and ask again, round after round, until it answers."""
    tools = [tool.model_dump(mode="json") for tool in conversation.tools]
    for round_ in range(1, conversation.max_tool_rounds + 1):
        for call in conversation.calls:
            payload = {"tools": tools, "call": call.model_dump(mode="json"), "round": round_}
            done = await run.act(spec, attempt, f"r{round_}.{_ref(call.id)}", payload)
            if done.error is not None:
                return done
            conversation.used(ToolUse.model_validate(done.output["use"]), done.output["content"])
        asking = {
            "target": conversation.target.model_dump(mode="json"),
            "params": conversation.params.model_dump(mode="json"),
        }
        asked = await run.act(spec, attempt, f"r{round_}.chat", asking)
        if asked.error is not None:
            return asked
        conversation.answered(Turn.model_validate(asked.output))
        if not conversation.calls:
            return _finished(conversation)
    message = f"The model still called tools after {conversation.max_tool_rounds} rounds"
    details = [{"field": "max_tool_rounds", "tools": [c.name for c in conversation.calls]}]
    return Attempt.failed(StepError(ROUNDS_EXCEEDED, message, details))


def _finished(conversation: Conversation) -> Attempt:
    try:
        return Attempt(finished(conversation))
    except StepFailed as failure:
        return Attempt.failed(StepError(failure.code, failure.message, failure.details))


def _ref(call_id: str) -> str:
    """A tool call's id as a part of an idempotency key (a long or odd one hashed)."""
    if _PLAIN_ID.match(call_id):
        return call_id
    return "h" + hashlib.sha256(call_id.encode()).hexdigest()[:32]
