"""`discord`: channel messages and webhooks on the Discord HTTP API (v10).

The bot token goes as `Authorization: Bot <token>`. Every answer carries the route's bucket as
X-RateLimit-Bucket, X-RateLimit-Remaining and X-RateLimit-Reset-After (seconds from now); a 429
says how long to wait in its Retry-After header and, more precisely, in its body's `retry_after`,
and whether it is the bot's global limit (`X-RateLimit-Global: true`, `"global": true`). So a
spent bucket pauses only the routes of that bucket for the same channel or webhook; a global 429
pauses the whole integration (`transport/buckets.py`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from interlink.providers.discord.verifier import DiscordVerifier
from interlink.providers.kit.action import Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.types import IntegrationType, OAuthFacts, with_fields
from interlink.providers.kit.verifiers import WebhookVerifier
from interlink.transport.buckets import RouteBuckets
from interlink.transport.classify import Disposition, ErrorTable, Verdict
from interlink.transport.client import DEFAULT_USER_AGENT, judge_by_status
from interlink.transport.headers import RateLimitHeaders
from interlink.transport.response import ProviderResponse

_NONCE_LENGTH = 25  # Discord's longest nonce


def body_retry_after(response: ProviderResponse) -> float | None:
    """The `retry_after` seconds of a 429 body, when there is one."""
    try:
        document = json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        return None
    value = document.get("retry_after") if isinstance(document, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return None
    return max(0.0, float(value))


class Author(BaseModel):
    id: str
    username: str
    bot: bool = False


class Message(BaseModel):
    id: str
    channel_id: str
    content: str
    author: Author | None = None
    timestamp: str | None = None
    edited_timestamp: str | None = None
    embeds: list[dict[str, Any]] = Field(default_factory=list)
    webhook_id: str | None = None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Message:
        author = raw.get("author")
        return cls(
            id=raw["id"],
            channel_id=raw["channel_id"],
            content=raw.get("content", ""),
            author=Author(
                id=author["id"], username=author["username"], bot=bool(author.get("bot", False))
            )
            if isinstance(author, dict)
            else None,
            timestamp=raw.get("timestamp"),
            edited_timestamp=raw.get("edited_timestamp"),
            embeds=raw.get("embeds") or [],
            webhook_id=raw.get("webhook_id"),
        )


class SendMessageInput(BaseModel):
    channel_id: str = Field(description="Channel id (a snowflake)", min_length=1)
    content: str = Field(max_length=2000, description="Message text (up to 2000 characters)")
    embeds: list[dict[str, Any]] | None = Field(None, max_length=10, description="Up to 10 embeds")


class EditMessageInput(BaseModel):
    channel_id: str = Field(description="Channel id of the message", min_length=1)
    message_id: str = Field(description="Id of the message to edit", min_length=1)
    content: str = Field(max_length=2000, description="New message text")


class SendWebhookInput(BaseModel):
    webhook_id: str = Field(description="Webhook id", min_length=1)
    webhook_token: str = Field(description="Webhook token", min_length=1)
    content: str = Field(min_length=1, max_length=2000, description="Message text")
    username: str | None = Field(None, description="Override the webhook's name")


class DiscordConnector(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "discord",
        "Discord",
        "Messages on Discord",
        "https://discord.com/api/v10",
        "api_key",
        required_credentials=with_fields(
            api_key=(("bot_token", "api_key"),), oauth=(("bot_token", "access_token"),)
        ),
        oauth=OAuthFacts(
            "https://discord.com/oauth2/authorize",
            "https://discord.com/api/oauth2/token",
            ("identify", "bot"),
        ),
        docs_url="https://discord.com/developers/docs/reference",
    )
    category = "communication"
    webhook_verifier: ClassVar[WebhookVerifier | None] = DiscordVerifier()
    bearer_scheme = "Bot"
    check_path = "/users/@me"
    # Discord's docs: `DiscordBot ($url, $versionNumber)`, more may follow; others are refused.
    user_agent: ClassVar[str] = f"DiscordBot (https://interlink.invalid, 0.1) {DEFAULT_USER_AGENT}"
    rate_headers: ClassVar[RateLimitHeaders | None] = RateLimitHeaders(
        limit="x-ratelimit-limit",
        remaining="x-ratelimit-remaining",
        reset="x-ratelimit-reset-after",
        reset_kind="delta",
    )
    rate_buckets: ClassVar[RouteBuckets | None] = RouteBuckets(
        major_resources={"channels": 1, "guilds": 1, "webhooks": 2}
    )

    @classmethod
    def who(cls, answer: Mapping[str, Any]) -> str:
        return f"Authenticated as {answer.get('username', '?')}"

    @classmethod
    def judge(cls, response: ProviderResponse, table: ErrorTable) -> Verdict:
        if response.status == 429 and "retry-after" not in response.headers:
            return Verdict(Disposition.RATE_LIMITED, retry_after=body_retry_after(response))
        return judge_by_status(response, table)

    @action(idempotent=True)
    async def send_message(self, ctx: ActionContext, params: SendMessageInput) -> Message:
        """Sends a message to a Discord channel; a re-run of the same operation does not post
        twice (the operation's key goes as an enforced nonce)."""
        body = params.model_dump(exclude={"channel_id"}, exclude_none=True)  # it goes in the path
        if ctx.idempotency_key:
            body |= {"nonce": ctx.idempotency_key[-_NONCE_LENGTH:], "enforce_nonce": True}
        response = await ctx.http.post(f"/channels/{params.channel_id}/messages", json=body)
        return Message.of(response.json())

    @action(idempotent=True)
    async def edit_message(self, ctx: ActionContext, params: EditMessageInput) -> Message:
        """Replaces the content of a message the bot sent."""
        response = await ctx.http.patch(
            f"/channels/{params.channel_id}/messages/{params.message_id}",
            json={"content": params.content},
        )
        return Message.of(response.json())

    @action()
    async def send_webhook(self, ctx: ActionContext, params: SendWebhookInput) -> Message:
        """Posts a message through a channel webhook and returns the message it created."""
        body = params.model_dump(include={"content", "username"}, exclude_none=True)
        response = await ctx.http.post(
            f"/webhooks/{params.webhook_id}/{params.webhook_token}",
            params={"wait": "true"},
            json=body,
        )
        return Message.of(response.json())
