"""One contract over every registered connector, so no provider writes its own boilerplate tests."""

from __future__ import annotations

import ast
import inspect

import pytest

from interlink.connectors.base import Connector
from interlink.connectors.registry import default_registry
from interlink.transport.classify import Outcome

CONNECTORS = [c for t in default_registry().types() if (c := default_registry().connector(t))]
ids = [c.spec.type for c in CONNECTORS]
HTTP_CLIENTS = {"aiohttp", "httpx", "requests", "urllib3", "http.client", "urllib.request"}


@pytest.fixture(params=CONNECTORS, ids=ids)
def connector(request: pytest.FixtureRequest) -> type[Connector]:
    found: type[Connector] = request.param
    return found


def test_the_registry_holds_the_builtins() -> None:
    assert {"http", "github"} <= {c.spec.type for c in CONNECTORS}


def test_every_action_is_documented_and_typed(connector: type[Connector]) -> None:
    assert connector.actions, f"{connector.spec.type} has no action"
    for action in connector.actions.values():
        assert action.summary, f"{action.name} has no docstring"
        assert action.input_model.model_json_schema()["type"] == "object"
        assert action.output_model.model_json_schema()["type"] == "object"


def test_every_connector_checks_its_credentials(connector: type[Connector]) -> None:
    assert connector.check is not Connector.check, f"{connector.spec.type} has no credential check"


@pytest.mark.parametrize(
    ("status", "outcomes"),
    [
        (401, {Outcome.REFRESH_THEN_RETRY, Outcome.FAIL}),
        (403, {Outcome.FAIL, Outcome.RATE_LIMITED}),
        (429, {Outcome.RATE_LIMITED}),
        (500, {Outcome.RETRY}),
        (502, {Outcome.RETRY}),
        (503, {Outcome.RETRY}),
    ],
)
def test_the_error_table_covers_the_statuses_that_matter(
    connector: type[Connector], status: int, outcomes: set[Outcome]
) -> None:
    assert connector.errors.covers(status)
    assert connector.errors.verdict(status).outcome in outcomes


def test_no_connector_opens_its_own_http_client(connector: type[Connector]) -> None:
    tree = ast.parse(inspect.getsource(inspect.getmodule(connector)))  # type: ignore[arg-type]
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not {
        name for name in imported if name.split(".")[0] in HTTP_CLIENTS or name in HTTP_CLIENTS
    }


def test_the_spec_is_complete(connector: type[Connector]) -> None:
    spec = connector.spec
    assert spec.name
    assert spec.description
    assert spec.default_auth_method in spec.auth_methods
    assert spec.default_api_url or spec.needs_api_url or spec.type in {"http", "smtp"}
