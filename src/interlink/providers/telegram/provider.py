"""Telegram (`telegram`): messages from a bot, on the Telegram Bot API.

The bot's token goes in the URL path, `https://api.telegram.org/bot<token>/METHOD`, not in a
header (`credential_in_path`): the transport puts it there, checks the credential's allowed
hosts as for a header, and masks it like any credential. Every answer is an envelope: `{"ok":
true, "result": ...}`, or `{"ok": false, "error_code": 400, "description": "Bad Request: chat
not found"}` with the error code as the HTTP status. A 429 says how long to wait in
`parameters.retry_after` (seconds), not in a header; Telegram sends no rate-limit headers. A
token that is not one is answered 404 Not Found, a revoked one 401 Unauthorized.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from interlink.core.errors import (
    AuthenticationFailed,
    ExternalResourceNotFound,
    ExternalServiceError,
)
from interlink.providers.kit.action import Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.types import IntegrationType, with_fields
from interlink.transport.auth import CredentialInPath
from interlink.transport.classify import Disposition, ErrorTable, Verdict
from interlink.transport.client import judge_by_status
from interlink.transport.headers import RateLimitHeaders
from interlink.transport.response import ProviderResponse


class User(BaseModel):
    id: int
    is_bot: bool
    first_name: str
    username: str | None = None


class Chat(BaseModel):
    id: int
    type: Literal["private", "group", "supergroup", "channel"]
    title: str | None = None
    username: str | None = None
    first_name: str | None = None


class Message(BaseModel):
    message_id: int = Field(description="Its id in the chat")
    date: int = Field(description="When it was sent, in Unix seconds")
    chat: Chat
    sender: User | None = Field(None, description="The bot (Telegram's `from`); none in a channel")
    text: str | None = None

    @classmethod
    def of(cls, raw: Any) -> Message:
        """The message from Telegram's object, its `from` as `sender`."""
        sender = raw.get("from") if isinstance(raw, dict) else None
        return cls.model_validate(raw).model_copy(
            update={"sender": None if sender is None else User.model_validate(sender)}
        )


class SendMessageInput(BaseModel):
    chat_id: str | int = Field(
        description="The chat's id (a number), or a channel's username as @channelusername"
    )
    text: str = Field(min_length=1, description="The text, 1-4096 characters after parsing")
    parse_mode: Literal["MarkdownV2", "HTML", "Markdown"] | None = Field(
        None, description="How to parse entities in the text"
    )
    disable_notification: bool | None = Field(
        None, description="Send silently: users get a notification without sound"
    )


def body_retry_after(response: ProviderResponse) -> float | None:
    """`parameters.retry_after` of an error envelope, in seconds."""
    try:
        envelope = json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        return None
    parameters = envelope.get("parameters") if isinstance(envelope, dict) else None
    value = parameters.get("retry_after") if isinstance(parameters, dict) else None
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else None


def result(response: ProviderResponse) -> Any:
    """The `result` of an `ok: true` envelope."""
    envelope = response.json()
    if not isinstance(envelope, dict) or envelope.get("ok") is not True:
        raise ExternalServiceError("Telegram answered without an ok envelope")
    return envelope.get("result")


class TelegramConnector(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "telegram",
        "Telegram",
        "Messages from a bot on Telegram",
        default_api_url="https://api.telegram.org",
        default_auth_method="api_key",
        auth_methods=("api_key",),
        required_credentials=with_fields(api_key=(("bot_token", "api_key"),)),
        api_url_hint="a local Bot API server's URL, e.g. http://localhost:8081",
        docs_url="https://core.telegram.org/bots/api",
    )
    category = "communication"
    check_path = "/getMe"  # the bot the token belongs to
    credential_in_path: ClassVar[CredentialInPath | None] = CredentialInPath("/bot{token}")
    rate_headers: ClassVar[RateLimitHeaders | None] = None
    # 404 Not Found is how Telegram answers a token that is not one (our methods all exist).
    errors: ClassVar[ErrorTable] = ErrorTable(
        {404: Verdict(Disposition.FAIL, AuthenticationFailed)}
    )

    @classmethod
    def judge(cls, response: ProviderResponse, table: ErrorTable) -> Verdict:
        if response.status == 429:
            return Verdict(Disposition.RATE_LIMITED, retry_after=body_retry_after(response))
        if response.status == 400 and "not found" in (response.provider_message() or ""):
            return Verdict(Disposition.FAIL, ExternalResourceNotFound)  # chat not found, and such
        return judge_by_status(response, table)

    @action()
    async def send_message(self, ctx: ActionContext, params: SendMessageInput) -> Message:
        """Sends a text message to a chat, group or channel, and returns the message."""
        response = await ctx.http.post("/sendMessage", json=params.model_dump(exclude_none=True))
        return Message.of(result(response))

    @classmethod
    def who(cls, answer: Mapping[str, Any]) -> str:
        bot = answer.get("result")
        name = bot.get("username") or bot.get("first_name") if isinstance(bot, dict) else None
        return f"Authenticated as @{name}" if name else "Authenticated"
