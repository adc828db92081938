"""The GitHub mock answers like GitHub REST v3: what no fixture shows (its budget, filters,
validation). Its answers to our actions are the fixtures', replayed by the contract suite."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from interlink.core.clock import FrozenClock
from interlink.testing import GitHubMock, RunningMock, serve_mock

REPO = "/repos/octo-org/hello-world"
AUTH = {"Authorization": "Bearer ghp_mock_token", "Accept": "application/vnd.github+json"}


@pytest.fixture
async def github(clock: FrozenClock) -> AsyncIterator[RunningMock[GitHubMock]]:
    async with serve_mock(GitHubMock(clock=clock)) as running:
        yield running


async def test_user_carries_login_scopes_and_rate_limit_headers(
    github: RunningMock[GitHubMock], session: aiohttp.ClientSession
) -> None:
    async with session.get(github.url + "/user", headers=AUTH) as response:
        assert response.status == 200
        assert (await response.json())["login"] == "octocat"
        assert response.headers["X-OAuth-Scopes"] == "repo, read:org"
        assert response.headers["X-RateLimit-Limit"] == "5000"
        assert response.headers["X-RateLimit-Remaining"] == "4999"
        assert response.headers["X-RateLimit-Used"] == "1"
        assert response.headers["X-RateLimit-Resource"] == "core"
        assert int(response.headers["X-RateLimit-Reset"]) > 0


async def test_the_token_scheme_is_accepted_too(
    github: RunningMock[GitHubMock], session: aiohttp.ClientSession
) -> None:
    headers = {"Authorization": "token ghp_mock_token"}
    async with session.get(github.url + "/user", headers=headers) as response:
        assert response.status == 200


async def test_issues_default_to_open_newest_first_and_filter(
    github: RunningMock[GitHubMock], session: aiohttp.ClientSession
) -> None:
    async with session.get(github.url + REPO + "/issues", headers=AUTH) as response:
        page = await response.json()
    assert len(page) == 30
    assert all(issue["state"] == "open" for issue in page)
    assert page[0]["number"] > page[-1]["number"]
    assert "pull_request" in page[0]
    query = "/issues?state=closed&labels=bug&per_page=500&direction=asc"
    async with session.get(github.url + REPO + query, headers=AUTH) as response:
        closed_bugs = await response.json()
    assert [issue["number"] for issue in closed_bugs] == list(range(15, 251, 15))


async def test_an_issue_without_a_title_is_a_validation_error(
    github: RunningMock[GitHubMock], session: aiohttp.ClientSession
) -> None:
    async with session.post(github.url + REPO + "/issues", json={"body": "x"}, headers=AUTH) as r:
        assert r.status == 422
        body = await r.json()
    assert body["message"] == "Validation Failed"
    assert body["errors"] == [{"resource": "Issue", "field": "title", "code": "missing_field"}]
    async with session.post(github.url + REPO + "/issues", data=b"{not json", headers=AUTH) as r:
        assert r.status == 400
        assert (await r.json())["message"] == "Problems parsing JSON"


async def test_budget_counts_down_and_rate_limit_endpoint_is_free(
    github: RunningMock[GitHubMock], session: aiohttp.ClientSession
) -> None:
    remaining = []
    for _ in range(3):
        async with session.get(github.url + "/user", headers=AUTH) as response:
            remaining.append(response.headers["X-RateLimit-Remaining"])
    assert remaining == ["4999", "4998", "4997"]
    async with session.get(github.url + "/rate_limit", headers=AUTH) as response:
        body = await response.json()
        assert response.headers["X-RateLimit-Remaining"] == "4997"
    assert body["resources"]["core"]["remaining"] == 4997
    assert body["rate"]["used"] == 3


@pytest.mark.parametrize("status", [403, 429])
async def test_a_spent_budget_is_refused_until_it_resets(
    clock: FrozenClock, session: aiohttp.ClientSession, status: int
) -> None:
    mock = GitHubMock(clock=clock, rate_limit=2, exhausted_status=status)
    async with serve_mock(mock) as github:
        for _ in range(2):
            async with session.get(github.url + "/user", headers=AUTH) as response:
                assert response.status == 200
        async with session.get(github.url + "/user", headers=AUTH) as response:
            assert response.status == status
            assert response.headers["X-RateLimit-Remaining"] == "0"
            assert (await response.json())["message"].startswith("API rate limit exceeded")
            reset = int(response.headers["X-RateLimit-Reset"])
        clock.advance(reset - clock.now().timestamp())
        async with session.get(github.url + "/user", headers=AUTH) as response:
            assert response.status == 200
            assert response.headers["X-RateLimit-Remaining"] == "1"


async def test_each_token_has_its_own_budget(
    clock: FrozenClock, session: aiohttp.ClientSession
) -> None:
    mock = GitHubMock(clock=clock, rate_limit=1, extra_tokens=("ghp_second",))
    async with serve_mock(mock) as github:
        for token in ("ghp_mock_token", "ghp_second"):
            headers = {"Authorization": f"Bearer {token}"}
            async with session.get(github.url + "/user", headers=headers) as response:
                assert response.status == 200
                assert response.headers["X-RateLimit-Remaining"] == "0"
        async with session.get(github.url + "/user", headers=AUTH) as response:
            assert response.status == 403
