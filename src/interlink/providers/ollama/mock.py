"""A mock of Ollama's API (`ollama`): chat and generate (streamed as newline-delimited JSON or
not), embeddings, a model store that pull, create and delete change, and the models in memory
(`/api/ps`) that a call loads for its `keep_alive` and a generate without a prompt loads or,
with `keep_alive` 0, unloads.

As Ollama does: no credential is asked for (a request with a bearer token that is not the
mock's is refused 401, as a proxy in front would); `stream` is true unless the body says false;
errors are `{"error": "..."}` (404 for a model the server does not hold, 400 for bad input,
500 for a failure), and a failure after a stream began is a last line `{"error": ...}` of a 200
answer; an unknown path is `404 page not found` in plain text; no rate-limit headers. The
answers are deterministic (`mock_answers`), the store is `mock_store`.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from aiohttp import web
from aiohttp.typedefs import Handler

from interlink.core.clock import Clock
from interlink.providers.ollama import mock_answers as said
from interlink.providers.ollama.mock_store import LIBRARY, StoredModel, full_name, seeded
from interlink.testing.base import MockUpstream, json_response
from interlink.testing.faults import retry_after_header
from interlink.testing.toolkit import TokenGate, authorization

Obj = dict[str, Any]
VERSION = "0.12.6"
NDJSON = "application/x-ndjson"
ROLES = frozenset({"system", "user", "assistant", "tool"})
KEEP_ALIVE = 300.0  # seconds a model stays loaded after its last use, unless told otherwise
FOREVER = datetime(2318, 1, 1, tzinfo=UTC)  # where Ollama puts a negative keep_alive's end
NUM_CTX = 4096  # the context a model is loaded with
_DURATION = re.compile(r"(-?\d+(?:\.\d+)?)(ms|s|m|h)?")


class OllamaError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class OllamaMock(MockUpstream):
    """Ollama holding `llama3.2:latest` (chat, tools) and `nomic-embed-text:latest`
    (embeddings); `qwen2.5:0.5b` and `gemma3:1b` can be pulled from its library. `loaded`
    names models in memory from the start (for KEEP_ALIVE seconds). `pace`: seconds (on its
    clock) between two lines of a pull's or a create's progress, as a download takes time."""

    name: ClassVar[str] = "ollama"
    default_token: ClassVar[str] = "ollama-proxy-token"  # noqa: S105

    def __init__(
        self,
        *,
        token: str | None = None,
        clock: Clock | None = None,
        loaded: list[str] | None = None,
        pace: float = 0.0,
    ) -> None:
        self.loaded_at_start = [full_name(name) for name in loaded or []]
        self.pace = pace
        super().__init__(token=token, clock=clock)

    def reset_state(self) -> None:
        self.models: dict[str, StoredModel] = seeded(self.now())
        until = self.now() + timedelta(seconds=KEEP_ALIVE)
        # The models in memory, and until when.
        self.loaded: dict[str, datetime] = {name: until for name in self.loaded_at_start}

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/", self.root)
        router.add_get("/api/version", self.version)
        router.add_get("/api/tags", self.tags)
        router.add_get("/api/ps", self.running)
        router.add_post("/api/show", self.show)
        router.add_post("/api/chat", self.chat)
        router.add_post("/api/generate", self.generate)
        router.add_post("/api/embed", self.embed)
        router.add_post("/api/pull", self.pull)
        router.add_post("/api/create", self.create)
        router.add_delete("/api/delete", self.delete)

    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if "Authorization" in request.headers:
            refusal = TokenGate({self.token}, _refuse, (authorization("Bearer"),)).refusal(request)
            if refusal is not None:
                return refusal
        try:
            return await handler(request)
        except OllamaError as error:
            return _error(error.status, str(error))

    async def root(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text="Ollama is running")

    async def version(self, request: web.Request) -> web.StreamResponse:
        return json_response({"version": VERSION})

    async def tags(self, request: web.Request) -> web.StreamResponse:
        models = sorted(self.models.values(), key=lambda m: m.name)
        return json_response({"models": [model.tag() for model in models]})

    async def running(self, request: web.Request) -> web.StreamResponse:
        now = self.now()
        self.loaded = {name: until for name, until in self.loaded.items() if until > now}
        models = [self.models[name] for name in sorted(self.loaded) if name in self.models]
        return json_response({"models": [
            model.tag() | {"expires_at": _stamp(self.loaded[model.name]),
                           "size_vram": model.size, "context_length": NUM_CTX}
            for model in models
        ]})  # fmt: skip

    async def show(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        return json_response(self._model(body).shown())

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        model, asked = self._model(body, to_run=True), _name(body)
        messages, tools = _messages(body), _tools(body)
        if "completion" not in model.capabilities:
            raise OllamaError(400, f'"{asked}" does not support chat')
        if tools and "tools" not in model.capabilities:
            raise OllamaError(400, f"registry.ollama.ai/library/{asked} does not support tools")
        self._use(model, body)
        calls = said.tool_calls(messages, tools)
        text = "" if calls else said.text_answer(messages, body.get("format"))
        options = _object(body, "options")
        text, reason = said.limited(text, options.get("num_predict"), options.get("stop"))
        counts = {
            "prompt_eval_count": said.prompt_tokens(messages),
            "eval_count": said.words(text or json.dumps(calls)),
        }
        done = {"done": True, "done_reason": reason} | _durations(counts)
        if body.get("stream") is False:
            return json_response(self._said(asked, text, calls) | done)
        lines = [self._said(asked, piece) | {"done": False} for piece in said.pieces(text)]
        lines += [self._said(asked, "", calls) | {"done": False}] if calls else []
        return await _stream(request, [*lines, self._said(asked, "") | done])

    def _said(self, asked: str, content: str, calls: list[Obj] | None = None) -> Obj:
        """A chat answer's line: the stamp and the assistant's message."""
        message: Obj = {"role": "assistant", "content": content}
        return self._stamp_of(asked) | {
            "message": message | ({"tool_calls": calls} if calls else {})
        }

    async def generate(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        model, asked = self._model(body, to_run=True), _name(body)
        if "completion" not in model.capabilities:
            raise OllamaError(400, f'"{asked}" does not support generate')
        loading = self._use(model, body)
        if not body.get("prompt") and not body.get("system"):  # a load (or unload), no answer
            return json_response(self._stamp_of(asked) | {"response": "", "done": True,
                                                          "done_reason": loading})  # fmt: skip
        prompt = str(body.get("prompt") or "")
        messages = [{"role": "system", "content": body.get("system") or model.system or ""},
                    {"role": "user", "content": prompt}]  # fmt: skip
        options = _object(body, "options")
        text = said.text_answer(messages, body.get("format")) if prompt else ""
        text, reason = said.limited(text, options.get("num_predict"), options.get("stop"))
        counts = {"prompt_eval_count": said.prompt_tokens(messages), "eval_count": said.words(text)}
        done = {"done": True, "done_reason": reason, "context": [1, 2, 3]} | _durations(counts)
        if body.get("stream") is False:
            return json_response(self._stamp_of(asked) | {"response": text} | done)
        lines = [self._stamp_of(asked) | {"response": piece, "done": False}
                 for piece in said.pieces(text)]  # fmt: skip
        return await _stream(request, [*lines, self._stamp_of(asked) | {"response": ""} | done])

    async def embed(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        self._use(self._model(body, to_run=True), body)
        texts = body.get("input", [])
        texts = [texts] if isinstance(texts, str) else texts
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise OllamaError(400, "invalid input type")
        dimensions = body.get("dimensions")
        size = dimensions if isinstance(dimensions, int) and dimensions > 0 else said.DIMENSIONS
        vectors = [said.vector(text, min(size, said.DIMENSIONS)) for text in texts]
        counts = {"prompt_eval_count": sum(said.words(text) for text in texts)}
        return json_response({"model": _name(body), "embeddings": vectors} | _durations(counts))

    async def pull(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        name = full_name(_name(body))
        found = LIBRARY.get(name)
        lines: list[Obj] = [{"status": "pulling manifest"}]
        if found is None:
            return await self._failed(
                request, body, lines, "pull model manifest: file does not exist"
            )
        for layer, total in found.layers:
            lines += _layer_progress(layer, total)
        lines += [{"status": s} for s in ("verifying sha256 digest", "writing manifest", "success")]
        self.models[name] = replace(found, modified_at=self._now())
        if body.get("stream") is False:
            return json_response({"status": "success"})
        return await self._progress(request, lines)

    async def create(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        name = full_name(_name(body))
        base_name = body.get("from")
        if not isinstance(base_name, str) or not base_name:
            raise OllamaError(400, "neither 'from' or 'files' was specified")
        base = self._model({"model": base_name})
        made = base.derived(name, body.get("system"), body.get("template"),
                            body.get("parameters"), self._now())  # fmt: skip
        self.models[name] = made
        if body.get("stream") is False:
            return json_response({"status": "success"})
        steps = [f"using existing layer {base.layers[0][0]}", f"creating new layer {made.digest}",
                 "writing manifest", "success"]  # fmt: skip
        return await self._progress(request, [{"status": step} for step in steps])

    async def delete(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        model = self._model(body)
        del self.models[model.name]
        self.loaded.pop(model.name, None)
        return web.Response(status=200)

    def _use(self, model: StoredModel, body: Obj) -> str:
        """Loads the model for the body's `keep_alive` (0 unloads it); says which it did."""
        seconds = _seconds(body.get("keep_alive", KEEP_ALIVE))
        if seconds == 0:
            self.loaded.pop(model.name, None)
            return "unload"
        until = FOREVER if seconds is None else self.now() + timedelta(seconds=seconds)
        self.loaded[model.name] = until
        return "load"

    def _model(self, body: Obj, *, to_run: bool = False) -> StoredModel:
        """The model the body names; one to run (chat, generate, embed) says to pull it."""
        found = self.models.get(full_name(_name(body)))
        if found is None and to_run:
            raise OllamaError(404, f'model "{_name(body)}" not found, try pulling it first')
        if found is None:
            raise OllamaError(404, f"model '{_name(body)}' not found")
        return found

    async def _progress(self, request: web.Request, lines: list[Obj]) -> web.StreamResponse:
        """A pull's or a create's progress: a line every `pace` seconds, or all in one body
        (what the fixtures record) when the mock has no pace."""
        if not self.pace:
            return _ndjson_body(lines)
        return await _stream(request, lines, self.clock, self.pace)

    async def _failed(
        self, request: web.Request, body: Obj, lines: list[Obj], message: str
    ) -> web.StreamResponse:
        """A failure after a stream began is its last line; unstreamed, a 500."""
        if body.get("stream") is False:
            raise OllamaError(500, message)
        return _ndjson_body([*lines, {"error": message}])

    def _now(self) -> str:
        return _stamp(self.now())

    def _stamp_of(self, asked: str) -> Obj:
        """The model as the request named it, and the answer's time."""
        return {"model": asked, "created_at": self._now()}

    # Ollama's answers to injected faults.

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        headers = {"Retry-After": retry_after_header(retry_after)}
        return json_response({"error": "too many requests"}, status=429, headers=headers)

    def server_error_response(self, status: int) -> web.StreamResponse:
        """Ollama's overload (its queue of OLLAMA_MAX_QUEUE requests is full) is a 503; a model
        runner that crashed, a 500."""
        if status == 503:
            return _error(503, "server busy, please try again.  maximum pending requests exceeded")
        return _error(status, "llama runner process has terminated: exit status 2")

    def forbidden_response(self, request: web.Request) -> web.StreamResponse:
        return _error(403, "forbidden")

    def missing_response(self, request: web.Request) -> web.StreamResponse:
        return _error(404, "model 'missing' not found")

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=404, text="404 page not found")


