"""A mock of Google Workspace's APIs on one host: Gmail (`/gmail/v1`), Calendar
(`/calendar/v3`), Drive (`/drive/v3`), Sheets (`/v4`), and Google's OAuth server (`/token`,
`/oauth2/v2/tokeninfo`), each at the paths of its discovery document, as
google-api-python-client calls them with `client_options={"api_endpoint": ...}`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from typing import ClassVar

from aiohttp import web
from aiohttp.typedefs import Handler

from interlink.core.clock import Clock
from interlink.providers.google_workspace.apis import scopes
from interlink.providers.google_workspace.mock_calendar import Calendar
from interlink.providers.google_workspace.mock_drive import Drive
from interlink.providers.google_workspace.mock_errors import (
    GoogleError,
    insufficient_scopes,
    not_found,
    rate_limited,
    unauthenticated,
)
from interlink.providers.google_workspace.mock_errors import (
    Handler as RouteHandler,
)
from interlink.providers.google_workspace.mock_gmail import Gmail
from interlink.providers.google_workspace.mock_sheets import Sheets
from interlink.providers.google_workspace.mock_token import Grant, TokenServer, private_key_pem
from interlink.testing.base import MockUpstream
from interlink.testing.toolkit import RateBudget, TokenGate

_SEED_START = datetime(2024, 1, 1, tzinfo=UTC)
_OPEN = ("/token", "/oauth2/v2/tokeninfo")  # Google's OAuth server takes no bearer token
GRANT = web.RequestKey("grant", Grant)
ALL_SCOPES = scopes(
    "https://mail.google.com/", "calendar", "drive", "spreadsheets", "userinfo.email"
)  # fmt: skip


class GoogleWorkspaceMock(MockUpstream):
    """`user`'s Gmail (`messages` seeded), Calendar (`events`), Drive (`files`) and one
    spreadsheet (`rows` rows), and Google's OAuth server for its client and its service
    account (`client_email`, key `private_key`; domain-wide delegation to `user` and
    `colleague`).

    Bearer tokens: the mock's own (all scopes) and those its token endpoint issued (their
    scopes, an hour on the injected clock). A token without one of a route's scopes gets
    Google's 403 `insufficientPermissions`. Google sends no rate-limit headers: past
    `rate_limit` requests a minute per token the mock answers 429 `rateLimitExceeded` (no
    `Retry-After`), or (`rate_limited_as=403`) the 403 `userRateLimitExceeded` some APIs send.
    """

    name: ClassVar[str] = "google_workspace"
    default_token: ClassVar[str] = "ya29.mock-access-token"  # noqa: S105
    rate_limit_hint: ClassVar[bool] = False  # Google's quota refusals name no wait
    description_gaps: ClassVar[Mapping[str, str]] = {}

    def __init__(
        self,
        *,
        token: str | None = None,
        clock: Clock | None = None,
        user: str = "mock.user@example.com",
        messages: int = 30,
        events: int = 40,
        files: int = 60,
        rows: int = 5,
        rate_limit: int | None = 600,
        rate_limited_as: int = 429,
        refresh_scopes: frozenset[str] = ALL_SCOPES,
    ) -> None:
        self.user = user
        self.seeds = (messages, events, files, rows)
        self.rate_limit = rate_limit
        self.rate_limited_as = rate_limited_as
        self.refresh_scopes = refresh_scopes
        super().__init__(token=token, clock=clock)

    @property
    def colleague(self) -> str:
        return "colleague@" + self.user.partition("@")[2]

    @property
    def credentials(self) -> dict[str, str]:
        server = self.oauth
        return {
            "access_token": self.token,
            "refresh_token": server.refresh_token,
            "client_id": server.client_id,
            "client_secret": server.client_secret,
            "client_email": server.client_email,
        }

    @property
    def private_key(self) -> str:
        """The service account's private key (PEM), as its key file holds it."""
        return private_key_pem()

    def reset_state(self) -> None:
        messages, events, files, rows = self.seeds
        self.gmail = Gmail(self.clock, self.user, messages, _SEED_START)
        self.calendar = Calendar(self.clock, self.user, events, _SEED_START)
        self.drive = Drive(files, _SEED_START)
        self.sheets = Sheets(rows)
        self.oauth = TokenServer(
            self.clock, self.user, frozenset({self.user, self.colleague}),
            refresh_scopes=self.refresh_scopes,
        )  # fmt: skip
        self.oauth.issued[self.token] = Grant(self.user, ALL_SCOPES, self.oauth.client_id)
        self.budget = RateBudget(
            lambda: self.rate_limit, 60, clock=self.clock, exhausted=self.rate_limited_response
        )

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/token", self._token)
        router.add_route("*", "/oauth2/v2/tokeninfo", self._tokeninfo)
        for api in ("gmail", "calendar", "drive", "sheets"):
            getattr(self, api).add_routes(partial(self._route, router, api))

    def _route(
        self, router: web.UrlDispatcher, api: str, method: str, path: str,
        handler: RouteHandler, needs: frozenset[str],
    ) -> None:  # fmt: skip
        async def scoped(request: web.Request) -> web.StreamResponse:
            if not request[GRANT].scopes & needs:
                raise insufficient_scopes()
            current: RouteHandler = getattr(getattr(self, api), handler.__name__)  # after reset()
            return await current(request)

        router.add_route(method, path, scoped)

    async def _token(self, request: web.Request) -> web.StreamResponse:
        return await self.oauth.token(request)

    async def _tokeninfo(self, request: web.Request) -> web.StreamResponse:
        return await self.oauth.tokeninfo(request)

    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in _OPEN:
            return await handler(request)
        tokens = TokenGate(self.oauth.live(), lambda request, token: unauthenticated().response())
        refusal = tokens.refusal(request)
        if refusal is not None:
            return refusal
        token = tokens.presented(request) or ""
        grant = self.oauth.grant(token)
        assert grant is not None
        request[GRANT] = grant
        return await self.budget.meter(token, partial(self._answer, request, handler))

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except GoogleError as error:
            return error.response()

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        """429 `rateLimitExceeded`, or the 403 `userRateLimitExceeded`; no Retry-After (Google's
        quota answers name no wait)."""
        return rate_limited(self.rate_limited_as).response()

    def server_error_response(self, status: int) -> web.StreamResponse:
        reason = "backendError" if status >= 500 else "badRequest"
        message = "Backend Error" if status >= 500 else "Bad Request"
        return GoogleError(status, message, reason).response()

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        return not_found().response()

    def missing_response(self, request: web.Request) -> web.StreamResponse:
        return not_found("Requested entity was not found.").response()

    def forbidden_response(self, request: web.Request) -> web.StreamResponse:
        return insufficient_scopes().response()

    def integration_credentials(self, auth_method: str, token: str | None = None) -> dict[str, str]:
        """OAuth: the access token (or `token`)."""
        return {"access_token": token if token is not None else self.token}


MOCK = GoogleWorkspaceMock
