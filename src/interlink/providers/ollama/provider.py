"""Ollama (`ollama`): language models served by an Ollama server, and their management.

Ollama listens on `http://localhost:11434` and asks for no credential; one behind a proxy that
wants a bearer token takes it as the integration's `api_key`. `chat`, `embeddings` and
`list_models` take and give the shared shapes of `kit/llm.py` (`translate` maps them to
`/api/chat`); `stream_chat` streams `/api/chat`'s newline-delimited JSON; `generate` is
`/api/generate`; `pull_model`, `show_model`, `delete_model` and `create_model` manage the
server's models, `load_model`, `unload_model` and `running_models` which of them are in memory
(switching models). Errors are `{"error": "..."}`: 404 for an unknown model, 400 for bad input,
500 for the server's own failures; a streamed answer that fails after it began says so in a
line of its own (`{"error": ...}`) with status 200. Ollama sends no rate-limit headers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

from interlink.providers.kit.action import Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.llm import (
    ChatChunk,
    ChatInput,
    ChatOutput,
    EmbeddingsInput,
    EmbeddingsOutput,
    ListModelsInput,
    ModelInfo,
    ModelList,
    Usage,
)
from interlink.providers.kit.types import IntegrationType
from interlink.providers.ollama import answers, translate
from interlink.providers.ollama.models import (
    CreateModelInput,
    GenerateInput,
    GenerateOutput,
    LoadModelInput,
    ModelDetails,
    ModelInput,
    PullModelInput,
    PullOutput,
    RunningModel,
    RunningModels,
    StatusOutput,
)
from interlink.transport.auth import auth_headers
from interlink.transport.headers import RateLimitHeaders


class OllamaConnector(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "ollama",
        "Ollama",
        "Local language models on an Ollama server: chat, generate, embeddings, model management",
        default_api_url="http://localhost:11434",
        default_auth_method="api_key",
        auth_methods=("api_key",),
        required_credentials={"api_key": ()},  # none; a proxy's bearer token as api_key
        api_url_hint=(
            "the Ollama server's URL, e.g. http://gpu-box.internal:11434; a loopback or private "
            "address needs INTERLINK_ALLOW_PRIVATE_URLS=true on the server (docs/ollama.md)"
        ),
        docs_url="https://github.com/ollama/ollama/blob/main/docs/api.md",
    )
    category = "ai"
    check_path = "/api/version"
    rate_headers: ClassVar[RateLimitHeaders | None] = None

    @classmethod
    def auth_headers(cls, auth_method: str, credentials: Mapping[str, Any]) -> dict[str, str]:
        """No Authorization header without a key: a local Ollama asks for none."""
        if not any(credentials.get(name) for name in ("api_key", "token")):
            return {}
        return auth_headers(auth_method, credentials, bearer_scheme=cls.bearer_scheme)

    @classmethod
    def who(cls, answer: Mapping[str, Any]) -> str:
        return f"Ollama {answer.get('version', '?')}"

    @action(idempotent=True)
    async def chat(self, ctx: ActionContext, params: ChatInput) -> ChatOutput:
        """Answers a conversation (`/api/chat`): tools, JSON output or a JSON schema's."""
        response = await ctx.http.post("/api/chat", json=translate.chat_body(params, stream=False))
        return translate.chat_output(answers.document(response))

    async def stream_chat(self, ctx: ActionContext, params: ChatInput) -> AsyncIterator[ChatChunk]:
        """The chat's answer as it comes: `/api/chat` streamed, a JSON object a line; the last
        chunk says why it ended and the usage. A stream that stops before its last line (`done`)
        or says `error` ends with our error."""
        body = translate.chat_body(params, stream=True)
        calls = 0
        async for line in _lines_until_done(ctx, "/api/chat", body):
            chunk = translate.chat_chunk(line, calls)
            calls += len(chunk.tool_calls)
            yield chunk

    async def stream_generate(
        self, ctx: ActionContext, params: GenerateInput
    ) -> AsyncIterator[ChatChunk]:
        """`generate` as it comes (`/api/generate` streamed): the completion's pieces as the
        chunks' `content`, the last with why it ended and the usage."""
        body = translate.generate_body(params, stream=True)
        async for line in _lines_until_done(ctx, "/api/generate", body):
            yield translate.generate_chunk(line)

    @action(idempotent=True)
    async def generate(self, ctx: ActionContext, params: GenerateInput) -> GenerateOutput:
        """Completes one prompt (`/api/generate`): no conversation, the model's own template
        around the prompt and the system prompt."""
        body = translate.generate_body(params, stream=False)
        response = await ctx.http.post("/api/generate", json=body)
        answer = answers.document(response)
        return GenerateOutput(
            model=str(answer.get("model", params.model)),
            response=str(answer.get("response", "")),
            finish_reason="length" if answer.get("done_reason") == "length" else "stop",
            usage=translate.usage(answer),
        )

    @action(idempotent=True)
    async def embeddings(self, ctx: ActionContext, params: EmbeddingsInput) -> EmbeddingsOutput:
        """Embeds texts (`/api/embed`): one vector per text, in order."""
        body: dict[str, Any] = {"model": params.model, "input": params.input}
        if params.dimensions is not None:
            body["dimensions"] = params.dimensions
        answer = answers.document(await ctx.http.post("/api/embed", json=body))
        return EmbeddingsOutput(
            model=str(answer.get("model", params.model)),
            vectors=answers.vectors(answer, len(params.input)),
            usage=Usage(prompt_tokens=translate.usage(answer).prompt_tokens),
        )

    @action()
    async def list_models(self, ctx: ActionContext, params: ListModelsInput) -> ModelList:
        """Lists the models the server holds (`/api/tags`)."""
        answer = answers.document(await ctx.http.get("/api/tags"))
        models = answer.get("models")
        if not isinstance(models, list):
            raise answers.garbled("the model list")
        names = [m.get("name") or m.get("model") for m in models if isinstance(m, dict)]
        return ModelList(items=[ModelInfo(id=str(name)) for name in names if name])

    @action(idempotent=True)
    async def show_model(self, ctx: ActionContext, params: ModelInput) -> ModelDetails:
        """Describes one model (`/api/show`): family, size, capabilities, context, Modelfile
        parameters, template and system prompt."""
        answer = await ctx.http.post("/api/show", json={"model": params.model})
        return answers.model_details(params.model, answers.document(answer))

    @action(idempotent=True)
    async def pull_model(self, ctx: ActionContext, params: PullModelInput) -> PullOutput:
        """Downloads a model from its registry (`/api/pull`), reporting its progress as it
        goes (each step, and the bytes of the layers so far); returns the last status
        (success) and the largest `completed`/`total` seen."""
        body = {"model": params.model, "insecure": params.insecure, "stream": True}
        progress = answers.Progress(params.model)
        async with ctx.http.stream("POST", "/api/pull", json=body) as answer:
            async for raw in answer.lines():
                progress.add(answers.line(raw), ctx.log)
                await ctx.progress(progress.status, *progress.bytes())
        return progress.result()

    @action(idempotent=True)
    async def load_model(self, ctx: ActionContext, params: LoadModelInput) -> StatusOutput:
        """Loads a model into memory and keeps it there for `keep_alive` (`/api/generate`
        without a prompt): switching models ahead of the calls that use it."""
        body = {"model": params.model, "keep_alive": params.keep_alive}
        answers.document(await ctx.http.post("/api/generate", json=body))
        return StatusOutput(model=params.model, status="loaded")

    @action(idempotent=True)
    async def unload_model(self, ctx: ActionContext, params: ModelInput) -> StatusOutput:
        """Unloads a model from memory now (`/api/generate` with `keep_alive` 0), freeing it
        for another."""
        body = {"model": params.model, "keep_alive": 0}
        answers.document(await ctx.http.post("/api/generate", json=body))
        return StatusOutput(model=params.model, status="unloaded")

    @action()
    async def running_models(self, ctx: ActionContext, params: ListModelsInput) -> RunningModels:
        """Lists the models loaded in memory (`/api/ps`), with when each is unloaded."""
        answer = answers.document(await ctx.http.get("/api/ps"))
        models = answer.get("models")
        if not isinstance(models, list):
            raise answers.garbled("the running models")
        return RunningModels(
            items=[RunningModel.model_validate(m) for m in models if isinstance(m, dict)]
        )

    @action()
    async def delete_model(self, ctx: ActionContext, params: ModelInput) -> StatusOutput:
        """Deletes a model and the data no other model uses (`DELETE /api/delete`)."""
        await ctx.http.request("DELETE", "/api/delete", json={"model": params.model})
        return StatusOutput(model=params.model, status="success")

    @action(idempotent=True)
    async def create_model(self, ctx: ActionContext, params: CreateModelInput) -> StatusOutput:
        """Creates a custom model from another (`/api/create`, as a Modelfile's FROM, SYSTEM,
        TEMPLATE and PARAMETER lines would), reporting each step as it goes; creating it again
        replaces it."""
        body: dict[str, Any] = {"model": params.model, "from": params.from_model, "stream": True}
        body |= {k: v for k, v in (("system", params.system), ("template", params.template)) if v}
        if params.parameters:
            body["parameters"] = params.parameters
        status = ""
        async with ctx.http.stream("POST", "/api/create", json=body) as answer:
            async for raw in answer.lines():
                status = str(answers.line(raw).get("status", ""))
                await ctx.progress(status)
        if status != "success":
            raise answers.ended_early("create", status)
        return StatusOutput(model=params.model, status=status)


async def _lines_until_done(
    ctx: ActionContext, path: str, body: dict[str, Any]
) -> AsyncIterator[dict[str, Any]]:
    """A streamed answer's lines up to the one that says `done`; one that says `error`, or a
    stream that stops before `done`, ends with our error."""
    async with ctx.http.stream("POST", path, json=body) as answer:
        async for raw in answer.lines():
            line = answers.line(raw)
            yield line
            if line.get("done") is True:
                return
    raise answers.cut_short()
