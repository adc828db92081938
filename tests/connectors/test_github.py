"""The github connector through the API, against the GitHub mock: what is specific to GitHub
(the seed's example, its budget, health and scopes). Fixtures, errors, retries and pagination are
the contract suite's (tests/connectors/test_contract.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from interlink.testing import GitHubMock, RunningMock, serve_mock
from tests.conftest import data, error
from tests.connectors.conftest import create_active
from tests.connectors.conftest import run_operation as _run

TOKEN = "ghp_mock_token"


@pytest.fixture
async def github() -> AsyncIterator[RunningMock[GitHubMock]]:
    async with serve_mock(GitHubMock(token=TOKEN, issues=250, rate_limit=5000)) as running:
        yield running


async def _integration(
    client: httpx.AsyncClient, github: RunningMock[GitHubMock], token: str = TOKEN, **config: Any
) -> str:
    body = {
        "name": "GitHub Integration",
        "type": "github",
        "configuration": {"api_url": github.api_url, "auth_method": "oauth", **config},
        "credentials": {"access_token": token, "token_type": "bearer"},
    }
    return await create_active(client, body)


async def test_the_seeds_get_issues_example(
    client: httpx.AsyncClient, github: RunningMock[GitHubMock]
) -> None:
    iid = await _integration(client, github)

    run = data(
        await _run(
            client, iid, "get_issues",
            repository="octo-org/hello-world", since="2023-01-01T00:00:00Z", per_page=100,
        )
    )  # fmt: skip

    assert run["operation"] == "get_issues"
    assert run["status"] == "completed"
    result = run["result"]
    assert result["total_count"] == len(result["items"]) == 100  # the default limit
    first = result["items"][0]
    assert set(first) >= {"id", "number", "title", "state", "created_at", "updated_at", "author"}
    assert set(first["author"]) == {"id", "login"}
    assert all(item["state"] == "open" for item in result["items"])


async def test_a_spent_github_budget_stops_calls_before_github_says_403_again(
    client: httpx.AsyncClient,
) -> None:
    async with serve_mock(GitHubMock(token=TOKEN, rate_limit=2)) as small:
        iid = await _integration(client, small)
        for _ in range(2):
            ok = await _run(client, iid, "get_repository", owner="octo-org", repo="hello-world")
            assert ok.status_code == 200

        refused = await _run(client, iid, "get_repository", owner="octo-org", repo="hello-world")

        assert refused.status_code == 409
        assert error(refused)["code"] == "RATE_LIMIT_EXCEEDED"
        assert (
            small.mock.calls.count("/repos/octo-org/hello-world") == 2
        )  # never asked a third time


async def test_test_and_health_read_githubs_answers(
    client: httpx.AsyncClient, github: RunningMock[GitHubMock]
) -> None:
    iid = await _integration(client, github)

    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))
    checked = data(await client.post(f"/api/v1/integrations/{iid}/health/check"))
    health = data(await client.get(f"/api/v1/integrations/{iid}/health"))

    assert tested["connection_test"]["success"] is True
    assert "octocat" in tested["connection_test"]["message"]
    run = checked["health_check"]
    assert run["status"] == "healthy"
    assert run["message"] == "All systems operational"
    by_name = {c["name"]: c for c in run["checks"]}
    assert list(by_name) == [
        "connection", "authentication", "rate_limit", "circuit_breaker", "permissions"
    ]  # fmt: skip
    assert by_name["rate_limit"]["message"] == "Rate limit: 4998/5000 remaining"
    assert by_name["permissions"]["message"] == "All required permissions granted"
    assert health["health"]["status"] == "healthy"
    assert health["health"]["checks"] == run["checks"]
    assert set(health["health"]["metrics"]) == {
        "success_rate_24h", "average_latency_ms", "error_rate", "total_calls_24h", "llm_24h"
    }  # fmt: skip
    changed = data(await client.get("/api/v1/events?type=integration.health_changed"))["items"]
    assert changed[0]["data"]["previous_status"] == "unknown"
    assert changed[0]["data"]["status"] == "healthy"


async def test_health_is_unhealthy_with_bad_credentials_and_degraded_without_scopes(
    client: httpx.AsyncClient,
) -> None:
    async with serve_mock(GitHubMock(token=TOKEN, scopes="read:org")) as narrow:
        bad = await _integration(client, narrow, token="ghp_wrong")
        scoped = await _integration(client, narrow)

        unhealthy = data(await client.post(f"/api/v1/integrations/{bad}/health/check"))
        degraded = data(await client.post(f"/api/v1/integrations/{scoped}/health/check"))
        tested = data(await client.post(f"/api/v1/integrations/{bad}/test"))

    assert unhealthy["health_check"]["status"] == "unhealthy"
    auth = next(c for c in unhealthy["health_check"]["checks"] if c["name"] == "authentication")
    assert auth["status"] == "failed"
    assert "Bad credentials" in auth["message"]
    assert degraded["health_check"]["status"] == "degraded"
    permissions = next(c for c in degraded["health_check"]["checks"] if c["name"] == "permissions")
    assert "create_issue" in permissions["message"]
    assert tested["connection_test"]["success"] is False
