"""Property-based fuzzing of every operation in the app's own OpenAPI document (SQLite only):
whatever schemathesis sends, valid or not, the app answers without a 5xx and in the shape its
document promises.

Random data alone rarely gets past validation and the 404 of an unknown id, so each operation is
also driven with the ids of rows that exist, with valid bodies of our own (`SEEDS`) that reach
deep (workflow steps, request configuration, operation parameters, list filters), and with one
string of each case replaced by a hostile value (`HOSTILE`). An integration a write accepted must
then still be usable: its test call answers without a 5xx.

schemathesis's pytest loaders rename pytest nodes through private attributes that pytest 9 no
longer has, so the operations are parametrized here and each one is driven with hypothesis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from interlink.app import create_app
from interlink.config import TransportSettings
from interlink.providers.custom.sample import SAMPLE
from interlink.testing import HttpMock, RunningMock, serve_mock_in_thread
from tests.conftest import ADMIN_KEY, make_settings

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
CREDENTIAL: dict[str, Any] = {
    "name": "Fuzzed",
    "type": "oauth",
    "data": {"access_token": "ghp_fuzz"},
}
KEY: dict[str, Any] = {"name": "fuzzed", "scopes": ["integrations:read"]}
WORKFLOW: dict[str, Any] = {
    "name": "Fuzzed",
    "definition": {
        "steps": [
            {"name": "shape", "type": "transform", "config": {"jmespath": "input.items[0].id"}},
            {
                "name": "call",
                "type": "http_request",
                "config": {"method": "POST", "url": "/anything", "headers": {"X-Team": "qa"}},
            },
        ]
    },
    "triggers": [{"type": "webhook"}],
}
# Routes after which the rows are made again: they remove, replace or stop what they act on.
DESTRUCTIVE = ("/deactivate", "/executions/{execution_id}", "/rotate-secret")
# The event stream holds each call open until the client leaves: a few examples are enough.
EXAMPLES = {"GET /api/v1/events/stream": 2}
SINCE = {"since": "2026-01-01T00:00:00Z"}
# Strings that broke a layer once: header injection, NUL, dates at the ends of the calendar (a
# time zone pushes them out of range), nesting deeper than a recursive parser, huge numbers, a
# URL that does not parse.
HOSTILE = (
    "x\r\nX-Injected: 1",
    "nul\x00byte",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "(" * 1000 + "a" + ")" * 1000,
    "[" * 1000 + "]" * 1000,
    "9" * 400,
    "http://[::1",
)
FUZZ = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _integration(upstream: str) -> dict[str, Any]:
    return {
        "name": "Fuzzed",
        "type": "http",
        "credentials": {"api_key": "fuzz-key"},
        "configuration": {
            "api_url": upstream,
            "request": {"user_agent": "Fuzz/1", "default_headers": {"X-Team": "qa"}},
        },
        "metadata": {"department": "qa"},
    }


def _seeds(upstream: str) -> dict[str, dict[str, Any]]:
    """Valid requests of our own (body or query), by operation label."""
    integration = _integration(upstream)
    workflow = WORKFLOW | {"definition": _absolute(WORKFLOW["definition"], upstream)}
    operation = {
        "parameters": {
            "method": "POST",
            "path": "/anything",
            "headers": {"X-Team": "qa"},
            "query": {"q": "1"},
            "body": {"a": 1},
            "idempotency_key": "fuzz-1",
        }
    }
    return {
        "POST /api/v1/integrations": {"body": integration},
        "PUT /api/v1/integrations/{integration_id}": {"body": integration},
        "PATCH /api/v1/integrations/{integration_id}": {
            "body": {"configuration": integration["configuration"]}
        },
        "POST /api/v1/integrations/{integration_id}/operations/{operation}": {"body": operation},
        "GET /api/v1/integrations/{integration_id}/operations/history": {"query": SINCE},
        "POST /api/v1/workflows": {"body": workflow},
        "PUT /api/v1/workflows/{workflow_id}": {"body": workflow},
        "POST /api/v1/workflows/{workflow_id}/execute": {"body": {"input": {"items": [{"id": 1}]}}},
        "GET /api/v1/executions": {"query": SINCE},
        "GET /api/v1/workflows/{workflow_id}/executions": {"query": SINCE},
        "GET /api/v1/events": {"query": SINCE},
        "POST /api/v1/webhooks": {
            "body": {"url": f"{upstream}/anything", "events": ["*"], "headers": {"X-Team": "qa"}}
        },
        "POST /api/v1/webhooks/{webhook_id}/recover": {"body": SINCE},
        "POST /api/v1/credentials": {"body": CREDENTIAL},
        "POST /api/v1/custom-providers": {"body": {**SAMPLE, "base_url": upstream}},
    }


def _absolute(definition: dict[str, Any], upstream: str) -> dict[str, Any]:
    steps = [
        step | {"config": step["config"] | {"url": upstream + step["config"]["url"]}}
        if step["type"] == "http_request"
        else step
        for step in definition["steps"]
    ]
    return {"steps": steps}


def _operations() -> list[Any]:
    """`METHOD /path` of every operation, and negative mode for those that take any input;
    building the document needs no database."""
    document = create_app(make_settings(Path("unused"), "sqlite://")).openapi()
    cases = []
    for path, operations in document["paths"].items():
        for method, spec in operations.items():
            label = f"{method.upper()} {path}"
            cases.append(pytest.param(label, GenerationMode.POSITIVE, id=f"{label}-positive"))
            if spec.get("parameters") or spec.get("requestBody"):
                cases.append(pytest.param(label, GenerationMode.NEGATIVE, id=f"{label}-negative"))
    return cases


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningMock[HttpMock]]:
    """A local upstream, so that operations, tests and workflow calls go all the way through."""
    with serve_mock_in_thread(HttpMock()) as running:
        yield running


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The app on a SQLite file of its own. schemathesis's ASGI client is synchronous and runs the
    lifespan in its own event loop thread; the lifespan is shut down when the module ends."""
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    data_dir.mkdir()
    transport = TransportSettings(default_timeout_seconds=2, max_wait_seconds=0)
    yield create_app(
        make_settings(data_dir, f"sqlite:///{data_dir / 'interlink.db'}", transport=transport)
    )
    asgi.shutdown_lifespans()


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: FastAPI) -> OpenApiSchema:
    return schemathesis.openapi.from_asgi("/api/v1/openapi", fuzzed_app)


