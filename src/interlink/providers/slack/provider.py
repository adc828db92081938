"""`slack`: messages, reactions and channels on the Slack Web API.

Slack answers most errors as HTTP 200 with `{"ok": false, "error": "<code>"}`: `judge` reads that
body and maps the code to our errors; the code itself becomes the provider message.
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
    InterlinkError,
    InvalidOperation,
    ParameterValidationError,
    PermissionDenied,
)
from interlink.providers.kit.action import Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.pagination import BodyCursor, Pagination
from interlink.providers.kit.types import IntegrationType, OAuthFacts, with_fields
from interlink.providers.kit.verifiers import WebhookVerifier
from interlink.providers.slack.verifier import SlackVerifier
from interlink.transport.classify import Disposition, ErrorTable, Verdict
from interlink.transport.client import judge_by_status
from interlink.transport.headers import RateLimitHeaders
from interlink.transport.response import ProviderResponse

# Codes a fresh OAuth token may cure; the other authentication codes fail at once.
_REFRESHABLE = frozenset({"invalid_auth", "token_expired"})
_SLACK_ERRORS: Mapping[str, type[InterlinkError]] = {
    "invalid_auth": AuthenticationFailed,
    "not_authed": AuthenticationFailed,
    "account_inactive": AuthenticationFailed,
    "token_revoked": AuthenticationFailed,
    "token_expired": AuthenticationFailed,
    "missing_scope": PermissionDenied,
    "not_in_channel": PermissionDenied,
    "restricted_action": PermissionDenied,
    "channel_not_found": ExternalResourceNotFound,
    "message_not_found": ExternalResourceNotFound,
}
_MAX_PAGE = 200  # Slack's advice for conversations.list


def slack_error_code(response: ProviderResponse) -> str | None:
    """The `error` of an `{"ok": false}` answer; None when the answer is not one."""
    try:
        document = json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict) or document.get("ok") is not False:
        return None
    return str(document.get("error") or "unknown_error")


class SendMessageInput(BaseModel):
    channel: str | None = Field(
        None,
        description="Channel id (C...) or name; the integration's `default_channel` when not given",
        min_length=1,
    )
    text: str = Field(description="Message text (the fallback text when blocks are given)")
    blocks: list[dict[str, Any]] | None = Field(None, description="Block Kit blocks")
    thread_ts: str | None = Field(None, description="Reply in the thread of this message ts")


class MessageOut(BaseModel):
    channel: str
    ts: str
    text: str | None = None
    thread_ts: str | None = None


class UpdateMessageInput(BaseModel):
    channel: str = Field(description="Channel id of the message", min_length=1)
    ts: str = Field(description="Timestamp (id) of the message to update", min_length=1)
    text: str = Field(description="New message text", min_length=1)


class AddReactionInput(BaseModel):
    channel: str = Field(description="Channel id of the message", min_length=1)
    timestamp: str = Field(description="Timestamp (id) of the message to react to", min_length=1)
    name: str = Field(description="Emoji name, without colons (e.g. 'thumbsup')", min_length=1)


class ReactionOut(BaseModel):
    ok: bool = True
    already_reacted: bool = Field(False, description="The reaction was there already")


class ListChannelsInput(BaseModel):
    limit: int = Field(100, ge=1, le=1000, description="Stop after this many channels")
    per_page: int = Field(100, ge=1, le=_MAX_PAGE, description="Channels asked per page")
    cursor: str | None = Field(None, description="Continue from a previous next_cursor")
    types: list[Literal["public_channel", "private_channel", "mpim", "im"]] | None = Field(
        None, description="Conversation types (Slack's default: public_channel)"
    )
    exclude_archived: bool = False


class Channel(BaseModel):
    id: str
    name: str | None = None
    is_private: bool = False
    is_archived: bool = False
    is_member: bool | None = None
    num_members: int | None = None
    created: int | None = None
    topic: str | None = None
    purpose: str | None = None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Channel:
        def value(name: str) -> str | None:
            field = raw.get(name)
            return field.get("value") or None if isinstance(field, dict) else None

        return cls(
            id=raw["id"],
            name=raw.get("name"),
            is_private=bool(raw.get("is_private", False)),
            is_archived=bool(raw.get("is_archived", False)),
            is_member=raw.get("is_member"),
            num_members=raw.get("num_members"),
            created=raw.get("created"),
            topic=value("topic"),
            purpose=value("purpose"),
        )


class ChannelPage(BaseModel):
    total_count: int
    items: list[Channel]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to read on; None at end")


def _channel(ctx: ActionContext, params: SendMessageInput) -> str:
    channel = params.channel or ctx.configuration.get("default_channel")
    if not channel:
        problem = "required: give it, or set the integration's configuration.default_channel"
        raise ParameterValidationError(
            f"The parameters of send_message are invalid: channel: {problem}",
            details=[{"field": "channel", "message": problem}],
        )
    return str(channel)


class SlackConnector(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "slack",
        "Slack",
        "Messages and channels on Slack",
        "https://slack.com/api",
        "oauth",
        required_credentials=with_fields(oauth=(("bot_token", "access_token"),)),
        oauth=OAuthFacts(
            "https://slack.com/oauth/v2/authorize",
            "https://slack.com/api/oauth.v2.access",
            ("chat:write", "reactions:write", "channels:read", "groups:read"),
        ),
        docs_url="https://api.slack.com/web",
    )
    category = "communication"
    webhook_verifier: ClassVar[WebhookVerifier | None] = SlackVerifier()
    rate_headers: ClassVar[RateLimitHeaders | None] = None  # Slack says only Retry-After, on 429
    pagination: ClassVar[Pagination | None] = BodyCursor(
        cursor="response_metadata.next_cursor", param="cursor", size="limit"
    )
    configuration_fields: ClassVar[tuple[str, ...]] = ("default_channel",)
    check_path = "/auth.test"
    scopes_header = "x-oauth-scopes"
    required_scopes: ClassVar[dict[str, frozenset[str]]] = {
        "send_message": frozenset({"chat:write"}),
        "update_message": frozenset({"chat:write"}),
        "add_reaction": frozenset({"reactions:write"}),
        "list_channels": frozenset({"channels:read", "groups:read"}),
    }

    @classmethod
    def who(cls, answer: Mapping[str, Any]) -> str:
        return f"Authenticated as {answer.get('user', '?')} on {answer.get('team', '?')}"

    @classmethod
    def judge(cls, response: ProviderResponse, table: ErrorTable) -> Verdict:
        if response.status == 429:
            return Verdict(Disposition.RATE_LIMITED)  # Retry-After is read by the transport
        code = slack_error_code(response) if 200 <= response.status < 300 else None
        if code is None or code == "already_reacted":  # the reaction is there: done
            return judge_by_status(response, table)
        if code == "ratelimited":
            return Verdict(Disposition.RATE_LIMITED)
        if code in _REFRESHABLE:
            return Verdict(Disposition.REFRESH_THEN_RETRY, AuthenticationFailed)
        if code in {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}:
            return Verdict(Disposition.RETRY, ExternalServiceError)
        return Verdict(Disposition.FAIL, _SLACK_ERRORS.get(code, InvalidOperation))

    @action()
    async def send_message(self, ctx: ActionContext, params: SendMessageInput) -> MessageOut:
        """Posts a message to a Slack channel (chat.postMessage), optionally in a thread; to the
        integration's `default_channel` (configuration) when no channel is given."""
        body = {**params.model_dump(exclude_none=True), "channel": _channel(ctx, params)}
        raw = (await ctx.http.post("/chat.postMessage", json=body)).json()
        message = raw.get("message") or {}
        return MessageOut(
            channel=raw["channel"],
            ts=raw["ts"],
            text=message.get("text", params.text),
            thread_ts=message.get("thread_ts", params.thread_ts),
        )

    @action(idempotent=True)
    async def update_message(self, ctx: ActionContext, params: UpdateMessageInput) -> MessageOut:
        """Replaces the text of a message the bot posted (chat.update)."""
        raw = (await ctx.http.post("/chat.update", json=params.model_dump())).json()
        return MessageOut(channel=raw["channel"], ts=raw["ts"], text=raw.get("text", params.text))

    @action(idempotent=True)
    async def add_reaction(self, ctx: ActionContext, params: AddReactionInput) -> ReactionOut:
        """Adds an emoji reaction to a message (reactions.add); a reaction already there is
        not an error."""
        body = {**params.model_dump(), "name": params.name.strip(":")}
        response = await ctx.http.post("/reactions.add", json=body)
        return ReactionOut(already_reacted=slack_error_code(response) == "already_reacted")

    @action()
    async def list_channels(self, ctx: ActionContext, params: ListChannelsInput) -> ChannelPage:
        """Lists channels (conversations.list), following the cursor up to `limit`."""
        query: dict[str, Any] = {}
        if params.types:
            query["types"] = ",".join(params.types)
        if params.exclude_archived:
            query["exclude_archived"] = "true"
        paged = await ctx.paginate(
            "/conversations.list", params=query, items="channels", limit=params.limit,
            page_size=params.per_page, cursor=params.cursor,
        )  # fmt: skip
        items = [Channel.of(channel) for channel in paged.items]
        return ChannelPage(total_count=len(items), items=items, next_cursor=paged.cursor)
