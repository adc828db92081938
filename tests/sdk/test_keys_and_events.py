"""ApiKeyClient, EventClient and their async twins against the live server: keys made, listed
and revoked; the event log paged; the live stream read from a known event on (so no test waits
for anything to happen), its errors raised when it is opened; and the SSE reader itself."""

from __future__ import annotations

from itertools import islice

import pytest

from interlink import (
    ApiKeyNotFound,
    AsyncInterlink,
    Event,
    Interlink,
    InterlinkConnectionError,
    InvalidRequest,
    SseReader,
    Unauthenticated,
)
from tests.e2e.server import free_port


def test_api_keys_are_created_listed_and_revoked(live: str) -> None:
    with Interlink(live) as client:
        made = client.api_keys.create_api_key("sdk reader", ["integrations:read"])
        listed = [k.id for k in client.api_keys.list_api_keys(page_size=100)]
        with Interlink(made.key) as reader:
            assert reader.integrations.list_integrations().pagination.page == 1
        revoked = client.api_keys.revoke_api_key(made.id)
        with pytest.raises(ApiKeyNotFound):
            client.api_keys.revoke_api_key("key_nope")
        with Interlink(made.key) as reader, pytest.raises(Unauthenticated):
            reader.integrations.list_integrations()

    assert made.key.startswith("sk_")
    assert made.scopes == ["integrations:read"]
    assert made.id in listed
    assert (revoked.id, revoked.revoked) == (made.id, True)


def _credentials(client: Interlink, count: int) -> list[str]:
    return [
        client.credentials.create_credential(f"ev {n}", "api_key", {"api_key": "z" * 12}).id
        for n in range(count)
    ]


def test_events_are_listed_and_the_stream_resumes_after_an_id(live: str) -> None:
    with Interlink(live) as client:
        made = _credentials(client, 3)
        log = list(islice(client.events.list_events(type="credential.created", page_size=3), 3))
        oldest = log[-1]
        with client.events.stream_events(["credential.*"], last_event_id=oldest.id) as stream:
            followed = list(islice(stream, 2))

    assert [e.data["credential_id"] for e in reversed(log)] == made  # newest first
    assert all(isinstance(e, Event) and e.event == "credential.created" for e in followed)
    assert [e.data["credential_id"] for e in followed] == made[1:]


async def test_the_async_twins(live: str) -> None:
    async with AsyncInterlink(live) as client:
        made = await client.api_keys.create_api_key("async", ["admin"], rate_limit="10/minute")
        keys = [k.id async for k in await client.api_keys.list_api_keys()]
        await client.api_keys.revoke_api_key(made.id)
        first = await client.credentials.create_credential("a1", "api_key", {"api_key": "q" * 12})
        second = await client.credentials.create_credential("a2", "api_key", {"api_key": "q" * 12})
        page = await client.events.list_events(type="credential.created", page_size=2)
        stream = await client.events.stream_events(last_event_id=page.items[-1].id)
        async with stream:
            async for event in stream:
                followed = event
                break

    assert made.rate_limit == "10/minute"
    assert made.id in keys
    assert [e.data["credential_id"] for e in page.items] == [second.id, first.id]
    assert followed.data["credential_id"] == second.id


def test_a_stream_refused_raises_when_it_is_opened(live: str) -> None:
    with Interlink(live) as client, pytest.raises(InvalidRequest, match="Last-Event-ID"):
        client.events.stream_events(last_event_id="not-an-id")
    nowhere = Interlink(live, base_url=f"http://127.0.0.1:{free_port()}")
    with nowhere, pytest.raises(InterlinkConnectionError, match="Cannot reach Interlink"):
        nowhere.events.stream_events()


def test_the_sse_reader_skips_pings_and_joins_data_lines() -> None:
    reader = SseReader()
    lines = [
        ": ping",
        "",
        "id: evt_1",
        "event: integration.created",
        'data: {"id": "evt_1", "event": "integration.created",',
        'data:  "timestamp": "2026-01-01T00:00:00Z", "data": {"n": 1}}',
        "",
    ]

    events = [event for line in lines if (event := reader.feed(line)) is not None]

    assert [(e.id, e.event, e.data) for e in events] == [("evt_1", "integration.created", {"n": 1})]