async def _body(request: web.Request) -> Obj:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        raise OllamaError(400, "invalid character in request body") from None
    if not isinstance(body, dict):
        raise OllamaError(400, "json: cannot unmarshal array into Go value")
    return body


def _name(body: Obj) -> str:
    name = body.get("model") or body.get("name")
    if not isinstance(name, str) or not name:
        raise OllamaError(400, "model is required")
    return name


def _messages(body: Obj) -> list[Obj]:
    messages = body.get("messages") or []
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise OllamaError(400, "invalid message format")
    for message in messages:
        if message.get("role") not in ROLES:
            raise OllamaError(400, f"invalid role: {message.get('role')}")
    return messages


def _tools(body: Obj) -> list[Obj]:
    tools = body.get("tools") or []
    valid = isinstance(tools, list) and all(
        isinstance(t, dict) and isinstance(t.get("function"), dict) and t["function"].get("name")
        for t in tools
    )
    if not valid:
        raise OllamaError(400, "invalid tool format")
    return tools


def _seconds(keep_alive: Any) -> float | None:
    """`keep_alive` in seconds (a number, or a duration: 300ms, 30s, 5m, 1h); None for a
    negative one (kept until unloaded)."""
    if isinstance(keep_alive, int | float) and not isinstance(keep_alive, bool):
        seconds = float(keep_alive)
    else:
        found = _DURATION.fullmatch(str(keep_alive))
        if found is None:
            raise OllamaError(400, f'time: invalid duration "{keep_alive}"')
        unit = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[found.group(2) or "s"]
        seconds = float(found.group(1)) * unit
    return None if seconds < 0 else seconds


