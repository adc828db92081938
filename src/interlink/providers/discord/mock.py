"""A mock of the Discord HTTP API v10: the bot user and its application, text channels and their
messages (JSON, or multipart with attachments), a channel webhook, rate limits.

It answers as Discord does, so discord.py works against it as against Discord: JSON with
`Content-Type: application/json` exactly (discord.py parses nothing else) and `Via: 1.1 google`
(discord.py takes a 429 without it for a Cloudflare ban); bot routes refuse a User-Agent that is
not `DiscordBot (...)` with Cloudflare's 403 `internal network error` (code 40333) before looking
at the token (webhook routes, authenticated by their path, let any client in, as Discord does);
`wait` is a boolean as Discord reads them (`true`/`1`, `false`/`0`); a repeated `nonce` with
`enforce_nonce` gives back the message it created; attachment URLs point back at the mock.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar

from aiohttp import web
from aiohttp.typedefs import Handler

from interlink.core.clock import Clock
from interlink.testing.base import MockUpstream
from interlink.testing.faults import retry_after_header
from interlink.testing.toolkit import (
    RateBudget,
    RateHeaders,
    ResetFormat,
    TokenGate,
    authorization,
)

DISCORD_EPOCH_MS = 1_420_070_400_000
BOT_USER_ID = "1100000000000000001"  # the bot's user id is its application's id
OWNER_ID = "1100000000000000002"
GUILD_ID = "1000000000000000001"
VERIFY_KEY = "9e1d6a5d8f6e2b4c7a3f0e1d2c3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f7"
VIA = {"Via": "1.1 google"}
Obj = dict[str, Any]


class DiscordError(Exception):
    """A Discord JSON error: `{"message": ..., "code": ...}` with its HTTP status."""

    def __init__(self, status: int, message: str, code: int, errors: Obj | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: Obj = {"message": message, "code": code}
        if errors is not None:
            self.body["errors"] = errors


@dataclass(frozen=True)
class Upload:
    """A file sent as `files[n]` in a multipart body."""

    field: str
    filename: str
    content_type: str
    data: bytes


# Each bucket's headers: when it comes back, in epoch seconds and seconds from now (both with
# milliseconds), and its name, the same for one route on every channel.
RATE_HEADERS = RateHeaders(
    resets={
        "X-RateLimit-Reset": ResetFormat.EPOCH_MILLIS,
        "X-RateLimit-Reset-After": ResetFormat.SECONDS_AFTER_MILLIS,
    },
    bucket="X-RateLimit-Bucket",
)


class DiscordMock(MockUpstream):
    """Discord under `/api/v10` with seeded text channels (of one guild) and one webhook.

    Bot routes take `Authorization: Bot <token>` and a DiscordBot User-Agent; the webhook routes
    are authenticated by the token in their path. Each route and top-level resource (channel,
    webhook) has a bucket of `bucket_limit` requests per `bucket_window` seconds (on the injected
    clock; None turns the limits off): every answer carries its X-RateLimit-* headers (the
    bucket's name in X-RateLimit-Bucket, the same for one route on every channel), and a spent
    bucket answers 429 `{"message": "You are being rate limited.", "retry_after": ...,
    "global": false, "code": 0}`. `global_limit` (off by default) is the bot's global limit:
    that many bot requests per `global_window` seconds over all routes, past which the answer is
    a 429 with `"global": true`, `X-RateLimit-Global: true` and `X-RateLimit-Scope: global`.
    `seed_messages` (id: content) are messages the bot sent before, in the first channel.
    Messages get snowflake ids; content is limited to 2000 characters, embeds to 10, a nonce to
    25; a bot edits only its own messages, a webhook only its own.
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
        seed_messages: Mapping[str, str] | None = None,
    ) -> None:
        self.channel_ids = channels
        self.seed_messages = dict(seed_messages or {})
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

    def integration_credentials(self, auth_method: str, token: str | None = None) -> dict[str, str]:
        return {"bot_token": self.token if token is None else token}

    def reset_state(self) -> None:
        self.messages: dict[str, dict[str, Obj]] = {channel: {} for channel in self.channel_ids}
        self.files: dict[str, Upload] = {}  # by the path of its URL
        self.nonces: dict[tuple[str, str], str] = {}  # (channel, nonce) -> message id
        self.buckets = RateBudget(  # by route and top-level resource
            lambda: self.bucket_limit,
            self.bucket_window,
            clock=self.clock,
            exhausted=partial(self._limited, scope="user"),
            headers=RATE_HEADERS,
        )
        self.global_budget = RateBudget(  # the bot's, over all routes
            lambda: self.global_limit,
            self.global_window,
            clock=self.clock,
            exhausted=partial(self._limited, scope="global"),
        )
        self._increment = 0
        bot = _user(BOT_USER_ID, "interlink-mock-bot")
        for message_id, content in self.seed_messages.items():
            seeded = {"content": content}
            self._message(
                self.channel_ids[0], seeded, author=bot, attachments=[], message_id=message_id
            )

    def add_routes(self, router: web.UrlDispatcher) -> None:
        root = self.api_root
        channel = f"{root}/channels/{{channel}}"
        hook = f"{root}/webhooks/{{webhook}}/{{token}}"
        router.add_get(f"{root}/users/@me", self.get_me)
        router.add_get(f"{root}/oauth2/applications/@me", self.get_application)
        router.add_get(channel, self.get_channel)
        router.add_post(f"{channel}/messages", self.create_message)
        router.add_post(hook, self.execute_webhook)
        for messages in (f"{channel}/messages/{{message}}", f"{hook}/messages/{{message}}"):
            router.add_get(messages, self.get_message)
            router.add_patch(messages, self.edit_message)
            router.add_delete(messages, self.delete_message)
        router.add_get("/attachments/{channel}/{attachment}/{filename}", self.get_attachment)

    # the gate: Cloudflare, authentication and rate limits

    @property
    def tokens(self) -> TokenGate:
        """The bot's token, as `Authorization: Bot <token>`."""
        return TokenGate({self.token}, _unauthorized, (authorization("Bot", case_sensitive=True),))

    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(self.api_root + "/"):
            return await handler(request)  # the CDN
        answer = partial(self._in_bucket, request, handler)
        if request.path.startswith(f"{self.api_root}/webhooks/"):
            return await answer()  # authenticated by the token in its path
        if not request.headers.get("User-Agent", "").startswith("DiscordBot"):
            return _json({"message": "internal network error", "code": 40333}, 403, via=False)
        refusal = self.tokens.refusal(request)
        return refusal if refusal is not None else await self.global_budget.meter("", answer)

    async def _in_bucket(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """The answer within the bucket of the request's route and top-level resource."""
        route = request.match_info.route.resource
        template = route.canonical if route is not None else request.path
        major = request.match_info.get("channel") or request.match_info.get("webhook") or ""
        name = hashlib.sha1(f"{request.method} {template}".encode()).hexdigest()[:16]  # noqa: S324
        key = f"{request.method} {template} {major}"
        return await self.buckets.meter(key, partial(self._answer, request, handler), name=name)

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except DiscordError as error:
            return _error(error)

    def _limited(self, retry_after: float, *, scope: str) -> web.StreamResponse:
        body = {
            "message": "You are being rate limited.",
            "retry_after": round(retry_after, 3),
            "global": scope == "global",
            "code": 0,
        }
        headers = {"Retry-After": retry_after_header(retry_after), "X-RateLimit-Scope": scope}
        if scope == "global":
            headers["X-RateLimit-Global"] = "true"
        return _json(body, 429, headers)

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        return self._limited(retry_after, scope="shared")

    def server_error_response(self, status: int) -> web.StreamResponse:
        return _json({"message": f"{status}: Internal Server Error", "code": 0}, status)

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        return _json({"message": "404: Not Found", "code": 0}, 404)

    def missing_response(self, request: web.Request) -> web.StreamResponse:
        found = request.match_info
        if "message" in found:
            return _error(DiscordError(404, "Unknown Message", 10008))
        if "webhook" in found:
            return _error(DiscordError(404, "Unknown Webhook", 10015))
        if "channel" in found:
            return _error(DiscordError(404, "Unknown Channel", 10003))
        return self.not_found_response(request)

    def forbidden_response(self, request: web.Request) -> web.StreamResponse:
        return _error(DiscordError(403, "Missing Permissions", 50013))

    # handlers

    async def get_me(self, request: web.Request) -> web.StreamResponse:
        extra = {"mfa_enabled": False, "locale": "en-US", "verified": True, "premium_type": 0}
        return _json(_user(BOT_USER_ID, "interlink-mock-bot") | extra)

    async def get_application(self, request: web.Request) -> web.StreamResponse:
        return _json(
            {
                "id": BOT_USER_ID, "name": "interlink-mock-bot", "icon": None, "description": "",
                "type": None, "flags": 0, "flags_new": "0", "verify_key": VERIFY_KEY,
                "bot": _user(BOT_USER_ID, "interlink-mock-bot"), "owner": _user(OWNER_ID, "owner",
                bot=False), "team": None, "bot_public": True, "bot_require_code_grant": False,
                "redirect_uris": [], "interactions_endpoint_url": None,
                "role_connections_verification_url": None, "approximate_guild_count": 1,
                "approximate_user_install_count": 0, "approximate_user_authorization_count": 0,
                "explicit_content_filter": 0, "eligible_oauth2_scopes": ["bot"],
            }
        )  # fmt: skip

    async def get_channel(self, request: web.Request) -> web.StreamResponse:
        channel_id = request.match_info["channel"]
        messages = self._channel(channel_id)
        position = self.channel_ids.index(channel_id)
        return _json(
            {
                "id": channel_id, "type": 0, "flags": 0, "guild_id": GUILD_ID,
                "name": f"channel-{position + 1}", "position": position, "parent_id": None,
                "topic": None, "nsfw": False, "rate_limit_per_user": 0,
                "last_message_id": next(reversed(messages), None), "permission_overwrites": [],
            }
        )  # fmt: skip

    async def create_message(self, request: web.Request) -> web.StreamResponse:
        channel_id = request.match_info["channel"]
        messages = self._channel(channel_id)
        body, files = await _payload(request)
        nonce = body.get("nonce")
        known = self.nonces.get((channel_id, str(nonce)))
        if body.get("enforce_nonce") and known in messages:
            return _json(messages[known])
        author = _user(BOT_USER_ID, "interlink-mock-bot")
        attachments = self._store(request, channel_id, body, files)
        message = self._message(channel_id, body, author=author, attachments=attachments)
        if nonce is not None:
            self.nonces[channel_id, str(nonce)] = message["id"]
        return _json(message)

    async def execute_webhook(self, request: web.Request) -> web.StreamResponse:
        self._webhook(request)
        wait = _boolean(request, "wait")
        body, files = await _payload(request)
        author = _user(
            self.webhook_id, body.get("username") or "Mock Webhook", discriminator="0000"
        )
        channel_id = self.channel_ids[0]
        attachments = self._store(request, channel_id, body, files)
        message = self._message(channel_id, body, author=author, attachments=attachments)
        message["webhook_id"] = self.webhook_id
        return _json(message) if wait else web.Response(status=204, headers=VIA)

    async def get_message(self, request: web.Request) -> web.StreamResponse:
        return _json(self._find(request))

    async def edit_message(self, request: web.Request) -> web.StreamResponse:
        message = self._find(request)
        if "webhook" not in request.match_info and message["author"]["id"] != BOT_USER_ID:
            raise DiscordError(403, "Cannot edit a message authored by another user", 50005)
        body, files = await _payload(request, partial=True)
        for key in ("content", "components", "flags"):
            if key in body:
                message[key] = body[key]
        if "embeds" in body:
            message["embeds"] = _embeds(body["embeds"])
        if "attachments" in body:
            kept = {str(a.get("id")) for a in body["attachments"] or [] if isinstance(a, dict)}
            message["attachments"] = [a for a in message["attachments"] if a["id"] in kept]
        message["attachments"] += self._store(request, message["channel_id"], body, files)
        message["edited_timestamp"] = _iso(self.now())
        return _json(message)

    async def delete_message(self, request: web.Request) -> web.StreamResponse:
        message = self._find(request)
        del self.messages[message["channel_id"]][message["id"]]
        return web.Response(status=204, headers=VIA)

    async def get_attachment(self, request: web.Request) -> web.StreamResponse:
        upload = self.files.get(request.path)
        if upload is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=upload.data, content_type=upload.content_type)

    # state

    def _channel(self, channel_id: str) -> dict[str, Obj]:
        channel = self.messages.get(channel_id)
        if channel is None:
            raise DiscordError(404, "Unknown Channel", 10003)
        return channel

    def _webhook(self, request: web.Request) -> None:
        if request.match_info["webhook"] != self.webhook_id:
            raise DiscordError(404, "Unknown Webhook", 10015)
        if request.match_info["token"] != self.webhook_token:
            raise DiscordError(401, "Invalid Webhook Token", 50027)

    def _find(self, request: web.Request) -> Obj:
        """The message the path names: in its channel, or one its webhook sent."""
        found = request.match_info
        if "webhook" in found:
            self._webhook(request)
            message = self.messages[self.channel_ids[0]].get(found["message"])
            if message is not None and message.get("webhook_id") != self.webhook_id:
                message = None
        else:
            message = self._channel(found["channel"]).get(found["message"])
        if message is None:
            raise DiscordError(404, "Unknown Message", 10008)
        return message

    def _message(
        self,
        channel_id: str,
        body: Obj,
        *,
        author: Obj,
        attachments: list[Obj],
        message_id: str = "",
    ) -> Obj:
        message_id = message_id or self._snowflake()
        message = {
            "id": message_id,
            "type": 0,
            "channel_id": channel_id,
            "author": author,
            "content": body.get("content") or "",
            "timestamp": _iso(self.now()),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": attachments,
            "embeds": _embeds(body.get("embeds")),
            "components": body.get("components") or [],
            "pinned": False,
            "flags": body.get("flags") or 0,
        }
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        self.messages[channel_id][message_id] = message
        return message

    def _store(
        self, request: web.Request, channel_id: str, body: Obj, files: list[Upload]
    ) -> list[Obj]:
        """The uploads as attachment objects, each served by the mock at its URL."""
        described = {
            str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)
        }
        attachments = []
        for upload in files:
            index = upload.field.removeprefix("files[").removesuffix("]")
            extra = {k: v for k, v in described.get(index, {}).items() if k == "description"}
            attachment_id = self._snowflake()
            path = f"/attachments/{channel_id}/{attachment_id}/{upload.filename}"
            self.files[path] = upload
            url = f"{request.scheme}://{request.host}{path}"
            attachments.append(
                {"id": attachment_id, "filename": upload.filename, "size": len(upload.data),
                 "url": url, "proxy_url": url, "content_type": upload.content_type, **extra}
            )  # fmt: skip
        return attachments

    def _snowflake(self) -> str:
        self._increment = (self._increment + 1) % 4096
        millis = int(self.now().timestamp() * 1000) - DISCORD_EPOCH_MS
        return str((millis << 22) | (1 << 17) | (1 << 12) | self._increment)


