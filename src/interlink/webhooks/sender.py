"""One delivery attempt over HTTP: the request, its signature headers, and what came back.

aiohttp's exceptions end here: an attempt always returns a `Sent`. It goes through the
transport's pooled sessions (`transport/pool.py`: the SSRF guard's resolver, the timeout, the
connection limit), as a provider call does. Redirects are not followed (a 3xx is a failure), and
a URL whose host is an IP literal (which aiohttp does not resolve) is checked here before each
attempt.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import aiohttp

from interlink import __version__
from interlink.core.secrets import Scrubber
from interlink.transport.pool import SessionOptions, SessionPool
from interlink.transport.ssrf import AddressPolicy, UrlRefused
from interlink.webhooks.headers import credential_values
from interlink.webhooks.signing import BadSecret, signature_headers

USER_AGENT = f"Interlink-Webhooks/{__version__}"
_POOL_KEY = "webhooks"  # one session for every endpoint


@dataclass(frozen=True)
class Sent:
    status_code: int | None
    duration_ms: int
    response_body: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Message:
    delivery_id: str
    event_id: str
    event_type: str
    body: bytes
    url: str
    custom_headers: dict[str, str] = field(repr=False)
    secrets: list[str] = field(repr=False)
    timestamp: int


class Sender:
    """One pooled session for every endpoint, opened on first use."""

    def __init__(
        self, policy: AddressPolicy, *, timeout_seconds: float, body_bytes: int, connections: int
    ) -> None:
        self.policy = policy
        self.pool = SessionPool(policy)
        self.options = SessionOptions(total_timeout=timeout_seconds, max_connections=connections)
        self.timeout_seconds = timeout_seconds
        self.body_bytes = body_bytes

    def headers(self, message: Message) -> dict[str, str]:
        headers = dict(message.custom_headers)
        headers.update(
            signature_headers(message.secrets, message.event_id, message.timestamp, message.body)
        )
        headers.update(
            {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-Webhook-Event": message.event_type,
                "X-Webhook-Delivery": message.delivery_id,
            }
        )
        return headers

    async def send(self, message: Message) -> Sent:
        """The attempt; what the endpoint answers is kept without the values of credential
        headers (an endpoint that echoes its request must not put them in the delivery log)."""
        sent = await self._send(message)
        scrubber = Scrubber(credential_values(message.custom_headers))
        if not scrubber:
            return sent
        body, error = sent.response_body, sent.error
        return replace(
            sent,
            response_body=scrubber.text(body) if body else body,
            error=scrubber.text(error) if error else error,
        )

    async def _send(self, message: Message) -> Sent:
        started = time.perf_counter()
        try:
            self.policy.check_url(message.url)
            headers = self.headers(message)
            session = self.pool.get(_POOL_KEY, self.options)
            async with session.post(
                message.url, data=message.body, headers=headers, allow_redirects=False
            ) as response:
                text = await self._body(response)
                return Sent(response.status, _ms(started), text, None)
        except TimeoutError:
            return Sent(None, _ms(started), None, f"timed out after {self.timeout_seconds:g} s")
        except UrlRefused as exc:
            return Sent(None, _ms(started), None, f"refused: {exc}")
        except BadSecret:
            return Sent(None, _ms(started), None, "the endpoint's secret is not usable")
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            cause = exc.__cause__ if isinstance(exc.__cause__, UrlRefused) else exc
            return Sent(None, _ms(started), None, _describe(cause))

    async def _body(self, response: aiohttp.ClientResponse) -> str | None:
        if self.body_bytes == 0:
            return None
        raw = await response.content.read(self.body_bytes)
        return raw.decode("utf-8", "replace")

    async def close(self) -> None:
        await self.pool.close()


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
