"""Microsoft's msgraph-sdk (GraphServiceClient on kiota's httpx adapter, its base URL the mock's,
a static bearer token) does against the Graph mock what our actions do: who am I, send a mail,
read the inbox page after page through @odata.nextLink, the calendar view, create a Teams
meeting, list a drive folder, the joined teams and their channels, post to a channel; and reads
Graph's errors as ODataError. Every answer fits Graph's published description."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.chat_message import ChatMessage
from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.event import Event
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.message import Message
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.recipient import Recipient
from msgraph.generated.users.item.calendar_view.calendar_view_request_builder import (
    CalendarViewRequestBuilder,
)
from msgraph.generated.users.item.messages.messages_request_builder import (
    MessagesRequestBuilder,
)
from msgraph.generated.users.item.send_mail.send_mail_post_request_body import (
    SendMailPostRequestBody,
)
from msgraph.graph_request_adapter import GraphRequestAdapter, options
from msgraph_core import GraphClientFactory

from interlink.providers.microsoft_365.mock import Microsoft365Mock
from interlink.providers.microsoft_365.mock_shapes import DRIVE_ID, TEAM_IDS
from interlink.testing import RunningMock
from interlink.testing.server import serve_mock_in_thread
from tests.providers.conftest import answer_problems, description_or_skip


class StaticToken(AccessTokenProvider):  # type: ignore[misc]
    def __init__(self, token: str) -> None:
        self.token = token

    async def get_authorization_token(self, uri: str, context: Any = None) -> str:
        return self.token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator(["127.0.0.1"])


@pytest.fixture(scope="module")
def served() -> Iterator[RunningMock[Microsoft365Mock]]:
    with serve_mock_in_thread(Microsoft365Mock(messages=12, rate_limit=None)) as running:
        yield running


@pytest.fixture
def graph(served: RunningMock[Microsoft365Mock]) -> Microsoft365Mock:
    served.mock.reset()
    return served.mock


def connect(served: RunningMock[Microsoft365Mock], token: str) -> GraphServiceClient:
    """The SDK as GraphServiceClient builds it (its middleware and options, /me included),
    on an httpx client whose base URL is the mock's."""
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(base_url=served.api_url), options=options
    )
    auth = BaseBearerTokenAuthenticationProvider(StaticToken(token))
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = served.api_url  # httpx's own ends with "/", which kiota doubles
    return GraphServiceClient(request_adapter=adapter)


async def _read_everything(client: GraphServiceClient) -> dict[str, Any]:
    me = await client.me.get()
    to = [Recipient(email_address=EmailAddress(address="megan@contoso.onmicrosoft.com"))]
    mail = Message(subject="Numbers", body=ItemBody(content="Attached"), to_recipients=to)
    await client.me.send_mail.post(SendMailPostRequestBody(message=mail))
    query = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(top=5)
    first = await client.me.messages.get(RequestConfiguration(query_parameters=query))
    assert first is not None
    assert first.odata_next_link is not None
    second = await client.me.messages.with_url(first.odata_next_link).get()
    window = CalendarViewRequestBuilder.CalendarViewRequestBuilderGetQueryParameters(
        start_date_time="2025-05-01T00:00:00", end_date_time="2025-05-04T00:00:00"
    )
    view = await client.me.calendar_view.get(RequestConfiguration(query_parameters=window))
    meeting = await client.me.events.post(
        Event(
            subject="Launch",
            start=DateTimeTimeZone(date_time="2025-06-02T09:00:00", time_zone="UTC"),
            end=DateTimeTimeZone(date_time="2025-06-02T09:30:00", time_zone="UTC"),
            is_online_meeting=True,
        )
    )
    drive = await client.me.drive.get()
    assert drive is not None
    assert drive.id is not None
    root = client.drives.by_drive_id(drive.id).items.by_drive_item_id("root")
    children = await root.children.get()
    teams = await client.me.joined_teams.get()
    channels = await client.teams.by_team_id(TEAM_IDS[0]).channels.get()
    assert channels is not None
    assert channels.value
    general = client.teams.by_team_id(TEAM_IDS[0]).channels.by_channel_id(channels.value[0].id)
    posted = await general.messages.post(ChatMessage(body=ItemBody(content="Shipped")))
    return {"me": me, "first": first, "second": second, "view": view, "meeting": meeting,
            "drive": drive, "children": children, "teams": teams, "posted": posted}  # fmt: skip


def test_the_sdk_reads_and_writes_what_our_actions_do(
    served: RunningMock[Microsoft365Mock], graph: Microsoft365Mock
) -> None:
    got = asyncio.run(_read_everything(connect(served, graph.token)))

    assert got["me"].user_principal_name == "AdeleV@contoso.onmicrosoft.com"
    assert [m.subject for m in got["first"].value + got["second"].value] == [
        f"Seeded message {n}" for n in range(1, 11)
    ]
    assert graph.sent[0]["subject"] == "Numbers"
    assert [e.subject for e in got["view"].value] == ["Seeded meeting 1", "Seeded meeting 2"]
    assert got["meeting"].online_meeting.join_url.startswith("https://teams.microsoft.com/")
    assert got["drive"].id == DRIVE_ID
    assert got["children"].value[0].folder.child_count == 5
    assert [t.id for t in got["teams"].value] == list(TEAM_IDS)
    assert got["posted"].body.content == "Shipped"
    calls = graph.calls.all()
    assert {c.headers["Authorization"] for c in calls} == {f"Bearer {graph.token}"}
    assert (
        answer_problems(description_or_skip("microsoft_365"), graph.description_gaps, calls) == []
    )


@pytest.mark.parametrize(
    ("token", "folder", "code"),
    [("wrong", "inbox", "InvalidAuthenticationToken"), (None, "nope", "ErrorItemNotFound")],
)
def test_graphs_errors_are_read_as_odata_errors(
    served: RunningMock[Microsoft365Mock],
    graph: Microsoft365Mock,
    token: str | None,
    folder: str,
    code: str,
) -> None:
    client = connect(served, token or graph.token)
    messages = client.me.mail_folders.by_mail_folder_id(folder).messages

    with pytest.raises(ODataError) as refused:
        asyncio.run(messages.get())

    assert refused.value.error is not None
    assert refused.value.error.code == code