def _created(http: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(path, json=body)
    assert response.status_code in (200, 201, 202), response.text
    return cast(dict[str, Any], response.json()["data"])


@pytest.fixture(scope="module")
def rows(fuzzed_app: FastAPI, upstream: RunningMock[HttpMock]) -> dict[str, dict[str, str]]:
    """The rows the fuzzed calls aim at, made again after a test that may have removed them."""
    return {}


@pytest.fixture
def existing_ids(
    request: pytest.FixtureRequest,
    rows: dict[str, dict[str, str]],
    fuzzed_app: FastAPI,
    upstream: RunningMock[HttpMock],
) -> Iterator[dict[str, str]]:
    """Ids of rows that exist, so that fuzzed calls reach past the 404 of an unknown id."""
    if "ids" not in rows:
        rows["ids"] = _make_rows(fuzzed_app, upstream.url)
    yield rows["ids"]
    label: str = request.node.callspec.params["label"]
    if label.startswith(("DELETE", "PUT")) or label.endswith(DESTRUCTIVE):
        del rows["ids"]


def _make_rows(fuzzed_app: FastAPI, upstream: str) -> dict[str, str]:
    seeds = _seeds(upstream)
    with asgi.get_client(cast(asgi.ASGIApp, fuzzed_app)) as http:
        http.headers.update(AUTH)
        integration = _created(http, "/api/v1/integrations", _integration(upstream))
        _created(http, f"/api/v1/integrations/{integration['id']}/activate", {})
        operation_path = f"/api/v1/integrations/{integration['id']}/operations/request"
        operation = _created(http, operation_path, {"parameters": {"path": "/anything"}})
        credential = _created(http, "/api/v1/credentials", CREDENTIAL)
        key = _created(http, "/api/v1/api-keys", KEY)
        webhook = _created(http, "/api/v1/webhooks", seeds["POST /api/v1/webhooks"]["body"])
        delivery = _created(http, f"/api/v1/webhooks/{webhook['id']}/test", {})
        workflow = _created(http, "/api/v1/workflows", seeds["POST /api/v1/workflows"]["body"])
        execute = f"/api/v1/workflows/{workflow['id']}/execute"
        execution = _created(http, execute, {"input": {}})
        workspace = http.get("/api/v1/workspaces").json()["data"]["items"][0]
    return {
        "integration_id": integration["id"],
        "operation": "request",
        "operation_id": operation["operation_id"],
        "credential_id": credential["id"],
        "key_id": key["id"],
        "webhook_id": webhook["id"],
        "delivery_id": delivery["id"],
        "workflow_id": workflow["id"],
        "token": workflow["trigger_token"],
        "execution_id": execution["execution_id"],
        "workspace_id": workspace["id"],
    }


def _strings(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Where `value` holds a string (as paths of keys and indexes)."""
    if isinstance(value, str):
        return [at]
    if isinstance(value, dict):
        return [path for key, item in value.items() for path in _strings(item, (*at, key))]
    if isinstance(value, list):
        return [path for index, item in enumerate(value) for path in _strings(item, (*at, index))]
    return []


def _replace(value: Any, at: tuple[Any, ...], new: str) -> Any:
    if not at:
        return new
    head, rest = at[0], at[1:]
    if isinstance(value, dict):
        return value | {head: _replace(value[head], rest, new)}
    return [
        _replace(item, rest, new) if index == head else item for index, item in enumerate(value)
    ]


def _spoil(case: schemathesis.Case[Any], data: st.DataObject) -> None:
    """Replace one string of the case's query, path parameters or body by a hostile one (or none:
    the case as generated is kept too)."""
    parts: dict[str, Any] = {"query": case.query or {}, "path_parameters": case.path_parameters}
    if isinstance(case.body, dict | list):
        parts["body"] = case.body
    places = [(part, at) for part, value in parts.items() for at in _strings(value)]
    if not places or not data.draw(st.booleans(), label="spoil"):
        return
    part, at = data.draw(st.sampled_from(places), label="where")
    # A "/" in a path parameter reaches another route (sent unencoded): not this one's input.
    choices = [h for h in HOSTILE if part != "path_parameters" or "/" not in h]
    hostile = data.draw(st.sampled_from(choices), label="hostile")
    setattr(case, part, _replace(parts[part], at, hostile))


def _use_after_write(case: schemathesis.Case[Any], response: Any, fuzzed_app: FastAPI) -> int:
    """The status of testing the integration a write was accepted for (0 when there was none):
    an accepted configuration must stay usable."""
    writes = case.method in ("PUT", "PATCH") and case.path.startswith("/api/v1/integrations/{")
    if not writes or response.status_code >= 300:
        return 0
    integration_id = (case.path_parameters or {})["integration_id"]
    with asgi.get_client(cast(asgi.ASGIApp, fuzzed_app)) as http:
        used = http.post(f"/api/v1/integrations/{integration_id}/test", headers=AUTH)
    return int(used.status_code)


@pytest.mark.parametrize(("label", "mode"), _operations())
def test_operation_answers_without_5xx_and_as_documented(
    api_schema: OpenApiSchema,
    fuzzed_app: FastAPI,
    upstream: RunningMock[HttpMock],
    existing_ids: dict[str, str],
    label: str,
    mode: GenerationMode,
) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, label
    known = {name: value for name, value in existing_ids.items() if f"{{{name}}}" in label}
    cases = operation.as_strategy(generation_mode=mode)
    if known:
        cases = st.one_of(operation.as_strategy(generation_mode=mode, path_parameters=known), cases)
    seed = _seeds(upstream.url).get(label)
    if seed is not None and mode is GenerationMode.POSITIVE:
        cases = st.one_of(cases, st.builds(lambda: operation.Case(path_parameters=known, **seed)))

    @settings(FUZZ, max_examples=EXAMPLES.get(label, FUZZ.max_examples))
    @given(case=cases, data=st.data())
    def call(case: schemathesis.Case[Any], data: st.DataObject) -> None:
        _spoil(case, data)
        response = case.call_and_validate(headers=AUTH, checks=CHECKS)
        assert _use_after_write(case, response, fuzzed_app) < 500, case.body

    call()


@pytest.mark.parametrize("label", sorted(_seeds("http://upstream")))
def test_every_string_of_a_valid_request_made_hostile_answers_without_5xx(
    api_schema: OpenApiSchema,
    fuzzed_app: FastAPI,
    upstream: RunningMock[HttpMock],
    existing_ids: dict[str, str],
    label: str,
) -> None:
    """Each string of a seed, one at a time, replaced by each hostile value: no 5xx, and an
    integration that accepted it can still be tested (every case, not a sample of them)."""
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, label
    known = {name: value for name, value in existing_ids.items() if f"{{{name}}}" in label}
    part, seed = next(iter(_seeds(upstream.url)[label].items()))
    failures = []
    for at in _strings(seed):
        for hostile in HOSTILE:
            case = operation.Case(path_parameters=known, **{part: _replace(seed, at, hostile)})
            response = case.call(headers=AUTH)
            used = _use_after_write(case, response, fuzzed_app)
            if max(response.status_code, used) >= 500:
                failures.append((at, hostile, response.status_code, used, response.text[:200]))
    assert failures == []
