"""ProviderClient.stream against a real loopback upstream: Server-Sent Events and lines read as
they come, refusals raised as for a request, retries only before the first byte, a cut stream
ending with our error."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from aiohttp import web

from interlink.core.clock import FrozenClock
from interlink.core.errors import (
    CredentialHostNotAllowed,
    ExternalServiceError,
    InvalidOperation,
)
from interlink.transport.auth import AllowedHosts
from interlink.transport.client import CallSettings, ProviderClient, ProviderFacts, Transport
from tests.transport.conftest import Upstream, status

MakeClient = Callable[..., ProviderClient]

SSE = (
    b": a comment the parser skips\n"
    b"event: message_start\n"
    b'data: {"a": 1}\n'
    b"\n"
    b"data: first line\r\n"
    b"data: second line\r\n"
    b"id: 7\r\n"
    b"\r\n"
    b"retry: 3000\n"
    b"data: [DONE]"  # the last event without its blank line
)


def body(chunks: list[bytes], content_type: str, *, cut: bool = False) -> Callable[..., object]:
    """An answer written piece by piece (as a stream is); `cut`: the connection is dropped
    before the answer ends."""

    async def reply(request: web.Request) -> web.StreamResponse:
        answer = web.StreamResponse(headers={"Content-Type": content_type, "X-Kind": "stream"})
        await answer.prepare(request)
        for chunk in chunks:
            await answer.write(chunk)
            await asyncio.sleep(0)  # a separate write, read as it comes
        if cut:
            assert request.transport is not None
            request.transport.close()
            return answer
        await answer.write_eof()
        return answer

    return reply


async def read_events(client: ProviderClient, into: list[str]) -> None:
    async with client.stream("POST", "/chat", json={}) as answer:
        async for event in answer.events():
            into.append(event.data)


async def test_server_sent_events_are_read_as_the_provider_wrote_them(
    make_client: MakeClient, upstream: Upstream
) -> None:
    upstream.script(body([SSE[:30], SSE[30:75], SSE[75:]], "text/event-stream"))

    async with make_client().stream("POST", "/chat", json={"stream": True}) as answer:
        events = [event async for event in answer.events()]

    assert (answer.status, answer.headers["x-kind"]) == (200, "stream")
    assert [(e.event, e.data, e.id) for e in events] == [
        ("message_start", '{"a": 1}', None),
        (None, "first line\nsecond line", "7"),
        (None, "[DONE]", "7"),  # the last event id stays until another is given
    ]
    assert upstream.seen[0]["headers"]["Authorization"] == "Bearer t"


async def test_lines_are_read_as_newline_delimited_json_is_written(
    make_client: MakeClient, upstream: Upstream
) -> None:
    upstream.script(body([b'{"n": 1}\n{"n"', b': 2}\n\n{"n": 3}\n'], "application/x-ndjson"))

    async with make_client().stream("POST", "/api/chat", json={}) as answer:
        lines = [line async for line in answer.lines()]

    assert lines == ['{"n": 1}', '{"n": 2}', '{"n": 3}']


async def test_a_refused_stream_raises_as_a_request_would(
    make_client: MakeClient, upstream: Upstream
) -> None:
    upstream.script(status(400, {"error": {"message": "prompt is too long"}}))

    with pytest.raises(InvalidOperation) as refused:
        async with make_client().stream("POST", "/chat", json={}):
            pytest.fail("a refused stream gives no answer to read")

    assert refused.value.details[0] == {
        "provider_status": 400,
        "provider_message": "prompt is too long",
    }


async def test_a_stream_that_may_be_repeated_is_retried_before_its_first_byte(
    make_client: MakeClient, upstream: Upstream, clock: FrozenClock
) -> None:
    upstream.script(status(503), body([b"data: ok\n\n"], "text/event-stream"))
    started = clock.now()

    async with make_client().stream("POST", "/chat", json={}, idempotency_key="k1") as answer:
        events = [event.data async for event in answer.events()]

    assert events == ["ok"]
    assert len(upstream.seen) == 2
    assert clock.now() > started  # the backoff was waited on the clock


async def test_a_stream_that_may_not_be_repeated_is_sent_once(
    make_client: MakeClient, upstream: Upstream
) -> None:
    upstream.script(status(503))

    with pytest.raises(ExternalServiceError):
        async with make_client().stream("POST", "/chat", json={}):
            pytest.fail("no answer")

    assert len(upstream.seen) == 1


async def test_a_stream_cut_midway_ends_with_our_error_after_what_came(
    make_client: MakeClient, upstream: Upstream
) -> None:
    upstream.script(body([b"data: one\n\n", b"data: tw"], "text/event-stream", cut=True))
    seen: list[str] = []

    with pytest.raises(ExternalServiceError, match=r"stream was cut"):
        await read_events(make_client(), seen)

    assert seen == ["one"]


async def test_a_stream_keeps_the_credentials_host_rule(
    transport: Transport, upstream: Upstream
) -> None:
    client = transport.client(
        "int_1",
        CallSettings(base_url="https://api.example.com"),
        ProviderFacts(),
        {"Authorization": "Bearer t"},
        allowed_hosts=AllowedHosts.of(["api.example.com"]),
    )

    with pytest.raises(CredentialHostNotAllowed):
        async with client.stream("POST", f"{upstream.url}/chat", json={}):
            pytest.fail("the credential would have gone elsewhere")

    assert upstream.seen == []
