"""What the Slack mock answers with: channels, users and messages as the Web API shapes them,
the arguments of a call, and the cursors of its lists."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from interlink.testing.toolkit import Marker, Page, PageError, cursor_page, cursor_start

TEAM_ID = "T0MOCK0001"
BOT_USER_ID = "U0MOCKBOT1"
BOT_ID = "B0MOCKBOT1"
APP_ID = "A0MOCKAPP1"
BOT_NAME = "interlink-bot"
UPDATED = 1704067200  # 2024-01-01: when the seeded bot and users were last changed

Args = Mapping[str, Any]
Reply = dict[str, Any]
T = TypeVar("T")


class SlackError(Exception):
    """A Slack error code, answered as HTTP 200 `{"ok": false, "error": code}`."""

    def __init__(self, code: str, **extra: str) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


@dataclass
class Channel:
    id: str
    name: str
    created: int
    is_private: bool = False
    is_archived: bool = False
    messages: dict[str, Reply] = field(default_factory=dict)  # by ts, oldest first


@dataclass(frozen=True)
class User:
    id: str
    name: str
    real_name: str
    is_bot: bool = False


def channel_json(channel: Channel) -> Reply:
    """A conversation as conversations.list and conversations.info give it."""
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


def user_json(user: User) -> Reply:
    """A user as users.info gives it; a bot user carries its bot and app ids in its profile."""
    profile: Reply = {
        "real_name": user.real_name,
        "real_name_normalized": user.real_name,
        "display_name": "" if user.is_bot else user.name,
        "display_name_normalized": "" if user.is_bot else user.name,
        "avatar_hash": "g0mock000000",
        "title": "",
        "phone": "",
        "skype": "",
        "status_text": "",
        "status_emoji": "",
        "status_expiration": 0,
        "fields": None,
        "image_48": f"https://secure.gravatar.com/avatar/{user.id}.jpg?s=48",
        "team": TEAM_ID,
    }
    if user.is_bot:
        profile |= {"bot_id": BOT_ID, "api_app_id": APP_ID, "always_active": True}
    return {
        "id": user.id,
        "team_id": TEAM_ID,
        "name": user.name,
        "deleted": False,
        "color": "9f69e7",
        "real_name": user.real_name,
        "tz": "Europe/London",
        "tz_label": "British Summer Time",
        "tz_offset": 3600,
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": UPDATED,
    }


def bot_message(ts: str, text: str, blocks: list[Any] | None) -> Reply:
    """A message the bot posts, as Slack answers it: with the app's id and the bot's profile."""
    message: Reply = {
        "user": BOT_USER_ID,
        "type": "message",
        "ts": ts,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "text": text,
        "team": TEAM_ID,
        "bot_profile": {
            "id": BOT_ID,
            "app_id": APP_ID,
            "name": BOT_NAME,
            "icons": {
                f"image_{size}": f"https://a.slack-edge.com/80588/img/plugins/app/bot_{size}.png"
                for size in (36, 48, 72)
            },
            "deleted": False,
            "updated": UPDATED,
            "team_id": TEAM_ID,
        },
    }
    if blocks is not None:
        message["blocks"] = blocks
    return message


def add_reply(parent: Reply, reply: Reply) -> None:
    """Marks `parent` as the head of the thread `reply` joins, as Slack counts replies."""
    users = parent.setdefault("reply_users", [])
    if reply["user"] not in users:
        users.append(reply["user"])
    parent |= {
        "thread_ts": parent["ts"],
        "reply_count": parent.get("reply_count", 0) + 1,
        "reply_users_count": len(users),
        "latest_reply": reply["ts"],
    }


async def arguments(request: web.Request) -> dict[str, Any]:
    """Query arguments overlaid by the body's: JSON or form, as Slack takes both."""
    args: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(body, dict):
            raise SlackError("json_not_object")
        args.update(body)
    elif request.method == "POST":
        args.update((await request.post()).items())
    return args


def content(args: Args) -> tuple[str, list[Any] | None]:
    """A message's text and blocks (sent as a list, or as JSON text in a form)."""
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


def integer(value: Any, default: int, low: int = 1, high: int = 1000) -> int:
    try:
        number = int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        raise SlackError("invalid_limit") from None
    return min(max(number, low), high)


def page(items: Sequence[T], ids: Sequence[str], args: Args, kind: str) -> Page[T]:
    """The page of `items` for the call's cursor and limit; a cursor is `kind:<id of its first
    item>` in base64."""
    marker = Marker(kind)
    try:
        start = cursor_start(args.get("cursor"), ids, marker)
    except PageError:
        raise SlackError("invalid_cursor") from None
    limit = integer(args.get("limit"), 100)
    return cursor_page(items, ids, start=start, limit=limit, marker=marker)
