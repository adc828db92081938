"""A mock of Microsoft Graph v1.0 (`microsoft_365`), its tenant's token endpoint, and Teams'
incoming webhooks and Workflows triggers, on one socket."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar

import jwt
from aiohttp import web
from aiohttp.typedefs import Handler

from interlink.core.clock import Clock
from interlink.providers.microsoft_365 import mock_shapes as shapes
from interlink.testing.base import MockUpstream, json_response, read_json
from interlink.testing.faults import retry_after_header
from interlink.testing.toolkit import (
    Marker,
    PageError,
    RateBudget,
    RateHeaders,
    ResetFormat,
    TokenGate,
    token_page,
    token_start,
)

Obj = dict[str, Any]
API = "/v1.0"
USERS = (f"{API}/me", f"{API}/users/{{user}}")
_SEED_START = datetime(2025, 5, 1, 9, tzinfo=UTC)
_SKIP = Marker("skip", urlsafe=True)
_REFUSAL_REALM = (
    'Bearer realm="", '
    'authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
    'client_id="00000003-0000-0000-c000-000000000000"'
)
APP_ROLES = ("Mail.Read", "Mail.Send", "Calendars.ReadWrite", "Files.Read.All",
             "Team.ReadBasic.All", "Channel.ReadBasic.All")  # fmt: skip
RATE_HEADERS = RateHeaders(
    "RateLimit-Limit", "RateLimit-Remaining", {"RateLimit-Reset": ResetFormat.SECONDS_AFTER}
)


class GraphError(Exception):
    """Graph's `{"error": {"code", "message", "innerError"}}` with its HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Microsoft365Mock(MockUpstream):
    """Graph for one user (`/me`, also `/users/{id or userPrincipalName}`): a mailbox of
    `messages` messages (newest first; `sendMail` answers 202 and files the mail in Sent
    Items), a calendar of 12 events (`calendarView` between two times), a OneDrive root of 31
    items with a `Reports` folder of 5, two joined teams of two channels each, and channel
    messages. Lists page by `$top` with an absolute `@odata.nextLink` carrying `$skiptoken`.

    Bearer tokens: the mock's own, and those its token endpoint (`/{tenant}/oauth2/v2.0/token`:
    `client_credentials` with a `/.default` scope, `refresh_token`) issued. A refusal is 401
    `InvalidAuthenticationToken` with Graph's `WWW-Authenticate`. `rate_limit` requests per
    ten minutes (Outlook's window) on the injected clock, with SharePoint's `RateLimit-*`
    headers on every answer (Graph sends them only near the limit); past it, 429
    `TooManyRequests` with `Retry-After`.

    Teams: `POST /webhookb2/...` (an incoming webhook, answers 200 `1`) and
    `POST /workflows/{id}/triggers/manual/paths/invoke` (Workflows, 202); no token needed.
    """

    name: ClassVar[str] = "microsoft_365"
    api_root: ClassVar[str] = API
    default_token: ClassVar[str] = "mock-graph-token"  # noqa: S105
    description_gaps: ClassVar[Mapping[str, str]] = {
        r"^POST /(webhookb2|workflows)/": "Teams' incoming webhooks and Workflows triggers are "
        "not Graph",
        r"^POST (/v1\.0)?/(me|users/[^/]+)/sendMail$": "the description names actions with their "
        "namespace (/me/microsoft.graph.sendMail); Graph answers both, its docs and SDK use "
        "/me/sendMail",
        r"^GET (/v1\.0)?/(me|users/[^/]+)/drive/": "the description reaches a folder's children "
        "only as /drives/{drive-id}/items/{driveItem-id}/children; Graph's docs give "
        "/me/drive/root/children, /me/drive/items/{id}/children and "
        "/me/drive/root:/{path}:/children",
        r"'@odata\.type' is a required property": "the description's schemas require "
        "@odata.type, which Graph writes only for a derived type, and no client sends",
        r"query parameter '\$skiptoken' is not declared": "Graph's @odata.nextLink carries "
        "$skiptoken; the description declares $top and $skip only",
    }

    def __init__(
        self,
        *,
        token: str | None = None,
        clock: Clock | None = None,
        messages: int = 40,
        rate_limit: int | None = 10000,
        client_id: str = "11111111-2222-3333-4444-555555555555",
        client_secret: str = "mock-client-secret",  # noqa: S107
        refresh_token: str = "mock-refresh-token",  # noqa: S107
    ) -> None:
        self.seed_messages, self.rate_limit = messages, rate_limit
        self.client_id, self.client_secret = client_id, client_secret
        self.first_refresh_token = refresh_token
        super().__init__(token=token, clock=clock)

    def reset_state(self) -> None:
        start = _SEED_START
        self.messages = [
            shapes.message(n, start - timedelta(hours=n)) for n in range(1, self.seed_messages + 1)
        ]
        self.sent: list[Obj] = []
        self.events = [
            shapes.event(n, start + timedelta(days=n), start + timedelta(days=n, hours=1), "UTC")
            for n in range(1, 13)
        ]
        self.folders = shapes.drive(
            "01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K", "01BYE5RZ" + "0" * 23 + "100", start
        )
        self.teams = [shapes.team(0), shapes.team(1)]
        self.channels = {
            t: [
                shapes.channel(t, 1, "General", start),
                shapes.channel(t, 2, "Announcements", start),
            ]
            for t in shapes.TEAM_IDS
        }
        self.chat_messages: list[Obj] = []
        self.issued = {self.token}
        self.refresh_tokens = {self.first_refresh_token}
        self.budget = RateBudget(
            self.rate_limit, 600, clock=self.clock, exhausted=self.rate_limited_response,
            headers=RATE_HEADERS, align_to=1,
        )  # fmt: skip

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/{tenant}/oauth2/v2.0/token", self.token_endpoint)
        router.add_post("/webhookb2/{tail:.+}", self.incoming_webhook)
        router.add_post("/workflows/{id}/triggers/manual/paths/invoke", self.workflow)
        router.add_get(f"{API}/teams/{{team}}/channels", self.list_channels)
        router.add_post(f"{API}/teams/{{team}}/channels/{{channel}}/messages", self.post_message)
        router.add_get(f"{API}/drives/{{drive}}/root/children", self.drive_root)
        router.add_get(f"{API}/drives/{{drive}}/items/{{item}}/children", self.drive_folder)
        for root in USERS:
            router.add_get(root, self.me)
            router.add_post(f"{root}/sendMail", self.send_mail)
            router.add_get(f"{root}/messages", self.list_messages)
            router.add_get(f"{root}/mailFolders/{{folder}}/messages", self.list_messages)
            router.add_get(f"{root}/events", self.list_events)
            router.add_get(f"{root}/calendarView", self.calendar_view)
            router.add_post(f"{root}/events", self.create_event)
            router.add_get(f"{root}/drive", self.get_drive)
            router.add_get(f"{root}/drive/root/children", self.drive_root)
            router.add_get(f"{root}/drive/items/{{item}}/children", self.drive_folder)
            router.add_get(f"{root}/drive/root:/{{path:.+}}:/children", self.drive_path)
            router.add_get(f"{root}/joinedTeams", self.joined_teams)

    @property
    def tokens(self) -> TokenGate:
        return TokenGate(self.issued, self._unauthorized)

    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        answer = partial(self._answer, request, handler)
        if not request.path.startswith(API + "/"):
            return await answer()  # the token endpoint and Teams' webhooks take no bearer
        refusal = self.tokens.refusal(request)
        return refusal if refusal is not None else await self.budget.meter("", answer)

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except GraphError as error:
            return self.error(error.status, error.code, error.message)

    def error(self, status: int, code: str, message: str, **headers: str) -> web.Response:
        n = f"{len(self.calls)}"
        inner = {"date": self.now().strftime("%Y-%m-%dT%H:%M:%S"),
                 "request-id": str(uuid.uuid5(uuid.NAMESPACE_URL, n)),
                 "client-request-id": str(uuid.uuid5(uuid.NAMESPACE_DNS, n))}  # fmt: skip
        body = {"error": {"code": code, "message": message, "innerError": inner}}
        return json_response(body, status=status, headers=headers)

    def _unauthorized(self, request: web.Request, token: str) -> web.StreamResponse:
        said = (
            "Access token is empty."
            if not token
            else "IDX14100: JWT is not well formed, there are no dots (.)."
        )
        return self.error(
            401, "InvalidAuthenticationToken", said, **{"WWW-Authenticate": _REFUSAL_REALM}
        )

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        message = "Application is over its MailboxConcurrency limit."
        return self.error(
            429, "ApplicationThrottled", message, **{"Retry-After": retry_after_header(retry_after)}
        )

    def server_error_response(self, status: int) -> web.StreamResponse:
        headers = {"Retry-After": "2"} if status == 503 else {}
        return self.error(status, "serviceNotAvailable" if status == 503 else "generalException",
                          "The service is temporarily unavailable.", **headers)  # fmt: skip

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        segment = request.path.rstrip("/").rsplit("/", 1)[-1]
        return self.error(400, "BadRequest", f"Resource not found for the segment '{segment}'.")

    def missing_response(self, request: web.Request) -> web.StreamResponse:
        return self.error(
            404, "ErrorItemNotFound", "The specified object was not found in the store."
        )

    def forbidden_response(self, request: web.Request) -> web.StreamResponse:
        return self.error(
            403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
        )

    # the token endpoint and Teams' webhooks

    async def token_endpoint(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        grant = form.get("grant_type")
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return _aad_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
        if grant == "client_credentials":
            if not str(form.get("scope", "")).endswith("/.default"):
                return _aad_error(
                    400, "invalid_scope", 1002012, "The provided value for scope is not valid."
                )
            return json_response(self._issue(None))
        if grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return _aad_error(
                    400, "invalid_grant", 70000, "The provided grant is invalid or malformed."
                )
            return json_response(self._issue(str(form.get("scope") or "User.Read Mail.Read")))
        return _aad_error(
            400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
        )

    def _issue(self, scope: str | None) -> Obj:
        """A JWT as Azure AD's: a delegated token's `scp` (the scopes asked), an app token's
        `roles` (the app's permissions); signed with a key of the mock's own."""
        now = int(self.now().timestamp())
        claims: Obj = {"aud": "https://graph.microsoft.com", "tid": shapes.TENANT_ID,
                       "appid": self.client_id, "iat": now, "exp": now + 3599,
                       "uti": str(len(self.issued))}  # fmt: skip
        if scope is None:
            claims["roles"] = list(APP_ROLES)
        else:
            claims |= {"scp": scope, "oid": shapes.USER_ID, "upn": shapes.UPN}
        access = jwt.encode(claims, "mock-token-signing-key", algorithm="HS256")
        self.issued.add(access)
        answer: Obj = {
            "token_type": "Bearer",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": access,
        }
        if scope is not None:
            refresh = f"{self.first_refresh_token}.{len(self.refresh_tokens)}"
            self.refresh_tokens.add(refresh)
            answer |= {"scope": scope, "refresh_token": refresh}
        return answer

    async def incoming_webhook(self, request: web.Request) -> web.StreamResponse:
        if not _is_card_message(await _json_or_none(request)):
            return web.Response(
                status=400, text="Bad payload received by generic incoming webhook."
            )
        return web.Response(text="1")

    async def workflow(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("sig") is None:
            refused = {"code": "DirectApiAuthorizationRequired", "message": "Not authenticated."}
            return json_response({"error": refused}, status=401)
        return web.Response(status=202)

    # Graph

    async def me(self, request: web.Request) -> web.StreamResponse:
        self._the_user(request)
        return json_response(shapes.user(_base(request)))

    async def send_mail(self, request: web.Request) -> web.StreamResponse:
        self._the_user(request)
        given = await _body(request)  # action parameters in any case: the SDK sends "Message"
        sent = next((v for k, v in given.items() if k.lower() == "message"), None)
        if not isinstance(sent, dict) or not sent.get("toRecipients"):
            raise GraphError(400, "ErrorInvalidRecipients", "At least one recipient is not valid.")
        n = len(self.messages) + len(self.sent) + 1
        self.sent.append(shapes.message(
            n, self.now(), subject=sent.get("subject"), to=sent["toRecipients"],
            sender=shapes.UPN, cc=sent.get("ccRecipients", []), body=sent.get("body"),
        ))  # fmt: skip
        return web.Response(status=202)

    async def list_messages(self, request: web.Request) -> web.StreamResponse:
        self._the_user(request)
        folder = request.match_info.get("folder", "").lower()
        if folder and folder not in ("inbox", "sentitems"):
            raise GraphError(
                404, "ErrorItemNotFound", "The specified object was not found in the store."
            )
        found = self.sent[::-1] if folder == "sentitems" else self.messages
        return self._page(request, found, "messages", 10)

    async def list_events(self, request: web.Request) -> web.StreamResponse:
        self._the_user(request)
        return self._page(request, self.events, "events", 10)

    async def calendar_view(self, request: web.Request) -> web.StreamResponse:
        self._the_user(request)
        try:
            start, end = (_time(request.query[name]) for name in ("startDateTime", "endDateTime"))
        except (KeyError, ValueError):
            said = "This request requires a time window specified by the query string "
            said += "parameters StartDateTime and EndDateTime."
            raise GraphError(400, "ErrorInvalidParameter", said) from None
        found = [e for e in self.events if start <= _time(e["start"]["dateTime"]) < end]
        return self._page(request, found, "calendarView", 10)

    async def create_event(self, request: web.Request) -> web.StreamResponse:
        self._the_user(request)
        given = await _body(request)
        try:
            start, end = _time(given["start"]["dateTime"]), _time(given["end"]["dateTime"])
            zone = str(given["start"]["timeZone"])
        except (KeyError, TypeError, ValueError):
            raise GraphError(400, "ErrorInvalidRequest", "start and end are required.") from None
        if end < start:
            raise GraphError(400, "ErrorInvalidRequest", "The end time must be after the start.")
        attendees = [a["emailAddress"]["address"] for a in given.get("attendees") or []]
        created = shapes.event(
            100 + len(self.events), start, end, zone, subject=given.get("subject"),
            attendees=attendees, location=(given.get("location") or {}).get("displayName"),
            online=bool(given.get("isOnlineMeeting")),
            body=given.get("body") or {"contentType": "text", "content": ""},
        )  # fmt: skip
        self.events.append(created)
        context = f"{_base(request)}/$metadata#users('{shapes.USER_ID}')/events/$entity"
        return json_response({"@odata.context": context, **created}, status=201)

    async def drive_root(self, request: web.Request) -> web.StreamResponse:
        self._the_drive(request)
        return self._page(request, self.folders[next(iter(self.folders))], "driveItems", 200)

    async def get_drive(self, request: web.Request) -> web.StreamResponse:
        self._the_user(request)
        return json_response(shapes.drive_json(_base(request)))

    async def drive_folder(self, request: web.Request) -> web.StreamResponse:
        self._the_drive(request)
        item = request.match_info["item"]
        found = self.folders.get(next(iter(self.folders)) if item == "root" else item)
        if found is None:
            raise GraphError(404, "itemNotFound", "The resource could not be found.")
        return self._page(request, found, "driveItems", 200)

    async def drive_path(self, request: web.Request) -> web.StreamResponse:
        self._the_user(request)
        root = self.folders[next(iter(self.folders))]
        folder = next(
            (
                i
                for i in root
                if i["name"].lower() == request.match_info["path"].lower() and "folder" in i
            ),
            None,
        )
        if folder is None:
            raise GraphError(404, "itemNotFound", "The resource could not be found.")
        return self._page(request, self.folders[folder["id"]], "driveItems", 200)

    async def joined_teams(self, request: web.Request) -> web.StreamResponse:
        self._the_user(request)
        return self._page(request, self.teams, "teams", 1000)

    async def list_channels(self, request: web.Request) -> web.StreamResponse:
        return self._page(request, self._channels(request), "teams('{team}')/channels", 1000)

    async def post_message(self, request: web.Request) -> web.StreamResponse:
        channel = next(
            (c for c in self._channels(request) if c["id"] == request.match_info["channel"]), None
        )
        if channel is None:
            raise GraphError(404, "NotFound", "Channel not found")
        given = await _body(request)
        body = given.get("body")
        if not isinstance(body, dict) or not body.get("content"):
            raise GraphError(400, "BadRequest", "Missing body content")
        ident = str(int(self.now().timestamp() * 1000) + len(self.chat_messages))
        team_id = request.match_info["team"]
        shown = shapes.chat_message(
            ident, team_id, channel["id"], body, given.get("subject"), self.now()
        )
        self.chat_messages.append(shown)
        where = f"teams('{team_id}')/channels('{channel['id']}')/messages/$entity"
        context = f"{_base(request)}/$metadata#{where}"
        return json_response({"@odata.context": context, **shown}, status=201)

    # state

    def _the_user(self, request: web.Request) -> None:
        named = request.match_info.get("user")
        if named is not None and named.lower() not in (shapes.USER_ID, shapes.UPN.lower()):
            said = f"Resource '{named}' does not exist or one of its queried reference-property "
            raise GraphError(404, "Request_ResourceNotFound", said + "objects are not present.")

    def _the_drive(self, request: web.Request) -> None:
        drive = request.match_info.get("drive")
        if drive is not None and drive != shapes.DRIVE_ID:
            raise GraphError(404, "itemNotFound", "The resource could not be found.")
        self._the_user(request)

    def _channels(self, request: web.Request) -> list[Obj]:
        found = self.channels.get(request.match_info["team"])
        if found is None:
            raise GraphError(
                404, "NotFound", "No team found with Group Id " + request.match_info["team"]
            )
        return found

    def _page(
        self, request: web.Request, items: list[Obj], context: str, default: int
    ) -> web.Response:
        try:
            size = int(request.query.get("$top", default))
            start = token_start(request.query.get("$skiptoken"), _SKIP)
        except (ValueError, PageError):
            raise GraphError(
                400, "BadRequest", "Invalid value for the query parameters $top or $skiptoken."
            ) from None
        if not 1 <= size <= 1000:
            raise GraphError(
                400,
                "BadRequest",
                f"Invalid page size specified: '{size}'. Must be between 1 and 1000 inclusive.",
            )
        page = token_page(items, start=start, limit=size, marker=_SKIP)
        body: Obj = {
            "@odata.context": f"{_base(request)}/$metadata#{context.format(**request.match_info)}",
            "value": page.items,
        }
        if page.next is not None:
            body["@odata.nextLink"] = str(
                request.url.update_query({"$top": str(size), "$skiptoken": page.next})
            )
        return json_response(body)


def _aad_error(status: int, error: str, code: int, description: str) -> web.Response:
    body = {
        "error": error, "error_description": f"AADSTS{code}: {description}",
        "error_codes": [code], "timestamp": "2025-06-01 12:00:00Z",
        "trace_id": str(uuid.uuid5(uuid.NAMESPACE_URL, error)),
        "correlation_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, error)),
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }  # fmt: skip
    return json_response(body, status=status)


def _base(request: web.Request) -> str:
    return f"{request.url.origin()}{API}"


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.rstrip("Z")[:26]).replace(tzinfo=None)


async def _json_or_none(request: web.Request) -> Any:
    try:
        return await read_json(request)
    except ValueError:
        return None


async def _body(request: web.Request) -> Obj:
    found = await _json_or_none(request)
    if not isinstance(found, dict):
        raise GraphError(400, "BadRequest", "Empty Payload. JSON content expected.")
    return found


def _is_card_message(body: Any) -> bool:
    """A MessageCard, or a `message` whose attachments hold cards."""
    if not isinstance(body, dict):
        return False
    if body.get("@type") == "MessageCard" or body.get("text"):
        return True
    attachments = body.get("attachments")
    return body.get("type") == "message" and isinstance(attachments, list) and bool(attachments)


MOCK = Microsoft365Mock
