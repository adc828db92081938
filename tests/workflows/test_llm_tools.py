"""The `llm` step on an AI route (the gateway's policy and fallback) and with tools (operations
of integrations the model calls), against the OpenAI mock and a recording upstream on loopback;
and what is refused of them when a definition is saved."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from interlink.providers.anthropic.mock import AnthropicMock
from interlink.providers.gemini.mock import GeminiMock
from interlink.providers.ollama.mock import OllamaMock
from interlink.providers.openai.mock import OpenAIMock
from interlink.testing.faults import Fault
from interlink.testing.server import RunningMock, serve_mock
from tests.conftest import data, error
from tests.helpers.integrations import create_active, http_integration
from tests.helpers.servers import serve_app
from tests.transport.conftest import Upstream
from tests.workflows.conftest import create_workflow, run_to_end, step_of

NOTES = {"method": "POST", "path": "/notes", "url": None}  # fixed of the `request` tool


@pytest.fixture
async def openai() -> AsyncIterator[RunningMock[OpenAIMock]]:
    async with serve_mock(OpenAIMock()) as running:
        yield running


async def _models(client: httpx.AsyncClient, api_url: str, name: str = "Models") -> str:
    body = {
        "name": name,
        "type": "openai",
        "configuration": {"api_url": api_url, "auth_method": "api_key"},
        "credentials": {"api_key": OpenAIMock.default_token},
    }
    return await create_active(client, body)


async def _route(client: httpx.AsyncClient, name: str, *targets: str) -> None:
    body = {"name": name, "targets": [{"integration": t, "model": "gpt-4o-mini"} for t in targets]}
    response = await client.post("/api/v1/ai/routes", json=body)
    assert response.status_code == 201, response.text


async def _refused(client: httpx.AsyncClient, step: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.post(
        "/api/v1/workflows", json={"name": "x", "definition": {"steps": [step]}}
    )
    assert response.status_code == 400, response.text
    assert data(await client.get("/api/v1/workflows"))["items"] == []
    details: list[dict[str, Any]] = error(response)["details"]
    return details


def _notify(upstream_id: str, **fields: Any) -> dict[str, Any]:
    return {"name": "notify", "integration": upstream_id, "action": "request", **fields}


# -- a route as the target ------------------------------------------------------------------------
async def test_an_llm_step_on_a_route_says_who_served_it_and_what_it_cost(
    client: httpx.AsyncClient, openai: RunningMock[OpenAIMock]
) -> None:
    models = await _models(client, openai.api_url)
    await _route(client, "smart", models)
    workflow = await create_workflow(
        client, [{"name": "ask", "type": "llm", "config": {"route": "smart", "prompt": "Hi"}}]
    )

    ended = await run_to_end(client, workflow["id"])

    assert ended["status"] == "completed", [s["error"] for s in ended["steps"]]
    output = step_of(ended, "ask")["output"]
    assert output["text"] == "You said: Hi"
    served = (output["integration_id"], output["integration"], output["provider"])
    assert served == (models, "Models", "openai")
    assert output["model"] == "gpt-4o-mini"
    assert (output["route"], output["route_version"], output["fallbacks"]) == ("smart", 1, 0)
    assert float(output["cost"]) > 0
    assert output["tool_calls"] == []


async def test_an_llm_step_on_a_route_falls_back_as_the_gateway_does(
    client: httpx.AsyncClient, openai: RunningMock[OpenAIMock]
) -> None:
    first = await _models(client, openai.api_url, "First")
    second = await _models(client, openai.api_url, "Second")
    await _route(client, "smart", first, second)
    openai.mock.faults.add(Fault.error(503), times=1, path_prefix="/v1/chat")
    workflow = await create_workflow(
        client, [{"name": "ask", "type": "llm", "config": {"route": "smart", "prompt": "Hi"}}]
    )

    ended = await run_to_end(client, workflow["id"])

    assert ended["status"] == "completed", [s["error"] for s in ended["steps"]]
    output = step_of(ended, "ask")["output"]
    assert (output["integration_id"], output["fallbacks"]) == (second, 1)
    fallbacks = data(await client.get("/api/v1/events?type=ai.fallback"))["items"]
    assert [e["data"]["error_code"] for e in fallbacks] == ["EXTERNAL_SERVICE_ERROR"]


async def test_an_unknown_route_is_refused_when_the_workflow_is_saved(
    client: httpx.AsyncClient,
) -> None:
    step = {"name": "ask", "type": "llm", "config": {"route": "nowhere", "prompt": "Hi"}}

    details = await _refused(client, step)

    assert details == [
        {
            "step": "ask",
            "field": "config.route",
            "message": "no AI route named 'nowhere' in this workspace",
        }
    ]


async def test_a_route_and_an_integration_together_are_refused(client: httpx.AsyncClient) -> None:
    config = {"route": "smart", "integration": "int_x", "model": "m", "prompt": "Hi"}

    details = await _refused(client, {"name": "ask", "type": "llm", "config": config})

    assert any("not both" in d["message"] for d in details), details


# -- tools ----------------------------------------------------------------------------------------
async def test_the_models_tool_call_runs_the_operation_and_its_result_goes_back(
    client: httpx.AsyncClient, openai: RunningMock[OpenAIMock], upstream: Upstream
) -> None:
    models = await _models(client, openai.api_url)
    notes = await http_integration(client, upstream.url)
    config = {"integration": models, "model": "gpt-4o-mini", "prompt": "please notify the team",
              "tools": [_notify(notes, parameters=NOTES)]}  # fmt: skip
    workflow = await create_workflow(client, [{"name": "ask", "type": "llm", "config": config}])

    ended = await run_to_end(client, workflow["id"])

    assert ended["status"] == "completed", [s["error"] for s in ended["steps"]]
    output = step_of(ended, "ask")["output"]
    assert [(s["method"], s["path"]) for s in upstream.seen] == [("POST", "/notes")]
    assert json.loads(upstream.seen[0]["body"]) == "please notify the team"
    [call] = output["tool_calls"]
    called = (call["round"], call["name"], call["integration_id"], call["action"])
    assert called == (1, "notify", notes, "request")
    assert set(call["arguments"]) == {"query", "headers", "body", "idempotency_key"}
    assert call["result"]["status"] == 200
    assert call["operation_id"].startswith("op_")
    assert output["text"].startswith("The tool answered: ")
    assert output["rounds"] == 2
    assert openai.mock.completions == 2
    sent = [c for c in openai.mock.calls if c.path == "/v1/chat/completions"]
    tools = json.loads(sent[0].body)["tools"]
    assert set(tools[0]["function"]["parameters"]["properties"]) == set(call["arguments"])


async def test_a_routes_model_calls_tools_and_every_round_is_charged(
    client: httpx.AsyncClient, openai: RunningMock[OpenAIMock], upstream: Upstream
) -> None:
    models = await _models(client, openai.api_url)
    await _route(client, "smart", models)
    notes = await http_integration(client, upstream.url)
    config = {"route": "smart", "prompt": "please notify the team",
              "tools": [_notify(notes, parameters=NOTES)]}  # fmt: skip
    workflow = await create_workflow(client, [{"name": "ask", "type": "llm", "config": config}])

    ended = await run_to_end(client, workflow["id"])

    assert ended["status"] == "completed", [s["error"] for s in ended["steps"]]
    output = step_of(ended, "ask")["output"]
    assert [(c["name"], c["result"]["status"]) for c in output["tool_calls"]] == [("notify", 200)]
    assert (output["route"], output["integration_id"], output["rounds"]) == ("smart", models, 2)
    usage = data(await client.get("/api/v1/ai/usage"))["total"]
    assert usage["calls"] == 2
    assert float(output["cost"]) == pytest.approx(float(usage["cost_usd"]))


PROVIDERS = [
    (OpenAIMock, "openai", "gpt-4o-mini"),
    (AnthropicMock, "anthropic", "claude-haiku-4-5-20251001"),
    (GeminiMock, "gemini", "gemini-2.5-flash"),
    (OllamaMock, "ollama", "llama3.2"),
]


@pytest.mark.parametrize(("mock", "kind", "model"), PROVIDERS, ids=[p[1] for p in PROVIDERS])
async def test_each_providers_tool_call_runs_the_operation_once(
    client: httpx.AsyncClient, upstream: Upstream, mock: Any, kind: str, model: str
) -> None:
    fixed = NOTES | {"idempotency_key": None}  # Gemini's mock fills a nullable string badly
    async with serve_mock(mock()) as running:
        configuration = {"api_url": running.api_url, "auth_method": "api_key"}
        body = {"name": kind, "type": kind, "configuration": configuration}
        if kind != "ollama":
            body["credentials"] = {"api_key": running.mock.token}
        models = await create_active(client, body)
        notes = await http_integration(client, upstream.url)
        config = {"integration": models, "model": model, "prompt": "please notify the team",
                  "max_tokens": 500, "tools": [_notify(notes, parameters=fixed)]}  # fmt: skip
        workflow = await create_workflow(client, [{"name": "ask", "type": "llm", "config": config}])

        ended = await run_to_end(client, workflow["id"])

    assert ended["status"] == "completed", [s["error"] for s in ended["steps"]]
    output = step_of(ended, "ask")["output"]
    assert [c["error"] for c in output["tool_calls"]] == [None], output
    assert [(s["method"], s["path"]) for s in upstream.seen] == [("POST", "/notes")]
    assert [(c["name"], c["result"]["status"]) for c in output["tool_calls"]] == [("notify", 200)]
    assert output["rounds"] == 2
    assert output["text"]


async def test_arguments_the_operation_refuses_go_back_to_the_model_as_its_error(
    client: httpx.AsyncClient, openai: RunningMock[OpenAIMock], upstream: Upstream
) -> None:
    """Unfixed, the mock fills both `path` and `url` of `request`, which wants one of them."""
    models = await _models(client, openai.api_url)
    notes = await http_integration(client, upstream.url)
    config = {"integration": models, "model": "gpt-4o-mini", "prompt": "please notify the team",
              "tools": [_notify(notes)]}  # fmt: skip
    workflow = await create_workflow(client, [{"name": "ask", "type": "llm", "config": config}])

    ended = await run_to_end(client, workflow["id"])

    assert ended["status"] == "completed", [s["error"] for s in ended["steps"]]
    output = step_of(ended, "ask")["output"]
    [call] = output["tool_calls"]
    assert call["error"]["code"] == "PARAMETER_VALIDATION_ERROR"
    assert "PARAMETER_VALIDATION_ERROR" in output["text"]
    assert upstream.seen == []


@pytest.mark.parametrize(
    ("tool", "field", "says"),
    [
        ({"integration": "int_nope", "action": "request"}, "integration_id", "no integration"),
        ({"action": "no_such_action"}, "action", "has no operation `no_such_action`"),
        ({"action": "request", "parameters": {"bogus": 1}}, "parameters.bogus", "no parameter"),
    ],
)
async def test_a_malformed_tool_is_refused_when_the_workflow_is_saved(
    client: httpx.AsyncClient,
    upstream: Upstream,
    tool: dict[str, Any],
    field: str,
    says: str,
) -> None:
    notes = await http_integration(client, upstream.url)
    config = {"route": None, "integration": notes, "model": "m", "prompt": "Hi",
              "tools": [{"name": "notify", "integration": notes, **tool}]}  # fmt: skip

    details = await _refused(client, {"name": "ask", "type": "llm", "config": config})

    named = [d for d in details if d["field"] == f"config.tools.0.{field}"]
    assert len(named) == 1, details
    assert says in named[0]["message"]


async def test_tools_in_a_foreachs_llm_step_are_refused(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    notes = await http_integration(client, upstream.url)
    nested = {"type": "llm", "config": {"route": "smart", "prompt": "{{ item }}",
                                        "tools": [_notify(notes)]}}  # fmt: skip
    step = {"name": "each", "type": "foreach", "config": {"items": [1], "step": nested}}

    details = await _refused(client, step)

    assert {"step": "each", "field": "config.step.config.tools",
            "message": "a foreach's llm step takes no tools"} in details  # fmt: skip


# -- a model that never stops calling tools --------------------------------------------------------
@pytest.fixture
async def insistent() -> AsyncIterator[str]:
    """An OpenAI-compatible server whose model answers every chat with a call of its first
    tool."""

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        function = {"name": body["tools"][0]["function"]["name"], "arguments": "{}"}
        call = {"id": f"call_{len(body['messages'])}", "type": "function", "function": function}
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        return web.json_response({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10},
        })  # fmt: skip

    application = web.Application()
    application.router.add_post("/v1/chat/completions", chat)
    async with serve_app(application) as url:
        yield url + "/v1"


async def test_a_model_calling_tools_past_max_tool_rounds_fails_the_step(
    client: httpx.AsyncClient, insistent: str, upstream: Upstream
) -> None:
    models = await _models(client, insistent)
    notes = await http_integration(client, upstream.url)
    config = {"integration": models, "model": "gpt-4o-mini", "prompt": "go",
              "tools": [_notify(notes, parameters=NOTES)], "max_tool_rounds": 2}  # fmt: skip
    workflow = await create_workflow(client, [{"name": "ask", "type": "llm", "config": config}])

    ended = await run_to_end(client, workflow["id"])

    assert ended["status"] == "failed"
    failed = step_of(ended, "ask")["error"]
    assert failed["code"] == "LLM_TOOL_ROUNDS_EXCEEDED"
    assert failed["message"] == "The model still called tools after 2 rounds"
    assert len(upstream.seen) == 2
