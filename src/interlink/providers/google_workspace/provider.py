"""`google_workspace`: Gmail, Calendar, Drive and Sheets on Google's REST APIs.

Each API lives on its own host (see `apis`). Lists page with `nextPageToken`; Google leaves an
empty list out of its answer. Google sends no rate-limit headers: a 429, or a 403 whose reason
is `rateLimitExceeded`/`userRateLimitExceeded`, is a rate limit, waited out and retried. Auth is
OAuth 2.0: a user's token refreshed at Google's token endpoint, or a service account's signed
JWT assertion (with `subject` for domain-wide delegation).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any, ClassVar

from interlink.providers.google_workspace import answers, apis
from interlink.providers.google_workspace.apis import (
    CALENDAR,
    DRIVE,
    GMAIL,
    OAUTH,
    SHEETS,
    scopes,
    segment,
)
from interlink.providers.google_workspace.models import (
    Appended,
    AppendValuesInput,
    CreateEventInput,
    DriveFile,
    Event,
    EventPage,
    FilePage,
    GetValuesInput,
    ListEventsInput,
    ListFilesInput,
    ListMessagesInput,
    MessagePage,
    MessageRef,
    SendMailInput,
    SentMessage,
    ValueRange,
)
from interlink.providers.kit.action import CheckResult, Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.pagination import PageToken, Pagination
from interlink.providers.kit.types import IntegrationType, OAuthFacts
from interlink.transport.classify import ErrorTable, Verdict
from interlink.transport.headers import RateLimitHeaders
from interlink.transport.response import ProviderResponse

_FILE_FIELDS = "id,name,mimeType,modifiedTime,size,parents,webViewLink"


def rfc5322(params: SendMailInput) -> str:
    """The message as Gmail's `raw`: RFC 5322 (CRLF lines), base64url. Gmail sets `From` to
    the account (or checks a given send-as address), `Date` and `Message-ID`, and delivers to
    `Bcc` without showing it."""
    message = EmailMessage(policy=SMTP)
    headers = {
        "From": params.from_address,
        "To": ", ".join(params.to),
        "Cc": ", ".join(params.cc),
        "Bcc": ", ".join(params.bcc),
        "Reply-To": params.reply_to,
        "Subject": params.subject,
    }
    for name, value in headers.items():
        if value:
            message[name] = value
    message.set_content(params.body)
    if params.html is not None:
        message.add_alternative(params.html, subtype="html")
        # Named by the parts, so one message is always the same bytes (retries, fixtures).
        digest = hashlib.sha256(f"{params.body}\0{params.html}".encode()).hexdigest()
        message.set_boundary(f"=_{digest[:40]}")
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


def _event_time(value: Any, time_zone: str | None) -> dict[str, str]:
    if isinstance(value, datetime):
        zone = {"timeZone": time_zone} if time_zone else {}
        return {"dateTime": value.isoformat(), **zone}
    return {"date": value.isoformat()}


class GoogleWorkspaceConnector(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "google_workspace",
        "Google Workspace",
        "Gmail, Calendar, Drive and Sheets",
        apis.GOOGLE_API_URL,
        "oauth",
        auth_methods=("oauth",),
        oauth=OAuthFacts(
            "https://accounts.google.com/o/oauth2/v2/auth",
            apis.TOKEN_URL,
            tuple(
                sorted(
                    scopes(
                        "gmail.send", "gmail.readonly", "calendar.events", "drive.readonly",
                        "spreadsheets",
                    )
                )
            ),
            api_hosts=apis.API_HOSTS,
        ),
        docs_url="https://developers.google.com/workspace",
    )  # fmt: skip
    category = "productivity"
    rate_headers: ClassVar[RateLimitHeaders | None] = None  # Google sends none
    pagination: ClassVar[Pagination | None] = PageToken(size="maxResults", omits_empty=True)
    required_scopes: ClassVar[Mapping[str, frozenset[str]]] = {
        "gmail_send": scopes("https://mail.google.com/", "gmail.send", "gmail.compose",
                              "gmail.modify"),
        "gmail_list_messages": scopes("https://mail.google.com/", "gmail.readonly",
                                       "gmail.modify", "gmail.metadata"),
        "calendar_list_events": scopes("calendar", "calendar.readonly", "calendar.events",
                                        "calendar.events.readonly"),
        "calendar_create_event": scopes("calendar", "calendar.events"),
        "drive_list_files": scopes("drive", "drive.readonly", "drive.file", "drive.metadata",
                                    "drive.metadata.readonly"),
        "sheets_get_values": scopes("spreadsheets", "spreadsheets.readonly", "drive",
                                     "drive.readonly", "drive.file"),
        "sheets_append_values": scopes("spreadsheets", "drive", "drive.file"),
    }  # fmt: skip

    @classmethod
    def judge(cls, response: ProviderResponse, table: ErrorTable) -> Verdict:
        return answers.judge(response, table)

    async def check(self, ctx: ActionContext) -> CheckResult:
        """Google's tokeninfo (oauth2 v2): whose token it is and the scopes it holds. The token
        goes in the form body, never in a URL."""
        token = ctx.http.auth.get("Authorization", "").partition(" ")[2]
        response = await ctx.http.post(OAUTH.url(ctx, "tokeninfo"), form={"access_token": token})
        info = response.json()
        who = info.get("email") or info.get("issued_to") or "?"
        return CheckResult(message=f"Authenticated as {who}", scopes=info.get("scope", "").split())

    @action()
    async def gmail_send(self, ctx: ActionContext, params: SendMailInput) -> SentMessage:
        """Sends an email from the Gmail account (users.messages.send): a plain-text body, with
        an HTML alternative when given; in a thread with `thread_id`."""
        body = {"raw": rfc5322(params)}
        if params.thread_id:
            body["threadId"] = params.thread_id
        path = f"users/{segment(params.user_id)}/messages/send"
        response = await ctx.http.post(GMAIL.url(ctx, path), json=body)
        return SentMessage.of(response.json())

    @action()
    async def gmail_list_messages(
        self, ctx: ActionContext, params: ListMessagesInput
    ) -> MessagePage:
        """Lists message ids of the mailbox (users.messages.list), newest first, optionally
        matching a Gmail search; following nextPageToken up to `limit`."""
        query: dict[str, Any] = {"q": params.q}
        if params.include_spam_trash:
            query["includeSpamTrash"] = "true"
        paged = await ctx.paginate(
            GMAIL.url(ctx, f"users/{segment(params.user_id)}/messages"), items="messages",
            params={k: v for k, v in query.items() if v is not None}, limit=params.limit,
            page_size=params.max_results, cursor=params.page_token,
        )  # fmt: skip
        messages = [MessageRef.of(raw) for raw in paged.items]
        return MessagePage(messages=messages, next_page_token=paged.cursor)

    @action()
    async def calendar_list_events(self, ctx: ActionContext, params: ListEventsInput) -> EventPage:
        """Lists events of a calendar (events.list) in a time window, optionally matching free
        text; following nextPageToken up to `limit`."""
        query: dict[str, Any] = {
            "timeMin": params.time_min.isoformat() if params.time_min else None,
            "timeMax": params.time_max.isoformat() if params.time_max else None,
            "q": params.q,
            "singleEvents": "true" if params.single_events else None,
            "orderBy": params.order_by,
        }
        paged = await ctx.paginate(
            CALENDAR.url(ctx, f"calendars/{segment(params.calendar_id)}/events"), items="items",
            params={k: v for k, v in query.items() if v is not None}, limit=params.limit,
            page_size=params.max_results, cursor=params.page_token,
        )  # fmt: skip
        return EventPage(
            events=[Event.of(raw) for raw in paged.items], next_page_token=paged.cursor
        )

    @action()
    async def calendar_create_event(self, ctx: ActionContext, params: CreateEventInput) -> Event:
        """Creates an event (events.insert): timed, or all day when start and end are dates;
        attendees are invited, and told by email as `send_updates` says."""
        body: dict[str, Any] = {
            "summary": params.summary,
            "start": _event_time(params.start, params.time_zone),
            "end": _event_time(params.end, params.time_zone),
        }
        for name in ("description", "location"):
            if getattr(params, name) is not None:
                body[name] = getattr(params, name)
        if params.attendees:
            body["attendees"] = [{"email": email} for email in params.attendees]
        query = {"sendUpdates": params.send_updates} if params.send_updates else None
        url = CALENDAR.url(ctx, f"calendars/{segment(params.calendar_id)}/events")
        response = await ctx.http.post(url, params=query, json=body)
        return Event.of(response.json())

    @action()
    async def drive_list_files(self, ctx: ActionContext, params: ListFilesInput) -> FilePage:
        """Lists Drive files (files.list), optionally matching a Drive search; following
        nextPageToken up to `limit`."""
        query: dict[str, Any] = {
            "q": params.q,
            "orderBy": params.order_by,
            "fields": f"nextPageToken,files({_FILE_FIELDS})",
        }
        if params.include_all_drives:
            query |= {"includeItemsFromAllDrives": "true", "supportsAllDrives": "true"}
        paged = await ctx.paginate(
            DRIVE.url(ctx, "files"), style=PageToken(items="files"),
            params={k: v for k, v in query.items() if v is not None}, limit=params.limit,
            page_size=params.page_size, cursor=params.page_token,
        )  # fmt: skip
        files = [DriveFile.of(raw) for raw in paged.items]
        return FilePage(files=files, next_page_token=paged.cursor)

    @action()
    async def sheets_get_values(self, ctx: ActionContext, params: GetValuesInput) -> ValueRange:
        """Reads a range of a spreadsheet (spreadsheets.values.get)."""
        path = f"spreadsheets/{segment(params.spreadsheet_id)}/values/{segment(params.range)}"
        query = {
            "majorDimension": params.major_dimension,
            "valueRenderOption": params.value_render_option,
        }
        response = await ctx.http.get(SHEETS.url(ctx, path), params=query)
        return ValueRange.of(response.json())

    @action()
    async def sheets_append_values(self, ctx: ActionContext, params: AppendValuesInput) -> Appended:
        """Appends rows after the table found in a range (spreadsheets.values.append)."""
        path = (
            f"spreadsheets/{segment(params.spreadsheet_id)}/values/{segment(params.range)}:append"
        )
        query: dict[str, str] = {"valueInputOption": params.value_input_option}
        if params.insert_data_option:
            query["insertDataOption"] = params.insert_data_option
        body = {"range": params.range, "majorDimension": "ROWS", "values": params.values}
        response = await ctx.http.post(SHEETS.url(ctx, path), params=query, json=body)
        return Appended.of(response.json())
