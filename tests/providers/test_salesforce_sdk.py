"""simple-salesforce, pointed at the Salesforce mock, does what a user does with it: query in
batches, read, create, update and delete records, describe a type, and log in with the JWT
bearer flow (and again when the session expires). Its sObject answers fit the published
description.

simple-salesforce builds every URL as `https://{instance}/...` (and logs in at
`https://login.salesforce.com`); the mock speaks HTTP on a loopback port, so the SDK is given a
`requests` session whose adapter sends each https request to the mock over http instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce, SalesforceAuthenticationFailed, SalesforceExpiredSession

from interlink.providers.salesforce.mock import SalesforceMock
from interlink.testing import RunningMock
from interlink.testing.server import serve_mock_in_thread
from tests.providers.conftest import answer_problems, description_or_skip


class ToTheMock(HTTPAdapter):
    """Sends every request to `origin` (the mock's `http://127.0.0.1:port`), path and query
    kept."""

    def __init__(self, origin: str) -> None:
        super().__init__()
        self.origin = urlsplit(origin)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        parts = urlsplit(str(request.url))
        request.url = urlunsplit((self.origin.scheme, self.origin.netloc, *parts[2:]))
        return super().send(request, **kwargs)


@pytest.fixture(scope="module")
def served() -> Iterator[RunningMock[SalesforceMock]]:
    with serve_mock_in_thread(SalesforceMock(accounts=12, batch_size=5)) as running:
        yield running


@pytest.fixture
def mock(served: RunningMock[SalesforceMock]) -> SalesforceMock:
    served.mock.reset()
    return served.mock


def session(served: RunningMock[SalesforceMock]) -> requests.Session:
    routed = requests.Session()
    routed.mount("https://", ToTheMock(served.url))
    return routed


def connect(served: RunningMock[SalesforceMock], token: str) -> Salesforce:
    return Salesforce(
        instance_url=f"https://{urlsplit(served.url).netloc}",
        session_id=token,
        session=session(served),
    )


def test_records_are_queried_read_created_updated_described_and_deleted(
    served: RunningMock[SalesforceMock], mock: SalesforceMock
) -> None:
    sf = connect(served, mock.token)

    everything = sf.query_all("SELECT Id, Name FROM Account")
    account = sf.Account.get("001Mo0000000003AAA")
    created = sf.Contact.create({"LastName": "Lovelace", "AccountId": account["Id"]})
    updated = sf.Contact.update(created["id"], {"Title": "Analyst"})
    contact = sf.Contact.get(created["id"])
    described = sf.Contact.describe()
    deleted = sf.Contact.delete(created["id"])

    assert everything["totalSize"] == 12
    assert len({record["Id"] for record in everything["records"]}) == 12
    assert mock.calls.count("/services/data/v59.0/query/01gMo0000000001AAA-5") == 1
    assert account["Name"] == "Seeded Account 3"
    assert created["success"] is True
    assert (updated, deleted) == (204, 204)
    assert (contact["LastName"], contact["Title"]) == ("Lovelace", "Analyst")
    assert {"LastName", "AccountId"} <= {field["name"] for field in described["fields"]}
    assert sf.api_usage["api-usage"].total == 15000
    description = description_or_skip("salesforce")
    assert answer_problems(description, mock.description_gaps, mock.calls.all()) == []


def test_salesforces_errors_reach_the_sdk_as_its_exceptions(
    served: RunningMock[SalesforceMock], mock: SalesforceMock
) -> None:
    with pytest.raises(SalesforceExpiredSession) as expired:
        connect(served, "wrong").Account.get("001Mo0000000001AAA")

    assert expired.value.content == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_the_jwt_bearer_flow_logs_in_and_again_when_the_session_expires(
    served: RunningMock[SalesforceMock], mock: SalesforceMock
) -> None:
    sf = Salesforce(
        username=mock.username,
        consumer_key=mock.client_id,
        privatekey=mock.private_key_pem,
        session=session(served),
    )
    first = sf.session_id
    mock.expire_sessions()

    account = sf.Account.get("001Mo0000000001AAA")

    assert account["Id"] == "001Mo0000000001AAA"
    assert first != sf.session_id
    assert mock.calls.count("/services/oauth2/token") == 2
    assert sf.sf_instance == urlsplit(served.url).netloc  # the token answer's instance_url


def test_an_assertion_for_another_app_is_refused(
    served: RunningMock[SalesforceMock], mock: SalesforceMock
) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as refused:
        Salesforce(
            username=mock.username,
            consumer_key="another-app",
            privatekey=mock.private_key_pem,
            session=session(served),
        )

    assert refused.value.code == "invalid_client_id"
