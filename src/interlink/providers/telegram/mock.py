"""A mock of the Telegram Bot API (`telegram`): `getMe` and `sendMessage` over seeded chats.

As Telegram does: every method is `/bot<token>/METHOD` (its name in any case, by GET or POST,
its parameters in the query, a form or a JSON body); a token that is not shaped as one is
answered 404 Not Found and a wrong one 401 Unauthorized; every answer is an envelope (`ok`,
`result`, or `error_code` and `description`); a 429 says `parameters.retry_after` and sends no
Retry-After header; no answer carries rate-limit headers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from aiohttp import web
from aiohttp.typedefs import Handler

from interlink.testing.base import MockUpstream, json_response
from interlink.testing.toolkit import TokenGate, path_part

Obj = dict[str, Any]
_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")
_PARSE_MODES = frozenset({"MarkdownV2", "HTML", "Markdown"})
MAX_TEXT = 4096


class TelegramError(Exception):
    """An `ok: false` envelope with its HTTP status (the same as its `error_code`)."""

    def __init__(self, status: int, description: str, **parameters: int) -> None:
        super().__init__(description)
        self.status = status
        self.body: Obj = {"ok": False, "error_code": status, "description": description}
        if parameters:
            self.body["parameters"] = parameters


class TelegramMock(MockUpstream):
    """The Bot API with a private chat (`111111111`) and a channel (`-1001111111111`, also
    `@mock_channel`); the bot's id is the number its token starts with."""

    name: ClassVar[str] = "telegram"
    default_token: ClassVar[str] = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"  # noqa: S105

    def reset_state(self) -> None:
        self.chats: dict[int, Obj] = {
            111111111: {"id": 111111111, "first_name": "Ada", "username": "ada_mock",
                        "type": "private"},
            -1001111111111: {"id": -1001111111111, "title": "Mock Channel",
                             "username": "mock_channel", "type": "channel"},
        }  # fmt: skip
        self.messages: dict[int, list[Obj]] = {chat_id: [] for chat_id in self.chats}

    def integration_credentials(self, auth_method: str, token: str | None = None) -> dict[str, str]:
        return {"bot_token": token if token is not None else self.token}

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_route("*", "/bot{token}/{method}", self.call)

    @property
    def tokens(self) -> TokenGate:
        """The bot token, in the path."""
        return TokenGate({self.token}, _refuse, (path_part("token"),))

    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        refusal = self.tokens.refusal(request)
        if refusal is not None:
            return refusal
        try:
            return await handler(request)
        except TelegramError as error:
            return _error(error)

    async def call(self, request: web.Request) -> web.StreamResponse:
        methods: dict[str, Callable[[Obj], Awaitable[Any]]] = {
            "getme": self.get_me,
            "sendmessage": self.send_message,
        }
        method = methods.get(request.match_info["method"].lower())
        if method is None or request.method not in {"GET", "POST"}:
            raise TelegramError(404, "Not Found")
        return json_response({"ok": True, "result": await method(await _parameters(request))})

    async def get_me(self, parameters: Obj) -> Obj:
        return self._bot() | {"can_join_groups": True, "can_read_all_group_messages": False,
                              "supports_inline_queries": False}  # fmt: skip

    async def send_message(self, parameters: Obj) -> Obj:
        chat = self._chat(parameters.get("chat_id"))
        text = parameters.get("text")
        if not isinstance(text, str) or not text:
            raise TelegramError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            raise TelegramError(400, "Bad Request: message is too long")
        parse_mode = parameters.get("parse_mode")
        if parse_mode is not None and parse_mode not in _PARSE_MODES:
            raise TelegramError(400, f"Bad Request: unsupported parse_mode {parse_mode}")
        sent = self.messages[chat["id"]]
        message = {"message_id": len(sent) + 1, "chat": chat,
                   "date": int(self.now().timestamp()), "text": text}  # fmt: skip
        # In a channel the sender is the channel itself (`sender_chat`), else the bot (`from`).
        message |= {"sender_chat": chat} if chat["type"] == "channel" else {"from": self._bot()}
        silent = parameters.get("disable_notification") in (True, "true", "True", "1")
        sent.append(message | {"disable_notification": silent})
        return message

    def _bot(self) -> Obj:
        bot_id = int(self.token.split(":", 1)[0])
        return {"id": bot_id, "is_bot": True, "first_name": "Interlink Mock Bot",
                "username": "interlink_mock_bot"}  # fmt: skip

    def _chat(self, chat_id: Any) -> Obj:
        if chat_id in (None, ""):
            raise TelegramError(400, "Bad Request: chat_id is empty")
        for chat in self.chats.values():
            if str(chat["id"]) == str(chat_id) or f"@{chat.get('username')}" == chat_id:
                return chat
        raise _chat_not_found()

    # Telegram's answers to injected faults.

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        seconds = max(1, math.ceil(retry_after))
        description = f"Too Many Requests: retry after {seconds}"
        return _error(TelegramError(429, description, retry_after=seconds))

    def server_error_response(self, status: int) -> web.StreamResponse:
        return _error(TelegramError(status, "Internal Server Error"))

    def forbidden_response(self, request: web.Request) -> web.StreamResponse:
        return _error(TelegramError(403, "Forbidden: bot was blocked by the user"))

    def missing_response(self, request: web.Request) -> web.StreamResponse:
        return _error(_chat_not_found())

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        return _error(TelegramError(404, "Not Found"))


async def _parameters(request: web.Request) -> Obj:
    """The method's parameters: the query, then a JSON body or a form."""
    found: Obj = dict(request.query)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise TelegramError(400, "Bad Request: can't parse JSON object") from None
        if isinstance(body, dict):
            found.update(body)
    elif request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        found.update({key: str(value) for key, value in (await request.post()).items()})
    return found


def _refuse(request: web.Request, token: str) -> web.StreamResponse:
    """A token not shaped as one names no path (404); a wrong one is 401."""
    if not _TOKEN_SHAPE.fullmatch(token):
        return _error(TelegramError(404, "Not Found"))
    return _error(TelegramError(401, "Unauthorized"))


def _chat_not_found() -> TelegramError:
    return TelegramError(400, "Bad Request: chat not found")


def _error(error: TelegramError) -> web.Response:
    return json_response(error.body, status=error.status)


MOCK = TelegramMock
