"""The Jira mock keeps Jira Cloud's own ways: its JQL search, its errors, v2 text beside v3
documents, its rate-limit headers. Its answers' shapes are checked against Jira's description
(tests/providers), what our actions send by the contract suite's fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from interlink.core.clock import FrozenClock
from interlink.testing import JiraMock, RunningMock, serve_mock

AUTH = {"Authorization": aiohttp.encode_basic_auth("mock@example.com", "mock-api-token")}
ADF = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": []}]}


@pytest.fixture
async def jira(clock: FrozenClock) -> AsyncIterator[RunningMock[JiraMock]]:
    async with serve_mock(JiraMock(clock=clock)) as running:
        yield running


async def call(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession, method: str, path: str,
    *, status: int = 200, version: int = 3, headers: dict[str, str] = AUTH, **kwargs: Any,
) -> Any:  # fmt: skip
    url = f"{jira.url}/rest/api/{version}{path}"
    async with session.request(method, url, headers=headers, **kwargs) as response:
        assert response.status == status, await response.text()
        return await response.json()


async def test_server_info_is_anonymous_and_wrong_credentials_are_refused(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession
) -> None:
    info = await call(jira, session, "GET", "/serverInfo", version=2, headers={})
    wrong = {"Authorization": aiohttp.encode_basic_auth("mock@example.com", "nope")}
    refused = await call(jira, session, "GET", "/serverInfo", status=401, headers=wrong)
    assert (info["deploymentType"], info["baseUrl"]) == ("Cloud", jira.url)
    assert refused["errorMessages"] == ["Client must be authenticated to access this resource."]


async def test_the_old_search_is_gone_as_on_jira_cloud(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession
) -> None:
    gone = await call(jira, session, "POST", "/search", status=410, json={"jql": "key = PROJ-1"})
    assert "Please migrate to the /rest/api/3/search/jql API." in gone["errorMessages"][0]


async def test_search_pages_with_a_token_newest_first_at_most_100(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession
) -> None:
    params = {"jql": "project = PROJ", "maxResults": "500", "fields": "summary"}
    first = await call(jira, session, "GET", "/search/jql", params=params)
    params["nextPageToken"] = first["nextPageToken"]
    last = await call(jira, session, "GET", "/search/jql", params=params)
    assert (len(first["issues"]), len(last["issues"]), last["isLast"]) == (100, 20, True)
    assert set(first) == {"issues", "isLast", "nextPageToken"}  # no total, no startAt
    assert first["issues"][0]["key"] == "PROJ-120"
    assert set(first["issues"][0]["fields"]) == {"summary"}


async def test_search_by_status_with_post_and_order(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession
) -> None:
    jql = 'project = "PROJ" AND status = "In Progress" ORDER BY key ASC'
    page = await call(jira, session, "POST", "/search/jql", json={"jql": jql, "maxResults": 3})
    bugs = {"jql": "status in (Done, 'To Do') AND issuetype = Bug", "maxResults": 100}
    found = await call(jira, session, "POST", "/search/jql", json=bugs)
    assert [issue["key"] for issue in page["issues"]] == ["PROJ-2", "PROJ-5", "PROJ-8"]
    assert "fields" not in page["issues"][0]  # only ids unless fields are asked for
    assert (len(found["issues"]), found["isLast"]) == (20, True)


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("", "Unbounded JQL queries are not allowed here."),
        ("colour = red", "Field 'colour' does not exist or you do not have permission to view it."),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("status = Shipped", "The value 'Shipped' does not exist for the field 'status'."),
        ("project = PROJ OR status = Done", "the mock understands only AND"),
    ],
)
async def test_bad_jql_is_400(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession, jql: str, message: str
) -> None:
    body = await call(jira, session, "GET", "/search/jql", params={"jql": jql}, status=400)
    assert message in body["errorMessages"][0]


@pytest.mark.parametrize(("version", "wrong"), [(3, "plain text"), (2, ADF)])
async def test_rich_text_is_a_document_in_v3_and_text_in_v2(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession, version: int, wrong: Any
) -> None:
    fields = {"project": {"key": "NOPE"}, "issuetype": {"name": "Task"}, "description": wrong}
    created = await call(jira, session, "POST", "/issue", version=version,
                         json={"fields": fields}, status=400)  # fmt: skip
    said = await call(jira, session, "POST", "/issue/PROJ-3/comment", version=version,
                      json={"body": wrong}, status=400)  # fmt: skip
    assert set(created["errors"]) == {"project", "summary", "description"}
    assert created["errors"]["summary"] == "You must specify a summary of the issue."
    assert said["errors"]["comment"] == created["errors"]["description"]


async def test_rate_limit_headers_have_jiras_shapes(
    clock: FrozenClock, session: aiohttp.ClientSession
) -> None:
    clock.advance(30)  # 12:00:30: the budget comes back at 12:01
    async with serve_mock(JiraMock(clock=clock, rate_limit=5)) as jira:
        seen = []
        for _ in range(6):
            async with session.get(jira.url + "/rest/api/3/myself", headers=AUTH) as response:
                seen.append((response.status, dict(response.headers)))

    assert [status for status, _ in seen] == [200] * 5 + [429]
    assert [h["X-RateLimit-Remaining"] for _, h in seen] == ["4", "3", "2", "1", "0", "0"]
    assert ["X-RateLimit-NearLimit" in h for _, h in seen] == [False] * 4 + [True] * 2  # < 1/5
    assert ["X-RateLimit-Reset" in h for _, h in seen] == [False] * 4 + [True] * 2
    assert seen[4][1]["X-RateLimit-Reset"] == "2025-06-01T12:01Z"  # ISO 8601, to the minute
    limited = seen[5][1]
    assert (limited["Retry-After"], limited["RateLimit-Reason"]) == ("30", "jira-burst-based")
