"""The event log and its live stream: EventClient and its async twin.

`list_events` pages through the log, newest first. `stream_events` opens the live stream
(Server-Sent Events) and returns it once the server has answered, so a refused request raises
there; iterate it for each event as it is committed, oldest first, and close it when done:

    with client.stream_events(["operation.*"]) as events:
        for event in events:
            ...

`progress_of` picks one operation's `operation.progress` events out of a stream: by its id, or,
for one run now (whose id comes with its answer), by the `request_id` its `execute_operation`
sent.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from typing import Any, Self

from interlink.sdk.base import AsyncResource, SyncResource
from interlink.sdk.client import Call
from interlink.sdk.errors import HttpError
from interlink.sdk.models import Event
from interlink.sdk.pagination import AsyncPager, PageCall, SyncPager
from interlink.sdk.sse import SseMessages

PATH = "/events"
PROGRESS = "operation.progress"


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _no_data(_: Any) -> None:
    return None


class calls:
    # `stream` before `list`: inside the class, `list` names the method below.
    @staticmethod
    def stream(types: list[str] | None, last_event_id: str | None) -> Call[None]:
        headers = {"Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        params = {"type": types} if types else None
        return Call("GET", f"{PATH}/stream", _no_data, params=params, headers=headers)

    @staticmethod
    def list(page_size: int, **filters: Any) -> PageCall[Event]:
        return PageCall(PATH, Event, {"page_size": page_size, **filters})


class SseReader:
    """Reads Server-Sent Events line by line: `feed` returns an Event at each blank line that
    ends a message with data; comments (the keep-alive pings) and other fields are skipped."""

    def __init__(self) -> None:
        self._messages = SseMessages()

    def feed(self, line: str) -> Event | None:
        text = self._messages.feed(line)
        if text is None:
            return None
        try:
            return Event.model_validate(json.loads(text))
        except ValueError:
            message = f"The event stream sent a message that is not an event: {text[:200]}"
            raise HttpError(message) from None


def progress_of(
    event: Event, *, operation_id: str | None = None, request_id: str | None = None
) -> bool:
    """Whether `event` is an `operation.progress` of the operation with `operation_id`, or of
    the one the request with `request_id` (X-Request-ID) runs."""
    if event.event != PROGRESS:
        return False
    found = event.data
    return (operation_id is not None and found.get("operation_id") == operation_id) or (
        request_id is not None and found.get("request_id") == request_id
    )


def _since(value: datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


class EventStream:
    """The live stream: iterate it for events; `close()` (or `with`) hangs up."""

    def __init__(self, lines: Iterator[str], close: Callable[[], None]) -> None:
        self._lines = lines
        self._close = close

    def __iter__(self) -> Iterator[Event]:
        reader = SseReader()
        for line in self._lines:
            event = reader.feed(line)
            if event is not None:
                yield event

    def close(self) -> None:
        self._close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class AsyncEventStream:
    """The asynchronous twin of EventStream: `async for`, `await close()`, `async with`."""

    def __init__(self, lines: AsyncIterator[str], close: Callable[[], Awaitable[None]]) -> None:
        self._lines = lines
        self._close = close

    async def __aiter__(self) -> AsyncIterator[Event]:
        reader = SseReader()
        async for line in self._lines:
            event = reader.feed(line)
            if event is not None:
                yield event

    async def close(self) -> None:
        await self._close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()


class EventClient(SyncResource):
    """Read the event log, or follow it live."""

    def list_events(
        self,
        *,
        type: str | None = None,
        since: datetime | str | None = None,
        integration_id: str | None = None,
        page: int = 1,
        page_size: int = 10,
    ) -> SyncPager[Event]:
        filters = _given(type=type, since=_since(since), integration_id=integration_id)
        return SyncPager.fetch(self._http, calls.list(page_size, **filters), page)

    def stream_events(
        self, types: list[str] | None = None, *, last_event_id: str | None = None
    ) -> EventStream:
        """Events committed from now on (or after `last_event_id`); `types` filter, and
        `operation.*` names a family."""
        stack = contextlib.ExitStack()
        lines = stack.enter_context(self._http.stream(calls.stream(types, last_event_id)))
        return EventStream(lines, stack.close)


class AsyncEventClient(AsyncResource):
    """The asynchronous twin of EventClient."""

    async def list_events(
        self,
        *,
        type: str | None = None,
        since: datetime | str | None = None,
        integration_id: str | None = None,
        page: int = 1,
        page_size: int = 10,
    ) -> AsyncPager[Event]:
        filters = _given(type=type, since=_since(since), integration_id=integration_id)
        return await AsyncPager.fetch(self._http, calls.list(page_size, **filters), page)

    async def stream_events(
        self, types: list[str] | None = None, *, last_event_id: str | None = None
    ) -> AsyncEventStream:
        """Events committed from now on (or after `last_event_id`); `types` filter, and
        `operation.*` names a family."""
        stack = contextlib.AsyncExitStack()
        call = calls.stream(types, last_event_id)
        lines = await stack.enter_async_context(self._http.stream(call))
        return AsyncEventStream(lines, stack.aclose)
