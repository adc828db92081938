"""Every provider's actions run end to end against its mock, as a user runs them: on a live
`interlink serve`, an integration made through the API with the mock's credentials runs a
recorded fixture's action through the REST API, the Python SDK and the CLI; and a script runs it
through the provider's direct interface (`interlink.direct`). Each answers with what the
provider's recorded run returned."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from interlink import Interlink, direct
from interlink.core.clock import FrozenClock
from interlink.providers.kit.action import Connector
from interlink.providers.kit.fixtures import Fixture
from interlink.providers.registry import default_registry
from interlink.testing import RunningMock, serve_mock_in_thread
from interlink.testing.base import MockUpstream
from interlink.testing.contract.exchanges import MOCK_ORIGIN
from interlink.testing.contract.harness import START, build_mock
from tests.cli.conftest import API_KEY, Cli
from tests.e2e.server import Server


def _succeeding(provider: type[Connector]) -> Fixture | None:
    """The provider's first fixture that ends with an output (smtp's mock is not HTTP)."""
    if provider.spec.type == "smtp":
        return None
    return next((f for f in provider.fixtures() if f.error is None), None)


CASES = [
    pytest.param(provider, fixture, id=f"{provider.spec.type}-{fixture.name}")
    for provider in default_registry().connectors()
    if (fixture := _succeeding(provider)) is not None
]


def _served(value: Any, running: RunningMock[MockUpstream]) -> Any:
    """The fixture's values with the served mock's address for its placeholder origin."""
    return json.loads(json.dumps(value).replace(MOCK_ORIGIN, running.url))


@pytest.fixture
def upstream(
    request: pytest.FixtureRequest,
) -> Iterator[tuple[type[Connector], Fixture, RunningMock[MockUpstream]]]:
    provider, fixture = request.param
    mock = build_mock(provider, fixture.mock, FrozenClock(START))
    with serve_mock_in_thread(mock) as running:
        yield provider, fixture, running


def _integration(
    server: Server, provider: type[Connector], fixture: Fixture, running: RunningMock[MockUpstream]
) -> str:
    auth_method = str(fixture.configuration.get("auth_method", provider.spec.default_auth_method))
    body = {
        "name": f"every provider: {provider.spec.type}",
        "type": provider.spec.type,
        "configuration": {
            "api_url": running.api_url,
            "auth_method": auth_method,
            **_served(fixture.configuration, running),
        },
        "credentials": running.mock.integration_credentials(auth_method),
    }
    headers = {"Authorization": f"Bearer {API_KEY}"}
    made = httpx.post(f"{server.url}/api/v1/integrations", json=body, headers=headers, timeout=60)
    assert made.status_code == 201, made.text
    integration_id: str = made.json()["data"]["id"]
    activated = httpx.post(
        f"{server.url}/api/v1/integrations/{integration_id}/activate", headers=headers, timeout=60
    )
    assert activated.status_code == 200, activated.text
    return integration_id


def _direct(
    provider: type[Connector],
    fixture: Fixture,
    running: RunningMock[MockUpstream],
    parameters: dict[str, Any],
) -> Any:
    """The action run from a script, through the provider's direct class."""
    prefix = direct.direct_prefix(provider)
    auth_method = str(fixture.configuration.get("auth_method", provider.spec.default_auth_method))
    configuration = getattr(direct, f"{prefix}IntegrationConfiguration")(
        api_url=running.api_url,
        auth_method=auth_method,
        **_served(fixture.configuration, running),
        **running.mock.integration_credentials(auth_method),
    )
    with getattr(direct, f"{prefix}Integration")(configuration) as integration:
        return integration.run(fixture.action, **parameters)


def _shape(value: Any) -> Any:
    """What a result must keep from run to run: its fields, not their values (ids and times
    differ between the recorded run and this one)."""
    if isinstance(value, dict):
        return sorted(value)
    return type(value).__name__


@pytest.mark.parametrize(("upstream"), [case.values for case in CASES], indirect=True,
                         ids=[str(case.id) for case in CASES])  # fmt: skip
def test_an_action_runs_through_the_api_the_sdk_and_the_cli(
    cli_server: Server,
    cli: Cli,
    upstream: tuple[type[Connector], Fixture, RunningMock[MockUpstream]],
) -> None:
    provider, fixture, running = upstream
    integration_id = _integration(cli_server, provider, fixture, running)
    parameters = _served(fixture.parameters, running)
    path = f"{cli_server.url}/api/v1/integrations/{integration_id}/operations/{fixture.action}"

    by_api = httpx.post(
        path,
        json={"parameters": parameters},
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=60,
    )
    with Interlink(API_KEY, base_url=cli_server.url) as client:
        by_sdk = client.get_integration_client(integration_id).execute_operation(
            fixture.action, parameters
        )
    pairs = [f"{name}={json.dumps(value)}" for name, value in parameters.items()]
    by_cli = cli.json(
        "ops", "run", integration_id, fixture.action, *[a for p in pairs for a in ("--param", p)]
    )

    by_direct = _direct(provider, fixture, running, parameters)

    assert by_api.status_code == 200, by_api.text
    api_result = by_api.json()["data"]
    assert [api_result["status"], by_sdk.status, by_cli["status"]] == ["completed"] * 3
    expected = _shape(fixture.output)
    shapes = [_shape(api_result["result"]), _shape(by_sdk.result), _shape(by_cli["result"])]
    assert [*shapes, _shape(by_direct)] == [expected] * 4