def _unauthorized(request: web.Request, token: str) -> web.Response:
    return _error(DiscordError(401, "401: Unauthorized", 0))


def _user(user_id: str, username: str, *, bot: bool = True, discriminator: str = "0") -> Obj:
    user = dict(id=user_id, username=username, global_name=None, avatar=None, flags=0,
                discriminator=discriminator, public_flags=0, primary_guild=None)  # fmt: skip
    return user | {"bot": True} if bot else user


def _embeds(embeds: Any) -> list[Obj]:
    """Embeds as Discord answers them: a `type`, `rich` unless given."""
    return [{"type": "rich", **embed} for embed in embeds or [] if isinstance(embed, dict)]


def _boolean(request: web.Request, name: str) -> bool:
    raw = request.query.get(name, "false")
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise _form_error(name, "BOOLEAN_TYPE_COERCE", f'Value "{raw}" is not a valid boolean.')


async def _payload(request: web.Request, *, partial: bool = False) -> tuple[Obj, list[Upload]]:
    """The JSON body, or a multipart body's `payload_json` and its `files[n]`."""
    raw = await request.read()
    if request.content_type == "multipart/form-data":
        body, files = _multipart(request.headers["Content-Type"], raw)
    else:
        body, files = _parse_json(raw), []
    _check(body, files, partial=partial)
    return body, files


