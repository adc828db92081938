"""What is Jira's own, through the API against the Jira mock (the contract suite covers the rest:
fixtures, wrong token, 403, 404, 429, 5xx, the limit, secrets).

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


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 1, 1, 0, 0, 55, tzinfo=UTC))  # 5 s before a new minute


@pytest.fixture
async def jira(clock: FrozenClock) -> AsyncIterator[RunningMock[JiraMock]]:
    async with serve_mock(JiraMock(issues=120, clock=clock)) as running:
        yield running


async def _integration(client: httpx.AsyncClient, jira: RunningMock[JiraMock]) -> str:
    body = {
        "name": "Jira Integration",
        "type": "jira",
        "configuration": {"api_url": jira.api_url, "auth_method": "basic"},
        "credentials": {"username": jira.mock.email, "password": jira.mock.token},
    }
    return await create_active(client, body)


async def test_a_search_reads_on_from_its_next_page_token(
    client: httpx.AsyncClient, jira: RunningMock[JiraMock]
) -> None:
    iid = await _integration(client, jira)
    search = {"jql": "project = PROJ", "max_results": 50}

    first = data(await _run(client, iid, "search_issues", **search, limit=60))["result"]
    token = first["next_page_token"]
    rest = data(await _run(client, iid, "search_issues", **search, next_page_token=token))

    keys = [issue["key"] for issue in first["issues"] + rest["result"]["issues"]]
    assert (len(keys), len(set(keys))) == (120, 120)  # Jira counts nothing: no total to read
    assert rest["result"]["next_page_token"] is None


@pytest.mark.parametrize(
    ("operation", "parameters", "message"),
    [
        ("search_issues", {"jql": "ORDER BY created DESC"}, "Unbounded JQL queries are not"),
        ("transition_issue", {"key": "PROJ-1", "transition_id": "99"}, "Transition id '99'"),
    ],
)
async def test_jiras_error_messages_are_an_invalid_operation(
    client: httpx.AsyncClient,
    jira: RunningMock[JiraMock],
    operation: str,
    parameters: dict[str, str],
    message: str,
) -> None:
    iid = await _integration(client, jira)

    response = await _run(client, iid, operation, **parameters)

    assert response.status_code == 400
    assert error(response)["code"] == "INVALID_OPERATION"
    assert message in error(response)["message"]  # from Jira's errorMessages


async def test_a_spent_jira_budget_pauses_the_next_call_until_its_iso_reset(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    async with serve_mock(JiraMock(clock=clock, rate_limit=2)) as jira:
        iid = await _integration(client, jira)
        answers = [await _run(client, iid, "get_issue", key=f"PROJ-{n}") for n in (1, 2, 3)]

        assert [r.status_code for r in answers] == [200, 200, 200]
        # the second answer said X-RateLimit-Remaining: 0, X-RateLimit-Reset: 2026-01-01T00:01Z
        assert clock.sleeps == [5.0]
        assert jira.mock.calls.count("/rest/api/3/issue/PROJ-3") == 1  # no 429 on the way


async def test_the_connection_test_names_the_user(
    client: httpx.AsyncClient, jira: RunningMock[JiraMock]
) -> None:
    iid = await _integration(client, jira)

    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))

    assert tested["connection_test"]["success"] is True
    assert tested["connection_test"]["message"].endswith("Authenticated as Mock User")
    assert jira.mock.calls.count("/rest/api/3/myself") == 1
