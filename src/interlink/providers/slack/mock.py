"""A mock of the Slack Web API: chat, reactions, conversations.list and auth.test."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from aiohttp import web

from interlink.core.clock import Clock
from interlink.testing.base import MockUpstream, json_response
from interlink.testing.faults import retry_after_header

TEAM_ID = "T0MOCK0001"
BOT_USER_ID = "U0MOCKBOT1"
BOT_ID = "B0MOCKBOT1"
APP_ID = "A0MOCKAPP1"
_SEED_START = datetime(2024, 1, 1, tzinfo=UTC)
_TRUE = ("true", "1", True, 1)

Args = Mapping[str, Any]
Reply = dict[str, Any]


class SlackError(Exception):
    """A Slack error code, answered as HTTP 200 `{"ok": false, "error": code}`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class _Channel:
    id: str
    name: str
    created: int
    is_private: bool = False
    is_archived: bool = False
    messages: dict[str, Reply] = field(default_factory=dict)


class SlackMock(MockUpstream):
    """The Slack Web API under `/api/<method>` with `channels` seeded channels.

    The token comes as `Authorization: Bearer xoxb-...` or as a `token` form argument;
    arguments come as a query string, a form or a JSON body, as Slack accepts them. Errors are
    HTTP 200 with `{"ok": false, "error": ...}` (`not_authed`, `invalid_auth`,
    `channel_not_found`, `message_not_found`, `no_text`, `already_reacted`, `invalid_cursor`,
    `unknown_method`...). Channels are `general`, `random` and `channel-NNN`; every tenth is
    private (listed only with `types=private_channel`), every twenty-fifth archived.
    """

    name: ClassVar[str] = "slack"
    api_root: ClassVar[str] = "/api"
    default_token: ClassVar[str] = "xoxb-mock-token"  # noqa: S105

    def __init__(
        self,
        *,
        token: str | None = None,
        clock: Clock | None = None,
        channels: int = 150,
        team: str = "Interlink Mock",
    ) -> None:
        self.seed_channels = channels
        self.team = team
        super().__init__(token=token, clock=clock)

    def reset_state(self) -> None:
        self.channels: dict[str, _Channel] = {}
        for n in range(1, self.seed_channels + 1):
            name = {1: "general", 2: "random"}.get(n, f"channel-{n:03d}")
            created = int((_SEED_START + timedelta(days=n)).timestamp())
            channel = _Channel(f"C{n:08X}", name, created, n % 10 == 0, n % 25 == 0)
            self.channels[channel.id] = channel
        self._ts_counter = 0

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_route("GET", "/api/{method}", self.dispatch)
        router.add_route("POST", "/api/{method}", self.dispatch)

    @property
    def methods(self) -> dict[str, Callable[[Args], Reply]]:
        return {
            "auth.test": self.auth_test,
            "chat.postMessage": self.post_message,
            "chat.update": self.update_message,
            "reactions.add": self.add_reaction,
            "conversations.list": self.list_conversations,
        }

    def messages(self, channel_id: str) -> list[Reply]:
        """The messages in a channel, oldest first (for tests)."""
        return list(self.channels[channel_id].messages.values())

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        try:
            args = await _arguments(request)
            self._authenticate(request, args)
            method = self.methods.get(request.match_info["method"])
            if method is None:
                raise SlackError("unknown_method")
            reply = method(args)
        except SlackError as error:
            reply = {"ok": False, "error": error.code}
        return json_response(reply, headers={"X-Slack-Req-Id": f"mock-{len(self.calls)}"})

    def _authenticate(self, request: web.Request, args: Args) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            token = str(args.get("token", ""))
        if not token:
            raise SlackError("not_authed")
        if token != self.token:
            raise SlackError("invalid_auth")

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        headers = {"Retry-After": retry_after_header(retry_after)}
        return json_response({"ok": False, "error": "ratelimited"}, status=429, headers=headers)

    def server_error_response(self, status: int) -> web.StreamResponse:
        return json_response({"ok": False, "error": "internal_error"}, status=status)

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        return json_response({"ok": False, "error": "unknown_method"}, status=404)

    # methods

    def auth_test(self, args: Args) -> Reply:
        return {
            "ok": True,
            "url": "https://interlink-mock.slack.com/",
            "team": self.team,
            "user": "interlink-bot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def post_message(self, args: Args) -> Reply:
        channel = self._channel(args.get("channel"))
        if channel.is_archived:
            raise SlackError("is_archived")
        text, blocks = _content(args)
        ts = self._next_ts()
        message: Reply = {
            "type": "message",
            "subtype": "bot_message",
            "text": text,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "ts": ts,
        }
        if blocks is not None:
            message["blocks"] = blocks
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        channel.messages[ts] = message
        return {"ok": True, "channel": channel.id, "ts": ts, "message": message}

    def update_message(self, args: Args) -> Reply:
        channel = self._channel(args.get("channel"))
        message = channel.messages.get(str(args.get("ts", "")))
        if message is None:
            raise SlackError("message_not_found")
        text, blocks = _content(args)
        message["text"] = text
        if blocks is not None:
            message["blocks"] = blocks
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel.id,
            "ts": message["ts"],
            "text": text,
            "message": message,
        }

    def add_reaction(self, args: Args) -> Reply:
        if not args.get("channel") or not args.get("timestamp"):
            raise SlackError("no_item_specified")
        name = str(args.get("name", "")).strip(":")
        if not name:
            raise SlackError("invalid_name")
        message = self._channel(args["channel"]).messages.get(str(args["timestamp"]))
        if message is None:
            raise SlackError("message_not_found")
        reactions: list[Reply] = message.setdefault("reactions", [])
        reaction = next((r for r in reactions if r["name"] == name), None)
        if reaction is not None:
            raise SlackError("already_reacted")
        reactions.append({"name": name, "users": [BOT_USER_ID], "count": 1})
        return {"ok": True}

    def list_conversations(self, args: Args) -> Reply:
        types = set(str(args.get("types") or "public_channel").split(","))
        exclude_archived = args.get("exclude_archived") in _TRUE
        limit = min(max(_int(args.get("limit"), 100), 1), 1000)
        visible = [
            channel
            for channel in self.channels.values()
            if ("private_channel" if channel.is_private else "public_channel") in types
            and not (exclude_archived and channel.is_archived)
        ]
        start = _cursor_index(args.get("cursor"), visible)
        page = visible[start : start + limit]
        more = start + limit < len(visible)
        next_cursor = _encode_cursor(visible[start + limit].id) if more else ""
        return {
            "ok": True,
            "channels": [self._channel_json(channel) for channel in page],
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _channel(self, ref: Any) -> _Channel:
        ref = str(ref or "").lstrip("#")
        channel = self.channels.get(ref) or next(
            (c for c in self.channels.values() if c.name == ref), None
        )
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _next_ts(self) -> str:
        self._ts_counter += 1
        return f"{int(self.now().timestamp())}.{self._ts_counter % 1_000_000:06d}"

    def _channel_json(self, channel: _Channel) -> Reply:
        empty = {"value": "", "creator": "", "last_set": 0}
        return {
            "id": channel.id,
            "name": channel.name,
            "name_normalized": channel.name,
            "is_channel": not channel.is_private,
            "is_group": channel.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": channel.is_private,
            "is_archived": channel.is_archived,
            "is_general": channel.name == "general",
            "is_shared": False,
            "is_org_shared": False,
            "is_ext_shared": False,
            "is_member": True,
            "created": channel.created,
            "updated": channel.created * 1000,
            "creator": BOT_USER_ID,
            "context_team_id": TEAM_ID,
            "unlinked": 0,
            "topic": empty,
            "purpose": empty,
            "previous_names": [],
            "num_members": 3,
        }


async def _arguments(request: web.Request) -> dict[str, Any]:
    """Query arguments overlaid by the body's: JSON or form, as Slack takes both."""
    args: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(body, dict):
            raise SlackError("invalid_json")
        args.update(body)
    elif request.method == "POST":
        args.update((await request.post()).items())
    return args


def _content(args: Args) -> tuple[str, list[Any] | None]:
    text = str(args.get("text") or "")
    blocks = args.get("blocks")
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            raise SlackError("invalid_blocks") from None
    if not text and not blocks and not args.get("attachments"):
        raise SlackError("no_text")
    return text, blocks if isinstance(blocks, list) else None


def _int(value: Any, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        raise SlackError("invalid_limit") from None


def _encode_cursor(channel_id: str) -> str:
    return base64.b64encode(f"channel:{channel_id}".encode()).decode()


def _cursor_index(cursor: Any, channels: list[_Channel]) -> int:
    if not cursor:
        return 0
    try:
        kind, _, channel_id = base64.b64decode(str(cursor), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise SlackError("invalid_cursor") from None
    ids = [channel.id for channel in channels]
    if kind != "channel" or channel_id not in ids:
        raise SlackError("invalid_cursor")
    return ids.index(channel_id)


MOCK = SlackMock
