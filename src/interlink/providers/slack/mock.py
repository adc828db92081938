"""A mock of the Slack Web API: auth, chat, reactions, conversations and users."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, NoReturn

from aiohttp import web

from interlink.core.clock import Clock
from interlink.providers.slack.mock_shapes import (
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    TEAM_ID,
    Args,
    Channel,
    Reply,
    SlackError,
    User,
    add_reply,
    arguments,
    bot_message,
    channel_json,
    content,
    page,
    user_json,
)
from interlink.testing.base import MockUpstream, json_response
from interlink.testing.faults import retry_after_header
from interlink.testing.toolkit import TokenGate, authorization

_SEED_START = datetime(2024, 1, 1, tzinfo=UTC)
_TRUE = ("true", "1", True, 1)
# The scope each method needs (Slack's `X-Accepted-OAuth-Scopes`, and `needed` when missing).
SCOPES = {
    "auth.test": "",
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "reactions.add": "reactions:write",
    "conversations.list": "channels:read",
    "conversations.info": "channels:read",
    "conversations.history": "channels:history",
    "users.info": "users:read",
}
GRANTED = "chat:write,reactions:write,channels:read,groups:read,channels:history,users:read"
USERS = (
    User(BOT_USER_ID, BOT_NAME, "Interlink Bot", is_bot=True),
    User("U0MOCKUSR1", "ada", "Ada Lovelace"),
    User("U0MOCKUSR2", "grace", "Grace Hopper"),
)


class SlackMock(MockUpstream):
    """The Slack Web API under `/api/<method>` with `channels` seeded channels.

    The token comes as `Authorization: Bearer xoxb-...` or as a `token` form argument;
    arguments come as a query string, a form or a JSON body, and any method by GET or POST, as
    Slack accepts them. Errors are HTTP 200 with `{"ok": false, "error": ...}` (`not_authed`,
    `invalid_auth`, `channel_not_found`, `message_not_found`, `user_not_found`, `no_text`,
    `already_reacted`, `invalid_cursor`, `unknown_method`...). Channels are `general`, `random`
    and `channel-NNN`; every tenth is private (listed only with `types=private_channel`), every
    twenty-fifth archived. `messages` seeds messages the bot posted before, by channel name or
    id, e.g. `{"general": ["Deploy started"]}`; their ts count up from the clock's second
    (`1748779200.000001`...). Users are the bot (`U0MOCKBOT1`), `ada` and `grace`.
    """

    name: ClassVar[str] = "slack"
    api_root: ClassVar[str] = "/api"
    default_token: ClassVar[str] = "xoxb-mock-token"  # noqa: S105
    # Where Slack's published description (converted from its 1.7.0 Swagger) is wrong about the
    # answers Slack gives: the problems each pattern matches are excused, for its reason.
    description_gaps: ClassVar[Mapping[str, str]] = {
        r"→ 200: at (message|messages/\d+): Additional properties are not allowed "
        r"\((('app_id'|'edited')(, )?)+ (was|were) unexpected\)": (
            "Slack puts the posting app's app_id on every message an app posts, and an edited "
            "message says who edited it when; the 1.7.0 objs_message schema predates both and "
            "allows no other property"
        ),
        r"POST /chat\.update → 200: at message/blocks: .* is not of type 'object'": (
            "blocks are a list of Block Kit blocks, as chat.postMessage's own schema says; the "
            "1.7.0 chat.update schema types them as an object"
        ),
    }

    def __init__(
        self,
        *,
        token: str | None = None,
        clock: Clock | None = None,
        channels: int = 150,
        team: str = "Interlink Mock",
        messages: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.seed_channels = channels
        self.seed_messages = dict(messages or {})
        self.team = team
        super().__init__(token=token, clock=clock)

    def reset_state(self) -> None:
        self.channels: dict[str, Channel] = {}
        for n in range(1, self.seed_channels + 1):
            name = {1: "general", 2: "random"}.get(n, f"channel-{n:03d}")
            created = int((_SEED_START + timedelta(days=n)).timestamp())
            channel = Channel(f"C{n:08X}", name, created, n % 10 == 0, n % 25 == 0)
            self.channels[channel.id] = channel
        self.users = {user.id: user for user in USERS}
        self._ts_counter = 0
        for ref, texts in self.seed_messages.items():
            for text in texts:
                self.post_message({"channel": ref, "text": text})

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
            "conversations.info": self.conversation_info,
            "conversations.history": self.history,
            "users.info": self.user_info,
        }

    def messages(self, channel_id: str) -> list[Reply]:
        """The messages in a channel, oldest first (for tests)."""
        return list(self.channels[channel_id].messages.values())

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        headers = {"X-Slack-Req-Id": f"mock-{len(self.calls)}"}
        try:
            args = await arguments(request)
            self._authenticate(request, args)
            headers |= {"X-OAuth-Scopes": GRANTED, "X-Accepted-OAuth-Scopes": SCOPES.get(name, "")}
            method = self.methods.get(name)
            if method is None:
                raise SlackError("unknown_method")
            reply = method(args)
        except SlackError as error:
            reply = {"ok": False, "error": error.code, **error.extra}
        return json_response(reply, headers=headers)

    @property
    def tokens(self) -> TokenGate:
        """The token, as `Authorization: Bearer` or else as a `token` argument."""
        return TokenGate({self.token}, _refuse, (authorization("Bearer"),))

    def _authenticate(self, request: web.Request, args: Args) -> None:
        token = self.tokens.presented(request)
        token = str(args.get("token", "")) if token is None else token
        if not self.tokens.admits(token):
            self.tokens.refuse(request, token)  # raises Slack's error

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        headers = {"Retry-After": retry_after_header(retry_after)}
        return json_response({"ok": False, "error": "ratelimited"}, status=429, headers=headers)

    def server_error_response(self, status: int) -> web.StreamResponse:
        return json_response({"ok": False, "error": "internal_error"}, status=status)

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        return json_response({"ok": False, "error": "unknown_method"}, status=404)

    def missing_response(self, request: web.Request) -> web.StreamResponse:
        """Slack's answer for what the call names not existing: 200, `ok: false`."""
        method = request.match_info.get("method", request.path.rsplit("/", 1)[-1])
        code = {
            "chat.update": "message_not_found",
            "reactions.add": "message_not_found",
            "users.info": "user_not_found",
        }.get(method, "channel_not_found")
        return json_response({"ok": False, "error": code})

    def forbidden_response(self, request: web.Request) -> web.StreamResponse:
        """Slack's answer for a token without the method's scope: 200, `missing_scope`."""
        needed = SCOPES.get(request.path.rsplit("/", 1)[-1]) or "chat:write"
        reply = {"ok": False, "error": "missing_scope", "needed": needed, "provided": "identify"}
        return json_response(reply)

    # methods

    def auth_test(self, args: Args) -> Reply:
        return {
            "ok": True,
            "url": "https://interlink-mock.slack.com/",
            "team": self.team,
            "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def post_message(self, args: Args) -> Reply:
        channel = self._channel(args.get("channel"))
        if channel.is_archived:
            raise SlackError("is_archived")
        text, blocks = content(args)
        message = bot_message(self._next_ts(), text, blocks)
        parent = channel.messages.get(str(args.get("thread_ts") or ""))
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
            if parent is not None:
                add_reply(parent, message)
        channel.messages[message["ts"]] = message
        return {"ok": True, "channel": channel.id, "ts": message["ts"], "message": message}

    def update_message(self, args: Args) -> Reply:
        channel = self._channel(args.get("channel"))
        message = self._message(channel, args.get("ts"))
        text, blocks = content(args)
        message["text"] = text
        if blocks is not None:
            message["blocks"] = blocks
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        reply = {"ok": True, "channel": channel.id, "ts": message["ts"], "text": text}
        return reply | {"message": message}

    def add_reaction(self, args: Args) -> Reply:
        if not args.get("channel") or not args.get("timestamp"):
            raise SlackError("no_item_specified")
        name = str(args.get("name", "")).strip(":")
        if not name:
            raise SlackError("invalid_name")
        message = self._message(self._channel(args["channel"]), args["timestamp"])
        reactions: list[Reply] = message.setdefault("reactions", [])
        if any(reaction["name"] == name for reaction in reactions):
            raise SlackError("already_reacted")
        reactions.append({"name": name, "users": [BOT_USER_ID], "count": 1})
        return {"ok": True}

    def list_conversations(self, args: Args) -> Reply:
        types = set(str(args.get("types") or "public_channel").split(","))
        exclude_archived = args.get("exclude_archived") in _TRUE
        visible = [
            channel
            for channel in self.channels.values()
            if ("private_channel" if channel.is_private else "public_channel") in types
            and not (exclude_archived and channel.is_archived)
        ]
        found = page(visible, [c.id for c in visible], args, "channel")
        return {
            "ok": True,
            "channels": [channel_json(channel) for channel in found.items],
            "response_metadata": {"next_cursor": found.next or ""},
        }

    def conversation_info(self, args: Args) -> Reply:
        return {"ok": True, "channel": channel_json(self._channel(args.get("channel")))}

    def history(self, args: Args) -> Reply:
        """The channel's messages, newest first; replies stay in their threads."""
        channel = self._channel(args.get("channel"))
        shown = [
            message
            for message in reversed(channel.messages.values())
            if message.get("thread_ts", message["ts"]) == message["ts"]
        ]
        found = page(shown, [m["ts"] for m in shown], args, "ts")
        reply: Reply = {"ok": True, "messages": found.items, "has_more": found.has_more}
        reply |= {"pin_count": 0, "channel_actions_ts": None, "channel_actions_count": 0}
        if found.next:
            reply["response_metadata"] = {"next_cursor": found.next}
        return reply

    def user_info(self, args: Args) -> Reply:
        user = self.users.get(str(args.get("user") or ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"ok": True, "user": user_json(user)}

    def _channel(self, ref: Any) -> Channel:
        ref = str(ref or "").lstrip("#")
        channel = self.channels.get(ref) or next(
            (c for c in self.channels.values() if c.name == ref), None
        )
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    @staticmethod
    def _message(channel: Channel, ts: Any) -> Reply:
        message = channel.messages.get(str(ts or ""))
        if message is None:
            raise SlackError("message_not_found")
        return message

    def _next_ts(self) -> str:
        self._ts_counter += 1
        return f"{int(self.now().timestamp())}.{self._ts_counter % 1_000_000:06d}"


def _refuse(request: web.Request, token: str) -> NoReturn:
    """Slack refuses a token as every call: HTTP 200, `ok: false`."""
    raise SlackError("invalid_auth" if token else "not_authed")


MOCK = SlackMock
