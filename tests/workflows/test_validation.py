"""Definitions are checked when saved: each problem names its step and field; nothing is saved."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import data, error
from tests.helpers.integrations import http_integration
from tests.transport.conftest import Upstream


async def _refused(client: httpx.AsyncClient, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = await client.post(
        "/api/v1/workflows", json={"name": "x", "definition": {"steps": steps}}
    )
    assert response.status_code == 400, response.text
    body = error(response)
    assert body["code"] == "INVALID_REQUEST"
    listed = data(await client.get("/api/v1/workflows"))["items"]
    assert listed == []
    details: list[dict[str, Any]] = body["details"]
    return details


@pytest.mark.parametrize(
    ("steps", "step", "field", "words"),
    [
        ([{"name": "a", "type": "teleport"}], "a", "type", "unknown step type"),
        ([{"name": "a", "type": "http_request", "config": {}}], "a", "config.url", "required"),
        (
            [{"name": "a", "type": "delay", "config": {"seconds": -1}}],
            "a",
            "config.seconds",
            "greater",
        ),
        (
            [{"name": "a", "type": "set", "config": {"values": {"x": 1}}}] * 2,
            "a",
            "name",
            "used twice",
        ),
        (
            [
                {
                    "name": "a",
                    "type": "set",
                    "config": {"values": {"x": "{{ steps.ghost.output.y }}"}},
                }
            ],
            "a",
            "config",
            "not a step",
        ),
        (
            [
                {"name": "a", "type": "set", "config": {"values": {"x": "{{ steps.b.output.y }}"}}},
                {"name": "b", "type": "set", "config": {"values": {"y": 1}}},
            ],
            "a",
            "config",
            "runs after",
        ),
        (
            [
                {"name": "a", "type": "set", "config": {"values": {"y": 1}}},
                {"name": "b", "type": "set", "config": {"values": {"x": "{{ steps.a.output.z }}"}}},
            ],
            "b",
            "config",
            "no field `z`",
        ),
        (
            [
                {"name": "a", "type": "set", "config": {"values": {"y": 1}}},
                {"name": "b", "type": "condition", "config": {"expression": "true", "then": ["a"]}},
            ],
            "b",
            "config.then",
            "cycle",
        ),
        (
            [{"name": "a", "type": "set", "config": {"values": {"x": "{{ input.x "}}}],
            "a",
            "config.values.x",
            "template syntax",
        ),
        (
            [{"name": "a", "type": "transform", "config": {"jmespath": "a[?"}}],
            "a",
            "config",
            "jmespath",
        ),
        (
            [{"name": "a", "type": "set", "config": {"values": {"x": 1}}, "on_error": "nobody"}],
            "a",
            "on_error",
            "not a step",
        ),
    ],
)
async def test_a_bad_definition_is_refused_naming_the_step_and_field(
    client: httpx.AsyncClient, steps: list[dict[str, Any]], step: str, field: str, words: str
) -> None:
    details = await _refused(client, steps)

    assert any(
        d["step"] == step and d["field"] == field and words in d["message"].lower() for d in details
    ), details


DEEP = 3000
PARENTHESES = "(" * DEEP + "a" + ")" * DEEP


def _set(value: str) -> dict[str, Any]:
    return {"name": "a", "type": "set", "config": {"values": {"x": value}}}


def _condition(expression: str) -> dict[str, Any]:
    return {"name": "a", "type": "condition", "config": {"expression": expression}}


@pytest.mark.parametrize(
    ("step", "field", "words"),
    [
        (
            {"name": "a", "type": "transform", "config": {"jmespath": PARENTHESES}},
            "config",
            "nests too deeply",
        ),
        (
            {"name": "a", "type": "transform", "config": {"jmespath": "!" * DEEP + "a"}},
            "config",
            "nests too deeply",
        ),
        (_set(f"{{{{ {'(' * DEEP}1{')' * DEEP} }}}}"), "config.values.x", "nests too deeply"),
        (_set("{{ input" + ".a" * DEEP + " }}"), "config.values.x", "nests too deeply"),
        (_set("{{ 1" + " + 1" * DEEP + " }}"), "config.values.x", "nests too deeply"),
        (
            _set("{% for a in input.x %}" * 200 + "{% endfor %}" * 200),
            "config.values.x",
            "nests too deeply",
        ),
        (_condition("not " * 2000 + "input.a"), "config.expression", "expression syntax"),
        (_condition("input.a >"), "config.expression", "expression syntax"),
        (
            {
                "name": "a",
                "type": "foreach",
                "config": {
                    "items": [1],
                    "step": {
                        "type": "set",
                        "config": {"values": {"x": "{{ " + "[" * DEEP + "]" * DEEP + " }}"}},
                    },
                },
            },
            "config.step.config.values.x",
            "nests too deeply",
        ),
    ],
    ids=[
        "jmespath-parentheses", "jmespath-not", "template-parentheses", "template-attributes",
        "template-sum", "template-loops", "condition-not", "condition-syntax", "foreach-template",
    ],
)  # fmt: skip
async def test_deeply_nested_code_is_refused_with_a_400_naming_the_field(
    client: httpx.AsyncClient, step: dict[str, Any], field: str, words: str
) -> None:
    details = await _refused(client, [step])

    assert any(d["field"] == field and words in d["message"] for d in details), details


async def test_an_integration_of_another_workspace_is_refused(
    client: httpx.AsyncClient, other_workspace: httpx.AsyncClient, upstream: Upstream
) -> None:
    foreign = await http_integration(other_workspace, upstream.url)

    details = await _refused(
        client,
        [
            {
                "name": "call",
                "type": "action",
                "config": {"integration_id": foreign, "operation": "request"},
            }
        ],
    )

    assert details == [
        {
            "step": "call",
            "field": "config.integration_id",
            "message": "no such integration in this workspace",
        }
    ]


async def test_an_unknown_operation_and_parameter_and_result_field_are_refused(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)

    details = await _refused(
        client,
        [
            {"name": "a", "type": "action", "config": {"integration_id": iid, "operation": "fly"}},
            {
                "name": "b",
                "type": "action",
                "config": {
                    "integration_id": iid,
                    "operation": "request",
                    "parameters": {"wings": 2},
                },
            },
            {"name": "c", "type": "set", "config": {"values": {"x": "{{ steps.b.output.nope }}"}}},
        ],
    )

    fields = {(d["step"], d["field"]) for d in details}
    assert fields == {("a", "config.operation"), ("b", "config.parameters.wings"), ("c", "config")}


async def test_a_foreign_credential_is_refused(
    client: httpx.AsyncClient, other_workspace: httpx.AsyncClient
) -> None:
    created = await other_workspace.post(
        "/api/v1/credentials",
        json={"name": "theirs", "type": "api_key", "data": {"api_key": "secret-value-1"}},
    )
    assert created.status_code == 201, created.text

    details = await _refused(
        client,
        [
            {
                "name": "a",
                "type": "http_request",
                "config": {"url": "https://example.com", "credential_id": data(created)["id"]},
            }
        ],
    )

    assert details[0]["field"] == "config.credential_id"


async def test_each_save_makes_a_version_and_an_execution_keeps_its_own(
    client: httpx.AsyncClient,
) -> None:
    first = {"steps": [{"name": "a", "type": "set", "config": {"values": {"v": 1}}}]}
    created = data(await client.post("/api/v1/workflows", json={"name": "w", "definition": first}))
    second = {"steps": [{"name": "a", "type": "set", "config": {"values": {"v": 2}}}]}

    patched = await client.patch(f"/api/v1/workflows/{created['id']}", json={"definition": second})
    renamed = await client.patch(f"/api/v1/workflows/{created['id']}", json={"name": "w2"})

    assert data(patched)["version"] == 2
    assert data(renamed)["version"] == 2
    assert data(renamed)["name"] == "w2"
    replaced = await client.put(
        f"/api/v1/workflows/{created['id']}",
        json={"name": "w3", "definition": first, "isPublic": True},
    )
    assert data(replaced)["version"] == 3
    assert data(replaced)["is_public"] is True
