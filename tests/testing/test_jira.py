"""The Jira mock answers like Jira Cloud REST v3."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from interlink.core.clock import FrozenClock
from interlink.testing import Fault, JiraMock, RunningMock, serve_mock

API = "/rest/api/3"
AUTH = {"Authorization": aiohttp.encode_basic_auth("mock@example.com", "mock-api-token")}
ADF = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "hi"}]}],
}


@pytest.fixture
async def jira(clock: FrozenClock) -> AsyncIterator[RunningMock[JiraMock]]:
    async with serve_mock(JiraMock(clock=clock)) as running:
        yield running


async def request(
    running: RunningMock[JiraMock],
    session: aiohttp.ClientSession,
    method: str,
    path: str,
    *,
    status: int = 200,
    **kwargs: Any,
) -> Any:
    url = running.url + API + path
    async with session.request(method, url, headers=AUTH, **kwargs) as response:
        assert response.status == status, await response.text()
        return None if status == 204 else await response.json()


async def test_myself(jira: RunningMock[JiraMock], session: aiohttp.ClientSession) -> None:
    me = await request(jira, session, "GET", "/myself")
    assert (me["emailAddress"], me["accountType"], me["active"]) == (
        "mock@example.com",
        "atlassian",
        True,
    )
    assert me["self"].startswith(jira.url + API)


async def test_bad_credentials_are_401(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession
) -> None:
    wrong = {"Authorization": aiohttp.encode_basic_auth("mock@example.com", "nope")}
    async with session.get(jira.url + API + "/myself", headers=wrong) as response:
        assert response.status == 401
        assert response.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
        body = await response.json()
    assert body["errorMessages"]
    assert body["errors"] == {}


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_the_old_search_is_gone_as_on_jira_cloud(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession, method: str
) -> None:
    body = await request(
        jira, session, method, "/search", status=410,
        **({"params": {"jql": "project = PROJ"}} if method == "GET" else {"json": {"jql": "x"}}),
    )  # fmt: skip
    assert body["errorMessages"][0].startswith(
        "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."
    )
    assert body["errors"] == {}


async def test_search_pages_with_a_token_and_no_total(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession
) -> None:
    keys: list[str] = []
    params = {"jql": "project = PROJ", "maxResults": "50", "fields": "summary"}
    for _ in range(10):
        page = await request(jira, session, "GET", "/search/jql", params=params)
        assert set(page) <= {"issues", "isLast", "nextPageToken"}  # no total, startAt...
        keys += [issue["key"] for issue in page["issues"]]
        if page["isLast"]:
            assert "nextPageToken" not in page
            break
        params["nextPageToken"] = page["nextPageToken"]
    assert len(keys) == len(set(keys)) == 120
    assert keys[0] == "PROJ-120"  # newest first by default


async def test_search_by_status_with_post_and_order(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession
) -> None:
    body = {
        "jql": 'project = "PROJ" AND status = "In Progress" ORDER BY key ASC',
        "maxResults": 5,
        "fields": ["status"],
    }
    page = await request(jira, session, "POST", "/search/jql", json=body)
    assert page["isLast"] is False
    assert [issue["key"] for issue in page["issues"]] == [f"PROJ-{n}" for n in (2, 5, 8, 11, 14)]
    assert {issue["fields"]["status"]["name"] for issue in page["issues"]} == {"In Progress"}
    done_or_todo = {
        "jql": "status in (Done, 'To Do') AND issuetype = Bug",
        "fields": ["summary"],
        "maxResults": 100,
    }
    page = await request(jira, session, "POST", "/search/jql", json=done_or_todo)
    assert (len(page["issues"]), page["isLast"]) == (20, True)
    assert set(page["issues"][0]["fields"]) == {"summary"}


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("colour = red", "Field 'colour' does not exist or you do not have permission to view it."),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("status = Shipped", "The value 'Shipped' does not exist for the field 'status'."),
        ("project = PROJ OR status = Done", "the mock understands only AND"),
    ],
)
async def test_bad_jql_is_400(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession, jql: str, message: str
) -> None:
    body = await request(jira, session, "GET", "/search/jql", params={"jql": jql}, status=400)
    assert message in body["errorMessages"][0]
    assert body["errors"] == {}


async def test_max_results_is_capped_at_100(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession
) -> None:
    params = {"jql": "project = PROJ", "maxResults": "500"}
    page = await request(jira, session, "GET", "/search/jql", params=params)
    assert (len(page["issues"]), page["isLast"]) == (100, False)


async def test_enhanced_search_pages_with_a_token(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession
) -> None:
    ids: list[str] = []
    body: dict[str, Any] = {"jql": "project = PROJ", "maxResults": 50}
    for _ in range(10):
        page = await request(jira, session, "POST", "/search/jql", json=body)
        ids += [issue["id"] for issue in page["issues"]]
        assert "fields" not in page["issues"][0]
        if page["isLast"]:
            break
        body["nextPageToken"] = page["nextPageToken"]
    assert len(set(ids)) == 120
    await request(jira, session, "POST", "/search/jql", json={"jql": ""}, status=400)


async def test_get_issue_by_key_or_id(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession
) -> None:
    issue = await request(jira, session, "GET", "/issue/PROJ-7")
    assert (issue["id"], issue["key"]) == ("10007", "PROJ-7")
    assert issue["fields"]["status"]["statusCategory"]["key"] == "new"  # "To Do"
    assert issue["fields"]["created"] == "2024-01-01T07:00:00.000+0000"
    assert (await request(jira, session, "GET", "/issue/10007"))["key"] == "PROJ-7"
    missing = await request(jira, session, "GET", "/issue/PROJ-999", status=404)
    assert missing == {
        "errorMessages": ["Issue does not exist or you do not have permission to see it."],
        "errors": {},
    }


async def test_create_an_issue_then_find_it(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession
) -> None:
    fields = {
        "project": {"key": "PROJ"},
        "issuetype": {"name": "Bug"},
        "summary": "Crash",
        "description": ADF,
    }
    created = await request(jira, session, "POST", "/issue", json={"fields": fields}, status=201)
    assert (created["id"], created["key"]) == ("10121", "PROJ-121")
    assert created["self"] == f"{jira.url}{API}/issue/10121"
    params = {"jql": "key = PROJ-121", "fields": "summary,status"}
    page = await request(jira, session, "GET", "/search/jql", params=params)
    assert page["issues"][0]["fields"]["summary"] == "Crash"
    assert page["issues"][0]["fields"]["status"]["name"] == "To Do"


async def test_create_issue_validation_errors(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession
) -> None:
    fields = {
        "project": {"key": "NOPE"},
        "issuetype": {"name": "Task"},
        "description": "plain text",
    }
    body = await request(jira, session, "POST", "/issue", json={"fields": fields}, status=400)
    assert body["errorMessages"] == []
    assert set(body["errors"]) == {"project", "summary", "description"}
    assert body["errors"]["summary"] == "You must specify a summary of the issue."


async def test_comment_on_an_issue(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession
) -> None:
    comment = await request(
        jira, session, "POST", "/issue/PROJ-3/comment", json={"body": ADF}, status=201
    )
    assert comment["body"] == ADF
    assert comment["author"]["displayName"] == "Mock User"
    assert comment["self"].endswith(f"/issue/10003/comment/{comment['id']}")
    empty = await request(jira, session, "POST", "/issue/PROJ-3/comment", json={}, status=400)
    assert empty["errors"] == {"comment": "Comment body can not be empty!"}


async def test_transitions_move_the_issue(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession
) -> None:
    listed = await request(jira, session, "GET", "/issue/PROJ-1/transitions")
    assert {(t["id"], t["to"]["name"]) for t in listed["transitions"]} == {
        ("11", "To Do"),
        ("21", "In Progress"),
        ("31", "Done"),
    }
    await request(
        jira,
        session,
        "POST",
        "/issue/PROJ-1/transitions",
        json={"transition": {"id": "31"}},
        status=204,
    )
    assert (await request(jira, session, "GET", "/issue/PROJ-1"))["fields"]["status"][
        "name"
    ] == "Done"
    bad = await request(
        jira,
        session,
        "POST",
        "/issue/PROJ-1/transitions",
        json={"transition": {"id": "99"}},
        status=400,
    )
    assert bad["errorMessages"] == ["Transition id '99' is not valid for this issue."]


async def test_rate_limited_fault(
    jira: RunningMock[JiraMock], session: aiohttp.ClientSession
) -> None:
    jira.mock.faults.add(Fault.rate_limited(retry_after=10))
    async with session.get(jira.url + API + "/myself", headers=AUTH) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "10"
        assert response.headers["X-RateLimit-Reset"] == "2025-06-01T12:01Z"  # 12:00:10, rounded up
        assert response.headers["RateLimit-Reason"] == "jira-burst-based"
        assert (await response.json())["errorMessages"]


async def test_rate_limit_headers_have_jiras_shapes(
    clock: FrozenClock, session: aiohttp.ClientSession
) -> None:
    clock.advance(30)  # 12:00:30: the budget comes back at 12:01
    async with serve_mock(JiraMock(clock=clock, rate_limit=5)) as jira:
        seen = []
        for _ in range(6):
            async with session.get(jira.url + API + "/myself", headers=AUTH) as response:
                seen.append((response.status, dict(response.headers)))
        clock.advance(30)
        async with session.get(jira.url + API + "/myself", headers=AUTH) as response:
            after_reset = response.headers["X-RateLimit-Remaining"]

    assert [status for status, _ in seen] == [200] * 5 + [429]
    assert [h["X-RateLimit-Limit"] for _, h in seen] == ["5"] * 6
    assert [h["X-RateLimit-Remaining"] for _, h in seen] == ["4", "3", "2", "1", "0", "0"]
    assert ["X-RateLimit-NearLimit" in h for _, h in seen] == [False] * 4 + [True] * 2  # < 1/5
    assert ["X-RateLimit-Reset" in h for _, h in seen] == [False] * 4 + [True] * 2
    assert seen[4][1]["X-RateLimit-Reset"] == "2025-06-01T12:01Z"  # ISO 8601, to the minute
    limited = seen[5][1]
    assert (limited["Retry-After"], limited["RateLimit-Reason"]) == ("30", "jira-burst-based")
    assert after_reset == "4"
