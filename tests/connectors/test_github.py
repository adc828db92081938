"""The github connector through the API, against the GitHub mock on a loopback socket."""

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


async def test_get_issues_follows_link_pagination_up_to_the_limit(
    client: httpx.AsyncClient, github: RunningMock[GitHubMock]
) -> None:
    iid = await _integration(client, github)

    result = data(
        await _run(client, iid, "get_issues", repository="octo-org/hello-world", state="all",
                   per_page=50, limit=1000)
    )["result"]  # fmt: skip

    assert result["total_count"] == 250
    assert (
        github.mock.calls.count("/repos/octo-org/hello-world/issues") == 6
    )  # 5 of issues, 1 of PRs


async def test_the_catalog_lists_the_github_operations(
    client: httpx.AsyncClient, github: RunningMock[GitHubMock]
) -> None:
    iid = await _integration(client, github)

    operations = data(await client.get(f"/api/v1/integrations/{iid}/operations"))["operations"]

    assert [o["id"] for o in operations] == [
        "create_comment", "create_issue", "get_issues", "get_repository", "list_pull_requests"
    ]  # fmt: skip
    get_repository = next(o for o in operations if o["id"] == "get_repository")
    assert [(p["name"], p["required"]) for p in get_repository["parameters"]] == [
        ("owner", True), ("repo", True)
    ]  # fmt: skip
    assert {"id", "name", "full_name", "html_url"} <= set(
        get_repository["result_schema"]["properties"]
    )


async def test_repository_issue_and_comment(
    client: httpx.AsyncClient, github: RunningMock[GitHubMock]
) -> None:
    iid = await _integration(client, github)

    repository = data(
        await _run(client, iid, "get_repository", owner="octo-org", repo="hello-world")
    )
    issue = data(
        await _run(client, iid, "create_issue", repository="octo-org/hello-world",
                   title="Fix authentication bug", labels=["bug"])
    )  # fmt: skip
    number = issue["result"]["number"]
    comment = data(
        await _run(client, iid, "create_comment", repository="octo-org/hello-world",
                   issue_number=number, body="On it")
    )  # fmt: skip
    pulls = data(await _run(client, iid, "list_pull_requests", repository="octo-org/hello-world"))

    assert repository["result"]["full_name"] == "octo-org/hello-world"
    assert issue["result"]["title"] == "Fix authentication bug"
    assert issue["result"]["labels"] == ["bug"]
    assert comment["result"]["body"] == "On it"
    assert pulls["result"]["total_count"] == 3


async def test_bad_credentials_are_authentication_failed_with_githubs_message(
    client: httpx.AsyncClient, github: RunningMock[GitHubMock]
) -> None:
    iid = await _integration(client, github, token="ghp_wrong")

    response = await _run(client, iid, "get_repository", owner="octo-org", repo="hello-world")

    assert response.status_code == 401
    assert error(response)["code"] == "AUTHENTICATION_FAILED"
    assert error(response)["details"][1]["provider_message"] == "Bad credentials"


async def test_an_unknown_repository_is_not_found(
    client: httpx.AsyncClient, github: RunningMock[GitHubMock]
) -> None:
    iid = await _integration(client, github)

    response = await _run(client, iid, "get_repository", owner="nobody", repo="nothing")

    assert response.status_code == 404
    assert error(response)["code"] == "EXTERNAL_RESOURCE_NOT_FOUND"


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
        "success_rate_24h", "average_latency_ms", "error_rate", "total_calls_24h"
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
