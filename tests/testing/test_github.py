"""The GitHub mock answers like GitHub REST v3."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from interlink.core.clock import FrozenClock
from interlink.testing import Fault, GitHubMock, RunningMock, serve_mock

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


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Authorization": "Bearer wrong"}, "Bad credentials"),
        ({}, "Requires authentication"),
    ],
)
async def test_bad_or_missing_credentials_are_401(
    github: RunningMock[GitHubMock],
    session: aiohttp.ClientSession,
    headers: dict[str, str],
    message: str,
) -> None:
    async with session.get(github.url + "/user", headers=headers) as response:
        assert response.status == 401
        body = await response.json()
        assert body["message"] == message
        assert body["documentation_url"].startswith("https://docs.github.com/")
        assert response.headers["X-RateLimit-Limit"] == "60"


async def test_repository_and_unknown_repository(
    github: RunningMock[GitHubMock], session: aiohttp.ClientSession
) -> None:
    async with session.get(github.url + REPO, headers=AUTH) as response:
        repo = await response.json()
        assert (repo["full_name"], repo["default_branch"]) == ("octo-org/hello-world", "main")
    async with session.get(github.url + "/repos/octo-org/nope", headers=AUTH) as response:
        assert response.status == 404
        assert (await response.json())["message"] == "Not Found"
        assert "X-RateLimit-Remaining" in response.headers


async def test_issue_pages_follow_the_link_header_to_the_last_page(
    github: RunningMock[GitHubMock], session: aiohttp.ClientSession
) -> None:
    url: str | None = github.url + REPO + "/issues?state=all&per_page=100"
    numbers: list[int] = []
    pages: list[aiohttp.ClientResponse] = []
    for _ in range(10):
        if url is None:
            break
        async with session.get(url, headers=AUTH) as response:
            numbers += [issue["number"] for issue in await response.json()]
            pages.append(response)
            next_link = response.links.get("next")
            url = str(next_link["url"]) if next_link else None
    assert url is None
    assert len(pages) == 3
    assert str(pages[0].links["last"]["url"]).endswith("page=3")
    assert "prev" in pages[2].links
    assert "next" not in pages[2].links
    assert sorted(numbers) == list(range(1, 254))  # 250 issues and 3 pull requests


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


async def test_since_keeps_issues_updated_at_or_after_it(
    github: RunningMock[GitHubMock], session: aiohttp.ClientSession
) -> None:
    query = "/issues?state=all&since=2024-01-11T00:00:00Z&per_page=100"
    async with session.get(github.url + REPO + query, headers=AUTH) as response:
        found = await response.json()
    assert [issue["number"] for issue in found] == list(range(253, 239, -1))
    async with session.get(github.url + REPO + "/issues?since=yesterday", headers=AUTH) as response:
        assert response.status == 422


async def test_created_issue_is_numbered_and_listed_first(
    github: RunningMock[GitHubMock], session: aiohttp.ClientSession
) -> None:
    new = {"title": "Found a bug", "body": "details", "labels": ["bug"]}
    async with session.post(github.url + REPO + "/issues", json=new, headers=AUTH) as response:
        assert response.status == 201
        issue = await response.json()
    assert (issue["number"], issue["state"], issue["labels"][0]["name"]) == (254, "open", "bug")
    assert issue["created_at"] == "2025-06-01T12:00:00Z"
    async with session.get(github.url + REPO + "/issues?per_page=1", headers=AUTH) as response:
        assert (await response.json())[0]["title"] == "Found a bug"


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


async def test_comment_on_an_issue(
    github: RunningMock[GitHubMock], session: aiohttp.ClientSession
) -> None:
    url = github.url + REPO + "/issues/7/comments"
    async with session.post(url, json={"body": "Thanks!"}, headers=AUTH) as response:
        assert response.status == 201
        comment = await response.json()
    assert comment["body"] == "Thanks!"
    assert comment["issue_url"].endswith("/issues/7")
    async with session.get(github.url + REPO + "/issues/7", headers=AUTH) as response:
        assert (await response.json())["comments"] == 1
    url = github.url + REPO + "/issues/9999/comments"
    async with session.post(url, json={"body": "x"}, headers=AUTH) as response:
        assert response.status == 404


async def test_pull_requests_list(
    github: RunningMock[GitHubMock], session: aiohttp.ClientSession
) -> None:
    async with session.get(github.url + REPO + "/pulls", headers=AUTH) as response:
        pulls = await response.json()
    assert [pull["number"] for pull in pulls] == [253, 252, 251]
    assert pulls[0]["head"]["ref"] == "feature-253"
    assert pulls[0]["base"]["ref"] == "main"


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


async def test_rate_limited_fault_is_a_secondary_limit(
    github: RunningMock[GitHubMock], session: aiohttp.ClientSession
) -> None:
    github.mock.faults.add(Fault.rate_limited(retry_after=60))
    async with session.get(github.url + "/user", headers=AUTH) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "60"
        assert "secondary rate limit" in (await response.json())["message"]
        assert "X-RateLimit-Remaining" in response.headers


async def test_unknown_path_is_github_404(
    github: RunningMock[GitHubMock], session: aiohttp.ClientSession
) -> None:
    async with session.get(github.url + "/nope/nothing", headers=AUTH) as response:
        assert response.status == 404
        assert (await response.json())["message"] == "Not Found"


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
