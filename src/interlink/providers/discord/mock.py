"""A mock of the Discord HTTP API v10: the bot user, channel messages, webhooks, rate limits."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from aiohttp import web
from aiohttp.typedefs import Handler

from interlink.core.clock import Clock
from interlink.testing.base import MockUpstream, json_response, read_json
from interlink.testing.faults import retry_after_header

DISCORD_EPOCH_MS = 1_420_070_400_000
BOT_USER_ID = "1100000000000000001"
Obj = dict[str, Any]


class DiscordError(Exception):
    """A Discord JSON error: `{"message": ..., "code": ...}` with its HTTP status."""

    def __init__(self, status: int, message: str, code: int, errors: Obj | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: Obj = {"message": message, "code": code}
        if errors is not None:
            self.body["errors"] = errors


@dataclass
class _Bucket:
    """One per-route rate limit: `limit` requests per `window` seconds."""

    name: str
    limit: int
    window: float
    reset_at: float = 0.0
    used: int = 0

    def refresh(self, now: float) -> None:
        if now >= self.reset_at:
            self.reset_at, self.used = now + self.window, 0

    def headers(self, now: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.limit - self.used, 0)),
            "X-RateLimit-Reset": f"{self.reset_at:.3f}",
            "X-RateLimit-Reset-After": f"{max(self.reset_at - now, 0.0):.3f}",
            "X-RateLimit-Bucket": self.name,
        }


class DiscordMock(MockUpstream):
    """Discord under `/api/v10` with seeded text channels and one webhook.

    Bot routes take `Authorization: Bot <token>`; the webhook route is authenticated by the
    token in its path. Each route and top-level resource (channel, webhook) has a bucket of
    `bucket_limit` requests per `bucket_window` seconds (on the injected clock; None turns
    the limits off): every answer carries its X-RateLimit-* headers (the bucket's name in
    X-RateLimit-Bucket, the same for one route on every channel), and a spent bucket answers 429
    `{"message": "You are being rate limited.", "retry_after": ..., "global": false}`.
    `global_limit` (off by default) is the bot's global limit: that many bot requests per
    `global_window` seconds over all routes, past which the answer is a 429 with `"global":
    true`, `X-RateLimit-Global: true` and `X-RateLimit-Scope: global`.
    Messages get snowflake ids; content is limited to 2000 characters, embeds to 10.
    """

    name: ClassVar[str] = "discord"
    api_root: ClassVar[str] = "/api/v10"
    default_token: ClassVar[str] = "mock-bot-token"  # noqa: S105

    def __init__(
        self,
        *,
        token: str | None = None,
        clock: Clock | None = None,
        channels: tuple[str, ...] = ("1200000000000000001", "1200000000000000002"),
        webhook_id: str = "1300000000000000001",
        webhook_token: str = "mock-webhook-token",  # noqa: S107
        bucket_limit: int | None = 5,
        bucket_window: float = 5.0,
        global_limit: int | None = None,
        global_window: float = 1.0,
    ) -> None:
        self.channel_ids = channels
        self.webhook_id = webhook_id
        self.webhook_token = webhook_token
        self.bucket_limit = bucket_limit
        self.bucket_window = bucket_window
        self.global_limit = global_limit
        self.global_window = global_window
        super().__init__(token=token, clock=clock)

    @property
    def credentials(self) -> dict[str, str]:
        return {
            "bot_token": self.token,
            "webhook_id": self.webhook_id,
            "webhook_token": self.webhook_token,
        }

    def reset_state(self) -> None:
        self.messages: dict[str, dict[str, Obj]] = {channel: {} for channel in self.channel_ids}
        self.buckets: dict[str, _Bucket] = {}
        self.global_bucket = _Bucket("global", self.global_limit or 0, self.global_window)
        self._increment = 0

    def add_routes(self, router: web.UrlDispatcher) -> None:
        root = self.api_root
        router.add_get(f"{root}/users/@me", self.get_me)
        router.add_post(f"{root}/channels/{{channel}}/messages", self.create_message)
        router.add_patch(f"{root}/channels/{{channel}}/messages/{{message}}", self.edit_message)
        router.add_post(f"{root}/webhooks/{{webhook}}/{{token}}", self.execute_webhook)

    # authentication and rate limits

    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        is_webhook = request.path.startswith(f"{self.api_root}/webhooks/")
        if not is_webhook and request.headers.get("Authorization") != f"Bot {self.token}":
            return _error(DiscordError(401, "401: Unauthorized", 0))
        now = self.now().timestamp()
        if not is_webhook and self.global_limit is not None:
            self.global_bucket.refresh(now)
            if self.global_bucket.used >= self.global_limit:
                return self._limited(self.global_bucket.reset_at - now, scope="global")
            self.global_bucket.used += 1
        bucket = self._bucket(request)
        if bucket is None:
            response = await self._answer(request, handler)
        elif bucket.used >= bucket.limit:
            response = self._limited(bucket.reset_at - now, scope="user")
        else:
            bucket.used += 1
            response = await self._answer(request, handler)
        if bucket is not None:
            response.headers.update(bucket.headers(now))
        return response

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except DiscordError as error:
            return _error(error)

    def _bucket(self, request: web.Request) -> _Bucket | None:
        if self.bucket_limit is None:
            return None
        route = request.match_info.route.resource
        template = route.canonical if route is not None else request.path
        major = request.match_info.get("channel") or request.match_info.get("webhook") or ""
        key = f"{request.method} {template} {major}"
        bucket = self.buckets.get(key)
        if bucket is None:
            name = hashlib.sha1(f"{request.method} {template}".encode()).hexdigest()[:16]  # noqa: S324
            bucket = self.buckets[key] = _Bucket(name, self.bucket_limit, self.bucket_window)
        bucket.refresh(self.now().timestamp())
        return bucket

    def _limited(self, retry_after: float, *, scope: str) -> web.StreamResponse:
        body = {
            "message": "You are being rate limited.",
            "retry_after": round(retry_after, 3),
            "global": scope == "global",
        }
        headers = {"Retry-After": retry_after_header(retry_after), "X-RateLimit-Scope": scope}
        if scope == "global":
            headers["X-RateLimit-Global"] = "true"
        return json_response(body, status=429, headers=headers)

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        return self._limited(retry_after, scope="shared")

    def server_error_response(self, status: int) -> web.StreamResponse:
        return json_response(
            {"message": f"{status}: Internal Server Error", "code": 0}, status=status
        )

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        return json_response({"message": "404: Not Found", "code": 0}, status=404)

    # handlers

    async def get_me(self, request: web.Request) -> web.StreamResponse:
        return json_response(
            _bot_user() | {"verified": True, "mfa_enabled": False, "flags": 0, "locale": "en-US"}
        )

    async def create_message(self, request: web.Request) -> web.StreamResponse:
        channel_id = request.match_info["channel"]
        self._channel(channel_id)
        body = await _message_body(request)
        message = self._message(channel_id, body, author=_bot_user())
        return json_response(message)

    async def edit_message(self, request: web.Request) -> web.StreamResponse:
        channel = self._channel(request.match_info["channel"])
        message = channel.get(request.match_info["message"])
        if message is None:
            raise DiscordError(404, "Unknown Message", 10008)
        body = await _message_body(request, partial=True)
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                message[key] = body[key]
        message["edited_timestamp"] = _iso(self.now())
        return json_response(message)

    async def execute_webhook(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["webhook"] != self.webhook_id:
            raise DiscordError(404, "Unknown Webhook", 10015)
        if request.match_info["token"] != self.webhook_token:
            raise DiscordError(401, "Invalid Webhook Token", 50027)
        body = await _message_body(request)
        author = {
            "id": self.webhook_id,
            "username": body.get("username") or "Mock Webhook",
            "avatar": None,
            "bot": True,
        }
        message = self._message(self.channel_ids[0], body, author=author)
        message["webhook_id"] = self.webhook_id
        if request.query.get("wait", "false").lower() == "true":
            return json_response(message)
        return web.Response(status=204)

    def _channel(self, channel_id: str) -> dict[str, Obj]:
        channel = self.messages.get(channel_id)
        if channel is None:
            raise DiscordError(404, "Unknown Channel", 10003)
        return channel

    def _message(self, channel_id: str, body: Obj, *, author: Obj) -> Obj:
        message_id = self._snowflake()
        message = {
            "id": message_id,
            "type": 0,
            "channel_id": channel_id,
            "author": author,
            "content": body.get("content", ""),
            "timestamp": _iso(self.now()),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "flags": body.get("flags", 0),
        }
        if "nonce" in body:
            message["nonce"] = body["nonce"]
        self.messages[channel_id][message_id] = message
        return message

    def _snowflake(self) -> str:
        self._increment = (self._increment + 1) % 4096
        millis = int(self.now().timestamp() * 1000) - DISCORD_EPOCH_MS
        return str((millis << 22) | (1 << 17) | (1 << 12) | self._increment)


def _bot_user() -> Obj:
    return {
        "id": BOT_USER_ID,
        "username": "interlink-mock-bot",
        "global_name": None,
        "discriminator": "0",
        "avatar": None,
        "bot": True,
    }


async def _message_body(request: web.Request, *, partial: bool = False) -> Obj:
    try:
        body = await read_json(request)
    except ValueError:
        raise DiscordError(400, "The request body contains invalid JSON.", 50109) from None
    if not isinstance(body, dict):
        raise DiscordError(400, "The request body contains invalid JSON.", 50109)
    content, embeds = body.get("content"), body.get("embeds")
    if isinstance(content, str) and len(content) > 2000:
        raise _form_error("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    if embeds is not None and (not isinstance(embeds, list) or len(embeds) > 10):
        raise _form_error("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    if not partial and not content and not embeds and not body.get("components"):
        raise DiscordError(400, "Cannot send an empty message", 50006)
    return body


def _form_error(field: str, code: str, message: str) -> DiscordError:
    errors = {field: {"_errors": [{"code": code, "message": message}]}}
    return DiscordError(400, "Invalid Form Body", 50035, errors)


def _error(error: DiscordError) -> web.Response:
    return json_response(error.body, status=error.status)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


MOCK = DiscordMock
