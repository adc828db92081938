"""Property-based fuzzing of every operation in the app's own OpenAPI document (SQLite only):
whatever schemathesis sends, valid or not, the app answers without a 5xx and in the shape its
document promises.

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
from tests.conftest import ADMIN_KEY, make_settings

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
INTEGRATION: dict[str, Any] = {
    "name": "Fuzzed",
    "type": "github",
    "credentials": {"access_token": "ghp_fuzz"},
    "metadata": {"department": "qa"},
}
CREDENTIAL: dict[str, Any] = {
    "name": "Fuzzed",
    "type": "oauth",
    "data": {"access_token": "ghp_fuzz"},
}
KEY: dict[str, Any] = {"name": "fuzzed", "scopes": ["integrations:read"]}
FUZZ = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


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
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The app on a SQLite file of its own. schemathesis's ASGI client is synchronous and runs the
    lifespan in its own event loop thread; the lifespan is shut down when the module ends."""
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    data_dir.mkdir()
    yield create_app(make_settings(data_dir, f"sqlite:///{data_dir / 'interlink.db'}"))
    asgi.shutdown_lifespans()


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: FastAPI) -> OpenApiSchema:
    return schemathesis.openapi.from_asgi("/api/v1/openapi", fuzzed_app)


@pytest.fixture
def existing_ids(fuzzed_app: FastAPI) -> dict[str, str]:
    """Ids of rows that exist, so that fuzzed calls reach past the 404 of an unknown id."""
    with asgi.get_client(cast(asgi.ASGIApp, fuzzed_app)) as http:
        http.headers.update(AUTH)
        integration = http.post("/api/v1/integrations", json=INTEGRATION).json()["data"]
        credential = http.post("/api/v1/credentials", json=CREDENTIAL).json()["data"]
        key = http.post("/api/v1/api-keys", json=KEY).json()["data"]
        workspace = http.get("/api/v1/workspaces").json()["data"]["items"][0]
    return {
        "integration_id": integration["id"],
        "credential_id": credential["id"],
        "key_id": key["id"],
        "workspace_id": workspace["id"],
    }


@pytest.mark.parametrize(("label", "mode"), _operations())
def test_operation_answers_without_5xx_and_as_documented(
    api_schema: OpenApiSchema, existing_ids: dict[str, str], label: str, mode: GenerationMode
) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, label
    known = {name: value for name, value in existing_ids.items() if f"{{{name}}}" in label}
    cases = operation.as_strategy(generation_mode=mode)
    if known:
        cases = st.one_of(operation.as_strategy(generation_mode=mode, path_parameters=known), cases)

    @FUZZ
    @given(case=cases)
    def call(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=AUTH, checks=CHECKS)

    call()
