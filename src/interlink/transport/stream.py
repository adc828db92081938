"""A provider's answer read as it comes (`ProviderClient.stream`): its lines (newline-delimited
JSON, as Ollama streams) or its Server-Sent Events (as OpenAI, Anthropic and Gemini stream).

Events are parsed by the WHATWG rules (`data` lines joined with a newline, `event` and `id`
fields, comments and `retry` ignored, an event dispatched at a blank line); aiohttp has no
parser of its own and the maintained ones are for other clients (httpx-sse), so the few lines
are here. A connection cut or stalled mid-stream ends the iteration with our error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp

from interlink.core.errors import ExternalServiceError, ExternalServiceTimeout


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    data: str
    event: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class ProviderStream:
    """An answer the error table called OK, its body not read yet."""

    status: int
    headers: dict[str, str]  # lower-case names
    url: str
    raw: aiohttp.ClientResponse

    async def lines(self) -> AsyncIterator[str]:
        """Each line of the body, without its line ending; blank lines skipped."""
        async for line in self._raw_lines():
            if line:
                yield line

    async def events(self) -> AsyncIterator[ServerSentEvent]:
        """Each Server-Sent Event of the body, in order."""
        data: list[str] = []
        event: str | None = None
        event_id: str | None = None
        async for line in self._raw_lines():
            if not line:
                if data:
                    yield ServerSentEvent("\n".join(data), event, event_id)
                data, event = [], None
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value
            elif name == "id":
                event_id = value
        if data:  # a last event without its blank line: the stream ended with it
            yield ServerSentEvent("\n".join(data), event, event_id)

    async def _raw_lines(self) -> AsyncIterator[str]:
        content = self.raw.content
        try:
            while line := await content.readline():
                yield line.decode("utf-8", errors="replace").rstrip("\r\n")
        except ValueError:  # aiohttp's: a line longer than its buffer
            raise ExternalServiceError(
                "The external system's stream has a line too long to read"
            ) from None
        except TimeoutError:
            raise ExternalServiceTimeout("The external system's stream stalled") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise ExternalServiceError(
                f"The external system's stream was cut ({type(exc).__name__})"
            ) from None
