"""A third-party connector, installed as a distribution with an `interlink.connectors` entry
point, is found by the registry and works through the API like a built-in."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from interlink.providers.kit.fixtures import Fixture
from interlink.providers.registry import default_registry
from interlink.testing import contract
from tests.conftest import data, error
from tests.transport.conftest import Upstream

ACME = '''
from typing import ClassVar

from pydantic import BaseModel

from interlink.providers.kit.action import CheckResult, Connector, action
from interlink.providers.kit.types import IntegrationType


class PingInput(BaseModel):
    word: str = "ping"


class PingOutput(BaseModel):
    status: int
    echoed: str


class AcmeConnector(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "acme", "Acme", "The Acme API", auth_methods=("api_key",), needs_api_url=True
    )

    @action()
    async def ping(self, ctx, params: PingInput) -> PingOutput:
        """Pings Acme."""
        response = await ctx.http.get("/ping", params={"word": params.word})
        return PingOutput(status=response.status, echoed=params.word)

    async def check(self, ctx) -> CheckResult:
        await ctx.http.get("/ping")
        return CheckResult(message="pong")


class BuggyAcmeConnector(AcmeConnector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "acme_buggy", "Acme (buggy)", "The Acme API, with a bug", auth_methods=("api_key",),
        needs_api_url=True,
    )

    @action()
    async def explode(self, ctx, params: PingInput) -> PingOutput:
        """Reads a field the provider never sends: a bug in the connector."""
        response = await ctx.http.get("/ping")
        return PingOutput(status=response.status, echoed=response.json()["missing"])
'''

ACME_MOCK = """
from aiohttp import web

from interlink.testing.base import MockUpstream, json_response


class AcmeMock(MockUpstream):
    name = "acme"
    default_token = "acme-key"

    def reset_state(self) -> None:
        pass

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/ping", self.ping)

    async def gate(self, request, handler):
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return json_response({"message": "bad key"}, status=401)
        return await handler(request)

    async def ping(self, request: web.Request) -> web.StreamResponse:
        return json_response({"word": request.query.get("word", "")})


MOCK = AcmeMock
"""


@pytest.fixture
def acme_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The `acme-connector` distribution: a provider package (provider, mock) with two entry
    points, as a third party ships one."""
    package = tmp_path / "acme_connector"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from acme_connector.provider import AcmeConnector, BuggyAcmeConnector\n"
    )
    (package / "provider.py").write_text(textwrap.dedent(ACME))
    (package / "mock.py").write_text(textwrap.dedent(ACME_MOCK))
    dist = tmp_path / "acme_connector-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-connector\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[interlink.connectors]\nacme = acme_connector:AcmeConnector\n"
        "acme_buggy = acme_connector:BuggyAcmeConnector\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    default_registry.cache_clear()
    yield
    default_registry.cache_clear()
    for name in [m for m in sys.modules if m.split(".")[0] == "acme_connector"]:
        del sys.modules[name]


async def _active_acme(client: httpx.AsyncClient, upstream: Upstream, type_: str = "acme") -> str:
    body = {
        "name": "Acme",
        "type": type_,
        "configuration": {"api_url": upstream.url},
        "credentials": {"api_key": "acme-key"},
    }
    iid = str(data(await client.post("/api/v1/integrations", json=body))["id"])
    assert (await client.post(f"/api/v1/integrations/{iid}/activate")).status_code == 200
    return iid


async def test_a_third_party_connector_works_through_the_api(
    acme_installed: None, client: httpx.AsyncClient, upstream: Upstream
) -> None:
    created = {"id": await _active_acme(client, upstream)}

    run = data(
        await client.post(
            f"/api/v1/integrations/{created['id']}/operations/ping",
            json={"parameters": {"word": "hello"}},
        )
    )
    catalog = data(await client.get("/api/v1/connectors?available=true&page_size=100"))

    assert run["result"] == {"status": 200, "echoed": "hello"}
    assert upstream.seen[0]["headers"]["Authorization"] == "Bearer acme-key"
    assert "acme" in [c["type"] for c in catalog["items"]]


async def test_without_it_the_type_is_unknown(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/integrations", json={"name": "Acme", "type": "acme"})

    assert response.status_code == 400
    assert error(response)["details"][0]["field"] == "type"


async def test_a_bug_in_a_connector_is_a_500_integration_error_and_a_failed_operation(
    acme_installed: None, client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await _active_acme(client, upstream, "acme_buggy")

    response = await client.post(
        f"/api/v1/integrations/{iid}/operations/explode", json={"parameters": {}}
    )

    assert response.status_code == 500
    failure = error(response)
    assert failure["code"] == "INTEGRATION_ERROR"
    assert failure["message"] == "The Acme (buggy) connector failed in explode"
    assert "missing" not in response.text  # the exception stays in the log, not in the answer
    [operation_id] = [d["operation_id"] for d in failure["details"] if "operation_id" in d]
    recorded = data(
        await client.get(f"/api/v1/integrations/{iid}/operations/explode/{operation_id}")
    )
    assert recorded["status"] == "failed"
    assert recorded["error"]["code"] == "INTEGRATION_ERROR"
    assert len(upstream.seen) == 1  # the provider answered; the connector failed after


async def test_a_third_party_provider_records_its_fixtures_and_runs_the_contract_on_itself(
    acme_installed: None,
) -> None:
    provider = default_registry().connector("acme")
    assert provider is not None
    spec = Fixture(name="ping", action="ping", parameters={"word": "hello"})
    contract.write(provider, await contract.record(provider, spec))  # into its own fixtures/

    report = await contract.run_contract(provider)

    assert report.ok, str(report)
    assert {
        "acme:facts", "acme:no_http_client", "acme:has_a_fixture:ping", "acme:replays:ping",
        "acme:no_secret_in_output:ping", "acme:wrong_token", "acme:forbidden", "acme:not_found",
        "acme:rate_limited", "acme:server_error:ping",
    } <= set(report.passed)  # fmt: skip
    assert set(report.skipped) == {
        "acme:rate_headers", "acme:webhook_signed_sample", "acme:webhook_stale_sample"
    }  # fmt: skip