def _stamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _object(body: Obj, key: str) -> Obj:
    found = body.get(key)
    return found if isinstance(found, dict) else {}


def _durations(counts: Obj) -> Obj:
    """The nanosecond timings Ollama reports beside its counts (fixed: the mock is instant)."""
    return (
        {"total_duration": 1_000_000, "load_duration": 100_000}
        | counts
        | ({"prompt_eval_duration": 200_000} if "prompt_eval_count" in counts else {})
        | ({"eval_duration": 700_000} if "eval_count" in counts else {})
    )


def _ndjson_body(lines: list[Obj]) -> web.Response:
    """Newline-delimited JSON in one body (a pull's or a create's progress, all at once)."""
    text = "".join(json.dumps(line) + "\n" for line in lines)
    return web.Response(text=text, content_type=NDJSON)


def _layer_progress(layer: str, total: int) -> list[Obj]:
    """A layer's download as Ollama reports it: its size first (`completed` 0 is left out, as
    Ollama's Go encoder omits empty fields), then the bytes done, a tenth at a time."""
    step: Obj = {"status": f"pulling {layer.removeprefix('sha256:')[:12]}", "digest": layer,
                 "total": total}  # fmt: skip
    return [step] + [step | {"completed": total * n // 10} for n in range(1, 11)]


async def _stream(
    request: web.Request, lines: list[Obj], clock: Clock | None = None, pace: float = 0.0
) -> web.StreamResponse:
    """Newline-delimited JSON written a line at a time, as Ollama streams an answer; `pace`
    seconds on `clock` between two lines (a pull's download taking its time)."""
    response = web.StreamResponse(headers={"Content-Type": NDJSON})
    await response.prepare(request)
    for number, line in enumerate(lines):
        if number and clock is not None:
            await clock.sleep(pace)
        await response.write(json.dumps(line).encode() + b"\n")
    await response.write_eof()
    return response


def _refuse(request: web.Request, token: str) -> web.StreamResponse:
    return _error(401, "unauthorized")


def _error(status: int, message: str) -> web.Response:
    return json_response({"error": message}, status=status)


MOCK = OllamaMock
