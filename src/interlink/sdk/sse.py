"""Server-Sent Events read line by line, as the SDK's streams (the event stream, a streamed
chat) get them."""

from __future__ import annotations


class SseMessages:
    """`feed` returns a message's data (its `data:` lines joined) at the blank line that ends
    it; comments (keep-alive pings), other fields and messages without data give None."""

    def __init__(self) -> None:
        self._data: list[str] = []

    def feed(self, line: str) -> str | None:
        if line.startswith("data:"):
            self._data.append(line[5:].removeprefix(" "))
            return None
        if line or not self._data:
            return None  # id:, event:, retry:, a ": ping" comment, or an empty message
        text, self._data = "\n".join(self._data), []
        return text