def _multipart(content_type: str, raw: bytes) -> tuple[Obj, list[Upload]]:
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    document = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    body: Obj = {}
    files = []
    for part in document.iter_parts():
        field = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        filename = part.get_filename()
        if filename:
            files.append(Upload(str(field), filename, part.get_content_type(), data))
        elif field == "payload_json":
            body = _parse_json(data)
    return body, files


def _parse_json(raw: bytes) -> Obj:
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise DiscordError(400, "The request body contains invalid JSON.", 50109)
    return body


def _check(body: Obj, files: list[Upload], *, partial: bool) -> None:
    content, embeds, nonce = body.get("content"), body.get("embeds"), body.get("nonce")
    if isinstance(content, str) and len(content) > 2000:
        raise _form_error("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    if embeds is not None and (not isinstance(embeds, list) or len(embeds) > 10):
        raise _form_error("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    if isinstance(nonce, str) and len(nonce) > 25:
        raise _form_error("nonce", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    filled = ("content", "embeds", "components", "sticker_ids", "poll")
    if not partial and not files and not any(body.get(key) for key in filled):
        raise DiscordError(400, "Cannot send an empty message", 50006)


def _form_error(field: str, code: str, message: str) -> DiscordError:
    errors = {field: {"_errors": [{"code": code, "message": message}]}}
    return DiscordError(400, "Invalid Form Body", 50035, errors)


def _json(
    data: Any, status: int = 200, headers: dict[str, str] | None = None, *, via: bool = True
) -> web.Response:
    """JSON as Discord sends it: `application/json` with no charset, through Google's proxy."""
    extra = {**(VIA if via else {}), **(headers or {})}
    body = json.dumps(data).encode()
    return web.Response(status=status, body=body, content_type="application/json", headers=extra)


def _error(error: DiscordError) -> web.Response:
    return _json(error.body, error.status)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


MOCK = DiscordMock
