"""The `llm` step: what is refused when a definition is saved, and how a model's answer becomes
the step's structured output."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from interlink.providers.openai.mock import OpenAIMock
from interlink.testing.server import RunningMock, serve_mock
from interlink.workflows.steps.base import StepFailed
from interlink.workflows.steps.llm import structured
from tests.conftest import data, error
from tests.helpers.integrations import create_active, http_integration
from tests.transport.conftest import Upstream
from tests.workflows.conftest import create_workflow, run_to_end, step_of

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name", "age"],
}


async def _refused(client: httpx.AsyncClient, step: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.post(
        "/api/v1/workflows", json={"name": "x", "definition": {"steps": [step]}}
    )
    assert response.status_code == 400, response.text
    assert data(await client.get("/api/v1/workflows"))["items"] == []
    details: list[dict[str, Any]] = error(response)["details"]
    return details


async def test_an_llm_step_on_an_integration_that_is_no_language_model_is_refused(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    plain = await http_integration(client, upstream.url)
    step = {"name": "ask", "type": "llm",
            "config": {"integration_id": plain, "model": "m", "prompt": "hi"}}  # fmt: skip

    details = await _refused(client, step)

    assert details == [
        {
            "step": "ask",
            "field": "config.integration_id",
            "message": "a http integration is not a language model (it has no `chat`)",
        }
    ]


async def test_an_output_schema_that_is_no_json_schema_is_refused(
    client: httpx.AsyncClient,
) -> None:
    config = {"integration_id": "int_x", "model": "m", "prompt": "hi",
              "output_schema": {"type": "no-such-type"}}  # fmt: skip

    details = await _refused(client, {"name": "ask", "type": "llm", "config": config})

    schema = [d for d in details if d["field"] == "config.output_schema"]
    assert len(schema) == 1
    assert "not a JSON Schema" in schema[0]["message"]


def test_an_answer_of_the_schema_is_the_steps_data() -> None:
    assert structured('{"name": "Ada", "age": 36}', PERSON) == {"name": "Ada", "age": 36}


def test_an_answer_that_is_not_json_fails_the_step() -> None:
    with pytest.raises(StepFailed) as failed:
        structured("Sure! Here is the person: Ada, 36", PERSON)

    assert (failed.value.code, failed.value.message) == (
        "INVALID_LLM_OUTPUT",
        "The model's answer is not JSON",
    )


def test_each_mismatch_with_the_schema_is_named() -> None:
    with pytest.raises(StepFailed) as failed:
        structured('{"name": 7, "age": -1}', PERSON)

    assert failed.value.code == "INVALID_LLM_OUTPUT"
    assert [d["field"] for d in failed.value.details] == ["data.age", "data.name"]


@pytest.fixture
async def openai() -> AsyncIterator[RunningMock[OpenAIMock]]:
    async with serve_mock(OpenAIMock()) as running:
        yield running


async def _openai_integration(client: httpx.AsyncClient, running: RunningMock[OpenAIMock]) -> str:
    body = {
        "name": "Models",
        "type": "openai",
        "configuration": {"api_url": running.api_url, "auth_method": "api_key"},
        "credentials": running.mock.integration_credentials("api_key"),
    }
    return await create_active(client, body)


async def test_an_llm_step_answers_from_its_rendered_prompt_once(
    client: httpx.AsyncClient, openai: RunningMock[OpenAIMock]
) -> None:
    models = await _openai_integration(client, openai)
    workflow = await create_workflow(
        client,
        [
            {"name": "ask", "type": "llm",
             "config": {"integration": models, "model": "gpt-4o-mini",
                        "system": "Be brief.", "prompt": "Hello {{ input.name }}"}},
        ],
    )  # fmt: skip

    ended = await run_to_end(client, workflow["id"], {"name": "Ada"})

    assert ended["status"] == "completed", [s["error"] for s in ended["steps"]]
    output = step_of(ended, "ask")["output"]
    assert output["text"] == "You said: Hello Ada"
    assert output["model"].startswith("gpt-4o-mini")
    assert output["finish_reason"] == "stop"
    assert output["usage"]["prompt_tokens"] > 0
    assert openai.mock.completions == 1


async def test_an_llm_step_with_an_output_schema_gives_its_data(
    client: httpx.AsyncClient, openai: RunningMock[OpenAIMock]
) -> None:
    models = await _openai_integration(client, openai)
    workflow = await create_workflow(
        client,
        [
            {"name": "extract", "type": "llm",
             "config": {"integration": models, "model": "gpt-4o", "prompt": "Ada, 36",
                        "output_schema": PERSON}},
            {"name": "use", "type": "transform",
             "config": {"jmespath": "steps.extract.output.data"}},
        ],
    )  # fmt: skip

    ended = await run_to_end(client, workflow["id"])

    assert ended["status"] == "completed", [s["error"] for s in ended["steps"]]
    data_ = step_of(ended, "use")["output"]
    assert set(data_) == {"name", "age"}
    assert isinstance(data_["name"], str)
    assert isinstance(data_["age"], int)
