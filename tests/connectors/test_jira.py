"""The jira connector through the API, against the Jira mock on a loopback socket.

The app and the mock share one FrozenClock: waiting for Jira's rate limit moves the clock, not
the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from interlink.core.clock import FrozenClock
from interlink.testing import JiraMock, RunningMock, serve_mock
from tests.conftest import data, error
from tests.connectors.conftest import create_active
from tests.connectors.conftest import run_operation as _run

EMAIL = "mock@example.com"
TOKEN = "mock-api-token"
SEARCH = "/rest/api/3/search/jql"
FIELDS = ["summary", "status", "issuetype"]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 1, 1, 0, 0, 55, tzinfo=UTC))  # 5 s before a new minute


@pytest.fixture
async def jira(clock: FrozenClock) -> AsyncIterator[RunningMock[JiraMock]]:
    async with serve_mock(JiraMock(issues=120, clock=clock)) as running:
        yield running


async def _integration(
    client: httpx.AsyncClient, jira: RunningMock[JiraMock], password: str = TOKEN
) -> str:
    body = {
        "name": "Jira Integration",
        "type": "jira",
        "configuration": {"api_url": jira.api_url, "auth_method": "basic"},
        "credentials": {"username": EMAIL, "password": password},
    }
    return await create_active(client, body)


async def test_search_returns_issue_summaries_and_where_to_read_on(
    client: httpx.AsyncClient, jira: RunningMock[JiraMock]
) -> None:
    iid = await _integration(client, jira)

    result = data(
        await _run(client, iid, "search_issues", jql='project = PROJ AND status = "To Do"',
                   max_results=10, limit=10)
    )["result"]  # fmt: skip

    assert set(result) == {"issues", "next_page_token"}  # Jira's search counts nothing: no total
    assert result["next_page_token"]  # 40 match: there is more to read
    assert len(result["issues"]) == 10
    first = result["issues"][0]
    assert set(first) == {"id", "key", "summary", "status", "issue_type"}
    assert first["key"].startswith("PROJ-")
    assert first["summary"].startswith("Seeded issue")
    assert all(issue["status"] == "To Do" for issue in result["issues"])
    assert {issue["issue_type"] for issue in result["issues"]} <= {"Task", "Bug"}
    assert jira.mock.calls.filter("POST", SEARCH)[0].json() == {
        "jql": 'project = PROJ AND status = "To Do"', "maxResults": 10, "fields": FIELDS
    }  # fmt: skip
    assert jira.mock.calls.count("/rest/api/3/search") == 0  # the removed endpoint


async def test_search_follows_the_page_token_up_to_the_limit_then_reads_on(
    client: httpx.AsyncClient, jira: RunningMock[JiraMock]
) -> None:
    iid = await _integration(client, jira)

    first = data(
        await _run(client, iid, "search_issues", jql="project = PROJ", max_results=25, limit=60)
    )["result"]  # fmt: skip
    rest = data(
        await _run(client, iid, "search_issues", jql="project = PROJ", max_results=100,
                   limit=500, next_page_token=first["next_page_token"])
    )["result"]  # fmt: skip

    keys = [issue["key"] for issue in first["issues"] + rest["issues"]]
    assert (len(first["issues"]), len(rest["issues"])) == (60, 60)
    assert len(set(keys)) == 120
    assert rest["next_page_token"] is None  # the last page was read
    sent = [call.json() for call in jira.mock.calls.filter("POST", SEARCH)]
    assert [(body["maxResults"], "nextPageToken" in body) for body in sent] == [
        (25, False), (25, True), (10, True), (100, True)
    ]  # fmt: skip
    assert sent[3]["nextPageToken"] == first["next_page_token"]


async def test_search_stops_at_the_last_page(
    client: httpx.AsyncClient, jira: RunningMock[JiraMock]
) -> None:
    iid = await _integration(client, jira)

    result = data(
        await _run(client, iid, "search_issues", jql="project = PROJ AND status = Done",
                   max_results=100, limit=500)
    )["result"]  # fmt: skip

    assert len(result["issues"]) == 40
    assert result["next_page_token"] is None
    assert jira.mock.calls.count(SEARCH) == 1


async def test_an_unbounded_search_is_jiras_invalid_operation(
    client: httpx.AsyncClient, jira: RunningMock[JiraMock]
) -> None:
    iid = await _integration(client, jira)

    response = await _run(client, iid, "search_issues", jql="ORDER BY created DESC")

    assert response.status_code == 400
    assert error(response)["code"] == "INVALID_OPERATION"
    assert "Unbounded JQL queries are not allowed" in error(response)["message"]


async def test_a_spent_jira_budget_pauses_the_next_call_until_its_iso_reset(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    async with serve_mock(JiraMock(clock=clock, rate_limit=2)) as jira:
        iid = await _integration(client, jira)
        first = await _run(client, iid, "get_issue", key="PROJ-1")
        second = await _run(client, iid, "get_issue", key="PROJ-2")  # the minute's last request
        assert clock.sleeps == []

        third = await _run(client, iid, "get_issue", key="PROJ-3")

        answers = [c for c in jira.mock.calls.filter("GET") if c.path.startswith("/rest/api/3/i")]
    assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
    # X-RateLimit-Remaining: 0 with X-RateLimit-Reset: 2026-01-01T00:01Z, read at 00:00:55
    assert clock.sleeps == [5.0]
    assert len(answers) == 3  # Jira never had to say 429


async def test_create_get_comment_and_transition(
    client: httpx.AsyncClient, jira: RunningMock[JiraMock]
) -> None:
    iid = await _integration(client, jira)

    created = data(
        await _run(client, iid, "create_issue", project_key="PROJ", summary="Login fails",
                   issue_type="Bug", description="Steps:\n\n1. open the page")
    )["result"]  # fmt: skip
    key = created["key"]
    comment = data(await _run(client, iid, "add_comment", key=key, body="Looking into it"))
    moved = data(await _run(client, iid, "transition_issue", key=key, transition_id="21"))
    issue = data(await _run(client, iid, "get_issue", key=key))["result"]

    assert created == {
        "id": "10121", "key": "PROJ-121", "self": f"{jira.api_url}/rest/api/3/issue/10121"
    }  # fmt: skip
    assert comment["result"]["id"]
    assert moved["result"] == {"transitioned": True}
    assert issue["key"] == key
    assert issue["id"] == "10121"
    assert issue["summary"] == "Login fails"
    assert issue["issue_type"] == "Bug"
    assert issue["status"] == "In Progress"
    assert issue["project_key"] == "PROJ"
    assert issue["description"]["type"] == "doc"
    sent = jira.mock.calls.filter("POST", "/rest/api/3/issue")[0].json()
    assert sent["fields"]["issuetype"] == {"name": "Bug"}
    assert len(sent["fields"]["description"]["content"]) == 2
    stored = jira.mock.issues[121]
    assert stored.comments[0].body["content"][0]["content"][0]["text"] == "Looking into it"


async def test_create_issue_defaults_to_a_task_without_description(
    client: httpx.AsyncClient, jira: RunningMock[JiraMock]
) -> None:
    iid = await _integration(client, jira)

    data(await _run(client, iid, "create_issue", project_key="PROJ", summary="Chore"))

    sent = jira.mock.calls.filter("POST", "/rest/api/3/issue")[0].json()
    assert sent["fields"] == {
        "project": {"key": "PROJ"}, "summary": "Chore", "issuetype": {"name": "Task"}
    }  # fmt: skip


async def test_an_unknown_transition_is_invalid_with_jiras_message(
    client: httpx.AsyncClient, jira: RunningMock[JiraMock]
) -> None:
    iid = await _integration(client, jira)

    response = await _run(client, iid, "transition_issue", key="PROJ-1", transition_id="99")

    assert response.status_code == 400
    assert error(response)["code"] == "INVALID_OPERATION"
    message = "Transition id '99' is not valid for this issue."
    assert error(response)["details"][1]["provider_message"] == message
    assert message in error(response)["message"]


async def test_an_unknown_issue_is_not_found(
    client: httpx.AsyncClient, jira: RunningMock[JiraMock]
) -> None:
    iid = await _integration(client, jira)

    response = await _run(client, iid, "get_issue", key="PROJ-9999")

    assert response.status_code == 404
    assert error(response)["code"] == "EXTERNAL_RESOURCE_NOT_FOUND"


async def test_a_wrong_token_is_authentication_failed(
    client: httpx.AsyncClient, jira: RunningMock[JiraMock]
) -> None:
    iid = await _integration(client, jira, password="wrong-token")

    response = await _run(client, iid, "get_issue", key="PROJ-1")

    assert response.status_code == 401
    assert error(response)["code"] == "AUTHENTICATION_FAILED"
    assert error(response)["details"][1]["provider_message"] == (
        "Client must be authenticated to access this resource."
    )


async def test_the_connection_test_names_the_user(
    client: httpx.AsyncClient, jira: RunningMock[JiraMock]
) -> None:
    iid = await _integration(client, jira)

    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))

    assert tested["connection_test"]["success"] is True
    assert tested["connection_test"]["message"].endswith("Authenticated as Mock User")
    assert jira.mock.calls.count("/rest/api/3/myself") == 1


async def test_the_catalog_lists_the_jira_operations(
    client: httpx.AsyncClient, jira: RunningMock[JiraMock]
) -> None:
    iid = await _integration(client, jira)

    operations = data(await client.get(f"/api/v1/integrations/{iid}/operations"))["operations"]

    assert [o["id"] for o in operations] == [
        "add_comment", "create_issue", "get_issue", "search_issues", "transition_issue"
    ]  # fmt: skip
