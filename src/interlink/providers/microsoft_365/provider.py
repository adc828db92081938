"""`microsoft_365`: mail, calendar, OneDrive and Teams through Microsoft Graph (v1.0), and cards
to a Teams incoming webhook or Workflows URL.

Graph pages with `@odata.nextLink`, an absolute URL in the body, followed as it is (a cursor
given back must be under the integration's API URL). Its errors are `{"error": {"code",
"message"}}`; 429 and 503 carry `Retry-After`. OAuth 2.0 at the tenant's token endpoint
(`https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`: `tenant` in the configuration,
a GUID, a domain, `common` or `organizations`; or the credential's own `token_url`), with a
refresh token or the client-credentials grant (app-only: then actions name a `user`, `/me` has
no one behind it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol
from urllib.parse import quote

import jwt

from interlink.core.errors import ExternalResourceNotFound, InvalidOperation
from interlink.providers.kit.action import CheckResult, Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.pagination import LinkHeader, Paged, Pagination
from interlink.providers.kit.types import IntegrationType, OAuthFacts
from interlink.providers.kit.verifiers import WebhookVerifier
from interlink.providers.microsoft_365.models import (
    Accepted,
    Channel,
    ChannelList,
    ChannelMessage,
    CreateEventInput,
    DriveItem,
    DriveItemPage,
    Event,
    EventPage,
    ListChannelsInput,
    ListDriveItemsInput,
    ListEventsInput,
    ListMessagesInput,
    ListTeamsInput,
    Message,
    MessagePage,
    SendChannelMessageInput,
    SendMailInput,
    SendTeamsWebhookInput,
    Team,
    TeamList,
    WebhookSent,
)
from interlink.providers.microsoft_365.verifier import GraphVerifier
from interlink.transport.classify import Disposition, ErrorTable, Verdict
from interlink.transport.client import judge_by_status
from interlink.transport.headers import RateLimitHeaders
from interlink.transport.response import ProviderResponse

TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"  # noqa: S105
_MESSAGE_FIELDS = (
    "id,subject,from,toRecipients,receivedDateTime,isRead,hasAttachments,bodyPreview,webLink"
)
# Graph answers some missing resources with a 400 of their own code (Exchange's malformed ids).
_MISSING_CODES = frozenset({"ErrorInvalidIdMalformed", "ErrorItemNotFound", "itemNotFound"})
_CARD = "application/vnd.microsoft.card.adaptive"
_ALL = 10_000  # lists Graph answers whole (teams, channels)
Query = dict[str, str]


class _Paging(Protocol):
    limit: int
    page_size: int
    cursor: str | None


def _segment(value: str) -> str:
    return quote(value, safe="@:")


def _recipients(addresses: list[str]) -> list[dict[str, Any]]:
    return [{"emailAddress": {"address": address}} for address in addresses]


def _card(params: SendTeamsWebhookInput) -> dict[str, Any]:
    if params.card is not None:
        return params.card
    blocks = [{"type": "TextBlock", "text": params.title, "weight": "Bolder", "size": "Medium",
               "wrap": True}] if params.title else []  # fmt: skip
    blocks.append({"type": "TextBlock", "text": params.text or "", "wrap": True})
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": blocks,
    }


def _token_scopes(ctx: ActionContext) -> list[str] | None:
    """A work account's access token is a JWT naming what it may do: a delegated token's `scp`,
    an app token's `roles` (read, not verified: Graph has checked it). None when it is opaque
    (a personal account's)."""
    token = ctx.http.auth.get("Authorization", "").partition(" ")[2]
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    granted, roles = claims.get("scp"), claims.get("roles")
    if isinstance(granted, str):
        return granted.split()
    return [str(role) for role in roles] if isinstance(roles, list) else None


def _error_code(response: ProviderResponse) -> str | None:
    try:
        error = json.loads(response.body).get("error")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return None
    return error.get("code") if isinstance(error, dict) else None


class Microsoft365Connector(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "microsoft_365",
        "Microsoft 365",
        "Mail, calendar, OneDrive and Teams through Microsoft Graph",
        "https://graph.microsoft.com/v1.0",
        "oauth",
        auth_methods=("oauth",),
        api_url_hint="a national cloud's Graph, e.g. https://graph.microsoft.us/v1.0",
        oauth=OAuthFacts(
            "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
            TOKEN_URL,
            (
                "offline_access",
                "User.Read",
                "Mail.Read",
                "Mail.Send",
                "Calendars.ReadWrite",
                "Files.Read",
                "Team.ReadBasic.All",
                "Channel.ReadBasic.All",
                "ChannelMessage.Send",
            ),
        ),
        docs_url="https://learn.microsoft.com/en-us/graph/api/overview?view=graph-rest-1.0",
    )
    category = "productivity"
    # SharePoint's and OneDrive's IETF draft headers, which Graph sends near a limit.
    rate_headers: ClassVar[RateLimitHeaders | None] = RateLimitHeaders(
        "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", reset_kind="delta"
    )
    pagination: ClassVar[Pagination | None] = LinkHeader(
        items="value", size="$top", in_body="@odata.nextLink"
    )
    webhook_verifier: ClassVar[WebhookVerifier | None] = GraphVerifier()
    configuration_fields: ClassVar[tuple[str, ...]] = ("tenant", "user", "teams_webhook_url")
    required_scopes: ClassVar[Mapping[str, frozenset[str]]] = {
        "send_mail": frozenset({"Mail.Send"}),
        "list_messages": frozenset({"Mail.Read", "Mail.ReadBasic", "Mail.ReadWrite"}),
        "list_events": frozenset({"Calendars.Read", "Calendars.ReadWrite"}),
        "create_event": frozenset({"Calendars.ReadWrite"}),
        "list_drive_items": frozenset({"Files.Read", "Files.Read.All", "Files.ReadWrite"}),
        "list_teams": frozenset({"Team.ReadBasic.All"}),
        "list_channels": frozenset({"Channel.ReadBasic.All"}),
        "send_channel_message": frozenset({"ChannelMessage.Send"}),
    }

    @classmethod
    def judge(cls, response: ProviderResponse, table: ErrorTable) -> Verdict:
        if response.status == 400 and _error_code(response) in _MISSING_CODES:
            return Verdict(Disposition.FAIL, ExternalResourceNotFound)
        return judge_by_status(response, table)

    async def check(self, ctx: ActionContext) -> CheckResult:
        """Who the token acts as (`/me`, or the configured `user` for an app-only token), and
        what it may do: the scopes in the token Graph just took."""
        response = await ctx.http.get(
            self._user(ctx, None), params={"$select": "displayName,userPrincipalName"}
        )
        answer = response.json()
        name = answer.get("userPrincipalName") or answer.get("displayName") or "?"
        return CheckResult(message=f"Authenticated as {name}", scopes=_token_scopes(ctx))

    @staticmethod
    def _user(ctx: ActionContext, user: str | None) -> str:
        chosen = user or ctx.configuration.get("user")
        return f"/users/{_segment(str(chosen))}" if chosen and chosen != "me" else "/me"

    @staticmethod
    async def _pages(ctx: ActionContext, path: str, params: _Paging, query: Query) -> Paged:
        """Graph's pages up to the limit; a cursor given back must be a next link of the
        integration's own Graph, where its token may go."""
        base = (ctx.http.settings.base_url or "").rstrip("/")
        if params.cursor is not None and not params.cursor.startswith(base + "/"):
            raise InvalidOperation("cursor is not a next link of this integration's Graph")
        return await ctx.paginate(
            path, params=query, limit=params.limit, cursor=params.cursor,
            page_size=params.page_size,
        )  # fmt: skip

    @action()
    async def send_mail(self, ctx: ActionContext, params: SendMailInput) -> Accepted:
        """Sends a mail as the user (`sendMail`); Graph answers 202 and delivers it later."""
        message = {
            "subject": params.subject,
            "body": {"contentType": params.content_type, "content": params.body},
            "toRecipients": _recipients(params.to),
        }
        for name, addresses in (("ccRecipients", params.cc), ("bccRecipients", params.bcc)):
            if addresses:
                message[name] = _recipients(addresses)
        body = {"message": message, "saveToSentItems": params.save_to_sent_items}
        response = await ctx.http.post(f"{self._user(ctx, params.user)}/sendMail", json=body)
        return Accepted(accepted=response.status == 202)

    @action()
    async def list_messages(self, ctx: ActionContext, params: ListMessagesInput) -> MessagePage:
        """Lists the user's messages, newest first, in a folder or all of them."""
        root = self._user(ctx, params.user)
        path = (
            f"{root}/mailFolders/{_segment(params.folder)}/messages"
            if params.folder
            else f"{root}/messages"
        )
        query = {"$select": _MESSAGE_FIELDS, "$orderby": "receivedDateTime desc"}
        if params.filter:
            query["$filter"] = params.filter
        paged = await self._pages(ctx, path, params, query)
        return MessagePage(items=[Message.of(m) for m in paged.items], next_cursor=paged.cursor)

    @action()
    async def list_events(self, ctx: ActionContext, params: ListEventsInput) -> EventPage:
        """Lists the user's events; with `start` and `end`, the calendar view between them
        (recurring events expanded)."""
        root = self._user(ctx, params.user)
        if (params.start is None) != (params.end is None):
            raise InvalidOperation("Give both start and end for a calendar view, or neither")
        if params.start and params.end:
            query = {"startDateTime": params.start, "endDateTime": params.end}
            paged = await self._pages(ctx, f"{root}/calendarView", params, query)
        else:
            paged = await self._pages(ctx, f"{root}/events", params, {})
        return EventPage(items=[Event.of(e) for e in paged.items], next_cursor=paged.cursor)

    @action()
    async def create_event(self, ctx: ActionContext, params: CreateEventInput) -> Event:
        """Creates an event in the user's calendar, inviting the attendees; with
        `online_meeting`, a Teams meeting."""
        event: dict[str, Any] = {
            "subject": params.subject,
            "start": {"dateTime": params.start, "timeZone": params.time_zone},
            "end": {"dateTime": params.end, "timeZone": params.time_zone},
            "attendees": [dict(r, type="required") for r in _recipients(params.attendees)],
        }
        if params.body is not None:
            event["body"] = {"contentType": params.content_type, "content": params.body}
        if params.location:
            event["location"] = {"displayName": params.location}
        if params.online_meeting:
            event |= {"isOnlineMeeting": True, "onlineMeetingProvider": "teamsForBusiness"}
        response = await ctx.http.post(f"{self._user(ctx, params.user)}/events", json=event)
        return Event.of(response.json())

    @action()
    async def list_drive_items(
        self, ctx: ActionContext, params: ListDriveItemsInput
    ) -> DriveItemPage:
        """Lists the files and folders in a OneDrive or SharePoint folder (the root by
        default), by folder id or path."""
        if params.item_id and params.path:
            raise InvalidOperation("Give item_id or path, not both")
        drive = (
            f"/drives/{_segment(params.drive_id)}"
            if params.drive_id
            else f"{self._user(ctx, params.user)}/drive"
        )
        if params.item_id:
            folder = f"/items/{_segment(params.item_id)}"
        elif params.path:
            folder = f"/root:/{quote(params.path.strip('/'))}:"
        else:
            folder = "/root"
        paged = await self._pages(ctx, f"{drive}{folder}/children", params, {})
        return DriveItemPage(items=[DriveItem.of(i) for i in paged.items], next_cursor=paged.cursor)

    @action()
    async def list_teams(self, ctx: ActionContext, params: ListTeamsInput) -> TeamList:
        """Lists the teams the user is a member of (`joinedTeams`: all of them, unpaged)."""
        paged = await ctx.paginate(f"{self._user(ctx, params.user)}/joinedTeams", limit=_ALL)
        return TeamList(items=[Team.of(t) for t in paged.items])

    @action()
    async def list_channels(self, ctx: ActionContext, params: ListChannelsInput) -> ChannelList:
        """Lists a team's channels (all of them: Graph does not page them)."""
        paged = await ctx.paginate(f"/teams/{_segment(params.team_id)}/channels", limit=_ALL)
        return ChannelList(items=[Channel.of(c) for c in paged.items])

    @action()
    async def send_channel_message(
        self, ctx: ActionContext, params: SendChannelMessageInput
    ) -> ChannelMessage:
        """Posts a message to a Teams channel as the signed-in user (delegated tokens only)."""
        path = f"/teams/{_segment(params.team_id)}/channels/{_segment(params.channel_id)}/messages"
        body: dict[str, Any] = {
            "body": {"contentType": params.content_type, "content": params.content}
        }
        if params.subject:
            body["subject"] = params.subject
        response = await ctx.http.post(path, json=body)
        return ChannelMessage.of(response.json())

    @action()
    async def send_teams_webhook(
        self, ctx: ActionContext, params: SendTeamsWebhookInput
    ) -> WebhookSent:
        """Posts an Adaptive Card to a Teams incoming webhook or a Workflows (Power Automate)
        trigger URL. That URL is no Graph call: it is sent without the integration's token."""
        url = params.url or ctx.configuration.get("teams_webhook_url")
        if not isinstance(url, str) or not url:
            raise InvalidOperation("Give url, or teams_webhook_url in the configuration")
        if params.card is None and not params.text:
            raise InvalidOperation("Give text (and a title), or a whole card")
        attachment = {"contentType": _CARD, "contentUrl": None, "content": _card(params)}
        message = {"type": "message", "attachments": [attachment]}
        response = await ctx.http.post(url, json=message, authenticated=False)
        return WebhookSent(status=response.status)
