"""What is Salesforce's own, through the API against the Salesforce mock (the contract suite
covers the rest: fixtures, wrong token, 403, 404, the concurrent-requests refusal, 5xx, the
limit, secrets): reading a query on, its error arrays, its 24-hour allowance
(`Sforce-Limit-Info`), an expired session refreshed, and the direct interface.

The app and the mock share one FrozenClock: a wait moves the clock, not the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

import interlink
from interlink.core.clock import FrozenClock
from interlink.testing import Fault, RunningMock, SalesforceMock, serve_mock, serve_mock_in_thread
from tests.conftest import data, error
from tests.connectors.conftest import create_active
from tests.connectors.conftest import run_operation as _run

ACCOUNTS = "SELECT Id, Name FROM Account ORDER BY Name"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
async def salesforce(clock: FrozenClock) -> AsyncIterator[RunningMock[SalesforceMock]]:
    async with serve_mock(SalesforceMock(clock=clock, accounts=12, batch_size=5)) as running:
        yield running


async def _integration(
    client: httpx.AsyncClient, salesforce: RunningMock[SalesforceMock], **credentials: Any
) -> str:
    body = {
        "name": "Salesforce Integration",
        "type": "salesforce",
        "configuration": {  # the seed's shapes
            "api_url": salesforce.api_url,
            "auth_method": "oauth",
            "request_timeout": 30,
            "rate_limit_per_hour": 5000,
        },
        "credentials": credentials
        or {"access_token": salesforce.mock.token, "token_type": "bearer"},
    }
    return await create_active(client, body)


async def test_a_query_reads_on_from_its_next_records_url(
    client: httpx.AsyncClient, salesforce: RunningMock[SalesforceMock]
) -> None:
    iid = await _integration(client, salesforce)

    first = data(await _run(client, iid, "query", soql=ACCOUNTS, limit=5))["result"]
    cursor = first["next_records_url"]
    rest = data(await _run(client, iid, "query", next_records_url=cursor))

    ids = [record["id"] for record in first["records"] + rest["result"]["records"]]
    assert (len(ids), len(set(ids))) == (12, 12)
    assert cursor == "/services/data/v59.0/query/01gMo0000000001AAA-5"
    assert rest["result"]["next_records_url"] is None
    assert first["records"][0] == {
        "type": "Account",
        "id": "001Mo0000000001AAA",
        "fields": {"Id": "001Mo0000000001AAA", "Name": "Seeded Account 1"},
    }


async def test_the_api_version_comes_from_the_configuration(
    client: httpx.AsyncClient, salesforce: RunningMock[SalesforceMock]
) -> None:
    body = {
        "name": "Salesforce Integration",
        "type": "salesforce",
        "configuration": {
            "api_url": salesforce.api_url, "auth_method": "oauth", "api_version": "62.0"
        },
        "credentials": {"access_token": salesforce.mock.token},
    }  # fmt: skip
    iid = await create_active(client, body)

    described = await _run(client, iid, "describe_object", sobject="Contact")

    assert data(described)["result"]["key_prefix"] == "003"
    assert salesforce.mock.calls.last.path == "/services/data/v62.0/sobjects/Contact/describe"


async def test_salesforces_error_array_is_kept_in_the_details(
    client: httpx.AsyncClient, salesforce: RunningMock[SalesforceMock]
) -> None:
    iid = await _integration(client, salesforce)

    refused = await _run(client, iid, "create_record", sobject="Account", fields={"Phone": "1"})

    assert refused.status_code == 400
    assert error(refused)["code"] == "INVALID_OPERATION"
    assert "Required fields are missing: [Name]" in error(refused)["message"]
    assert error(refused)["details"][-1:] == [
        {
            "message": "Required fields are missing: [Name]",
            "errorCode": "REQUIRED_FIELD_MISSING",
            "fields": ["Name"],
        }
    ]


async def test_the_spent_daily_allowance_fails_at_once_and_health_shows_the_usage(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    async with serve_mock(SalesforceMock(clock=clock, daily_limit=3)) as salesforce:
        iid = await _integration(client, salesforce)
        record = {"sobject": "Account", "record_id": "001Mo0000000001AAA"}
        answers = [await _run(client, iid, "get_record", **record) for _ in range(3)]
        checked = data(await client.post(f"/api/v1/integrations/{iid}/health/check"))
        refused = await _run(client, iid, "get_record", **record)

        assert [a.status_code for a in answers] == [200, 200, 200]
        checks = {c["name"]: c["message"] for c in checked["health_check"]["checks"]}
        assert checks["rate_limit"] == "Rate limit: 0/3 remaining"
        assert refused.status_code == 409
        assert error(refused)["code"] == "RATE_LIMIT_EXCEEDED"
        assert "TotalRequests Limit exceeded." in error(refused)["message"]
        assert clock.sleeps == []  # a rolling 24 hours: nothing to wait for
        assert (
            salesforce.mock.calls.count("/services/data/v59.0/sobjects/Account/001Mo0000000001AAA")
            == 4
        )


async def test_the_concurrent_requests_refusal_is_waited_out_and_retried(
    client: httpx.AsyncClient, clock: FrozenClock, salesforce: RunningMock[SalesforceMock]
) -> None:
    iid = await _integration(client, salesforce)
    salesforce.mock.faults.add(Fault.rate_limited(retry_after=30), times=1)

    answer = await _run(client, iid, "describe_object", sobject="Account")

    assert answer.status_code == 200
    assert clock.sleeps == [1.0]  # Salesforce names no wait: the transport's own pause
    assert salesforce.mock.calls.count("/services/data/v59.0/sobjects/Account/describe") == 2


async def test_the_connection_test_reads_the_orgs_limits(
    client: httpx.AsyncClient, salesforce: RunningMock[SalesforceMock]
) -> None:
    iid = await _integration(client, salesforce)

    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))

    assert tested["connection_test"]["success"] is True
    assert tested["connection_test"]["message"].endswith(
        "Authenticated; 14999 of 15000 daily API requests left"
    )


async def test_an_expired_session_is_refreshed_and_the_call_sent_again(
    client: httpx.AsyncClient, salesforce: RunningMock[SalesforceMock]
) -> None:
    mock = salesforce.mock
    iid = await _integration(
        client,
        salesforce,
        access_token=mock.token,
        refresh_token=mock.refresh_token,
        client_id=mock.client_id,
        client_secret=mock.client_secret,
        token_url=f"{salesforce.url}/services/oauth2/token",
    )
    mock.expire_sessions()

    answer = await _run(
        client, iid, "get_record", sobject="Contact", record_id="003Mo0000000001AAA"
    )

    assert answer.status_code == 200
    sent = [call.headers["Authorization"] for call in mock.calls.all() if call.method == "GET"]
    assert sent == [f"Bearer {mock.token}", "Bearer 00DMo0000000001!mock-session-1"]
    assert mock.calls.count("/services/oauth2/token") == 1


async def test_a_refresh_token_alone_gets_a_token_first_and_calls_its_instance_url(
    client: httpx.AsyncClient, salesforce: RunningMock[SalesforceMock]
) -> None:
    mock = salesforce.mock
    body = {
        "name": "Salesforce Integration",
        "type": "salesforce",
        "configuration": {"api_url": "https://acme.my.salesforce.com", "auth_method": "oauth"},
        "credentials": {  # what the web-server flow leaves: a refresh token, the app's keys
            "refresh_token": mock.refresh_token,
            "client_id": mock.client_id,
            "client_secret": mock.client_secret,
            "token_url": f"{salesforce.url}/services/oauth2/token",
        },
    }
    iid = await create_active(client, body)

    answer = await _run(client, iid, "describe_object", sobject="Contact")

    assert answer.status_code == 200
    assert mock.calls.count("/services/oauth2/token") == 1
    assert mock.calls.last.headers["Authorization"] == "Bearer 00DMo0000000001!mock-session-1"


def test_the_direct_interface_queries_and_writes_from_a_plain_script() -> None:
    with serve_mock_in_thread(SalesforceMock(token="sf-session")) as running:
        config = interlink.SalesforceIntegrationConfiguration(
            api_url=running.api_url, access_token="sf-session"
        )
        with interlink.SalesforceIntegration(config) as salesforce:
            created = salesforce.create_record(sobject="Account", fields={"Name": "Direct"})
            salesforce.update_record(
                sobject="Account", record_id=created["id"], fields={"Industry": "Energy"}
            )
            found = salesforce.query(soql="SELECT Id, Industry FROM Account WHERE Name = 'Direct'")
            salesforce.delete_record(sobject="Account", record_id=created["id"])

    assert found["records"] == [
        {
            "type": "Account",
            "id": created["id"],
            "fields": {"Id": created["id"], "Industry": "Energy"},
        }
    ]


def _jwt_integration(salesforce: RunningMock[SalesforceMock], issuer: str) -> dict[str, Any]:
    """Salesforce's JWT bearer flow: the connected app's key, its consumer key as the issuer,
    the user as the subject; the integration's api_url is replaced by the answer's
    instance_url."""
    return {
        "name": "Salesforce Integration",
        "type": "salesforce",
        "configuration": {"api_url": "https://acme.my.salesforce.com", "auth_method": "jwt"},
        "credentials": {
            "grant_type": "jwt_bearer",
            "private_key": salesforce.mock.private_key_pem,
            "issuer": issuer,
            "subject": salesforce.mock.username,
            "audience": "https://login.salesforce.com",
            "token_url": f"{salesforce.url}/services/oauth2/token",
        },
    }


async def test_the_jwt_bearer_flow_gets_a_token_and_calls_its_instance_url(
    client: httpx.AsyncClient, salesforce: RunningMock[SalesforceMock]
) -> None:
    mock = salesforce.mock
    iid = await create_active(client, _jwt_integration(salesforce, mock.client_id))
    record = {"sobject": "Account", "record_id": "001Mo0000000001AAA"}

    first = await _run(client, iid, "get_record", **record)
    mock.expire_sessions()
    again = await _run(client, iid, "get_record", **record)

    assert (first.status_code, again.status_code) == (200, 200)
    assert mock.calls.count("/services/oauth2/token") == 2  # the first call, then the 401
    sent = [c.headers["Authorization"] for c in mock.calls.all() if c.method == "GET"]
    assert sent == [
        "Bearer 00DMo0000000001!mock-session-1",
        "Bearer 00DMo0000000001!mock-session-1",
        "Bearer 00DMo0000000001!mock-session-2",
    ]
    shown = data(await client.get(f"/api/v1/integrations/{iid}"))["credentials"]
    assert shown["instance_url"] == salesforce.url
    assert mock.private_key_pem not in str(shown)


async def test_an_assertion_of_another_app_is_an_authentication_failure(
    client: httpx.AsyncClient, salesforce: RunningMock[SalesforceMock]
) -> None:
    iid = await create_active(client, _jwt_integration(salesforce, "another-app"))

    refused = await _run(client, iid, "describe_object", sobject="Account")

    assert refused.status_code == 401
    assert error(refused)["code"] == "AUTHENTICATION_FAILED"
    assert "JWT assertion" in error(refused)["message"]
    assert salesforce.mock.calls.count("/services/data/v59.0/sobjects/Account/describe") == 0
