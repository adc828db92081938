"""Zendesk's official Python SDK (zenpy), pointed at the Zendesk mock, does what a user does with
it: who am I, read tickets page after page (cursor pagination through `links.next`), read one,
create one, update it with an internal note, find it with the export search, read a user, and
tell a missing ticket and wrong credentials apart. zenpy builds `https://{subdomain}.zendesk.com`
itself; its own switches ZENPY_FORCE_SCHEME and ZENPY_FORCE_NETLOC point it at the mock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, Ticket
from zenpy.lib.exception import APIException, RecordNotFoundException

from interlink.providers.zendesk.mock import ZendeskMock
from interlink.testing import RunningMock
from interlink.testing.server import serve_mock_in_thread


@pytest.fixture(scope="module")
def served() -> Iterator[RunningMock[ZendeskMock]]:
    with serve_mock_in_thread(ZendeskMock(tickets=150, rate_limit=None)) as running:
        yield running


@pytest.fixture
def zendesk(served: RunningMock[ZendeskMock], monkeypatch: pytest.MonkeyPatch) -> ZendeskMock:
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", f"{served.host}:{served.port}")
    served.mock.reset()
    return served.mock


def connect(mock: ZendeskMock, **auth: str) -> Zenpy:
    return Zenpy(
        subdomain="acme", disable_cache=True, **(auth or {"email": mock.email, "token": mock.token})
    )


def test_tickets_are_read_page_after_page_by_cursor(zendesk: ZendeskMock) -> None:
    client = connect(zendesk)

    me = client.users.me()
    tickets = list(client.tickets())

    assert (me.name, me.role) == ("Mock Agent", "admin")
    assert [t.id for t in tickets] == list(range(1, 151))
    pages = zendesk.calls.filter("GET", "/api/v2/tickets.json")
    assert len(pages) == 2  # zenpy asks 100 a page and follows links.next
    assert pages[1].query["page[after]"]


def test_a_ticket_is_created_updated_with_a_note_and_found(zendesk: ZendeskMock) -> None:
    client = connect(zendesk, email=zendesk.email, oauth_token=zendesk.token)

    created = client.tickets.create(
        Ticket(subject="Printer offline", description="Restarting does not help", priority="high")
    ).ticket
    created.status = "pending"
    created.comment = Comment(body="Waiting on the vendor", public=False)
    client.tickets.update(created)
    again = client.tickets(id=created.id)
    found = list(client.search_export("printer", type="ticket", status="pending"))
    requester = client.users(id=seeded_requester(zendesk, 7))

    assert (created.id, created.subject, created.priority) == (151, "Printer offline", "high")
    assert (again.status, again.description) == ("pending", "Restarting does not help")
    assert zendesk.tickets[151].comments[-1] == {
        "body": "Waiting on the vendor", "public": False, "author_id": 1
    }  # fmt: skip
    assert [t.id for t in found] == [151]
    assert requester.role == "end-user"
    assert zendesk.calls.last.headers["Authorization"] == f"Bearer {zendesk.token}"


def seeded_requester(mock: ZendeskMock, ticket_id: int) -> int:
    return mock.tickets[ticket_id].requester_id


def test_a_missing_ticket_and_wrong_credentials_are_told_apart(zendesk: ZendeskMock) -> None:
    with pytest.raises(RecordNotFoundException):
        connect(zendesk).tickets(id=9999)
    with pytest.raises(APIException) as refused:
        connect(zendesk, email=zendesk.email, token="wrong").users.me()

    assert refused.value.response.status_code == 401
    assert "Couldn't authenticate you" in refused.value.response.text
