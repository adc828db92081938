"""A mock of the Zendesk Support API v2 (`zendesk`): tickets, users, the export search, and
Zendesk's rate-limit headers, errors and cursor pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar

from aiohttp import web
from aiohttp.typedefs import Handler
from yarl import URL

from interlink.core.clock import Clock
from interlink.providers.zendesk.mock_oauth import OAuthClient
from interlink.providers.zendesk.mock_shapes import (
    PRIORITIES,
    STATUSES,
    TYPES,
    Obj,
    Ticket,
    User,
    ZendeskError,
    audit,
    invalid,
    matches,
    not_found,
)
from interlink.testing.base import MockUpstream, json_response, read_json
from interlink.testing.faults import retry_after_header
from interlink.testing.toolkit import (
    Marker,
    PageError,
    RateBudget,
    RateHeaders,
    TokenGate,
    authorization,
    basic,
    cursor_page,
    cursor_start,
)

API = "/api/v2"
JSON = r"{ext:(\.json)?}"  # Zendesk answers a path with or without `.json`
_SEED_START = datetime(2024, 1, 1, tzinfo=UTC)
_CURSORS = Marker("zd", urlsafe=True)
RATE_HEADERS = RateHeaders(limit="X-Rate-Limit", remaining="X-Rate-Limit-Remaining", resets={})
_FORBIDDEN = (
    "You do not have access to this page. Please contact the account owner of this help desk "
    "for further help."
)


class ZendeskMock(MockUpstream):
    """Zendesk Support with an admin (`agent`, user 1, who the credentials are), `requesters`
    end users (ids 2...) and `tickets` seeded tickets (ids 1...), cycling through the statuses.

    Auth as Zendesk takes it: an API token as Basic `email/token:TOKEN`, or an OAuth access token
    as Bearer; anything else is 401 `Couldn't authenticate you`. Paths answer with and without
    `.json`. Lists page by cursor (`page[size]` up to 100, `page[after]`; `meta.has_more`,
    `meta.after_cursor` and `links.next`, a URL back to the mock); the export search takes
    `query` and `filter[type]` (`ticket` or `user`) and pages alike up to 1,000. A ticket
    created with an `Idempotency-Key` is created once: the same key and body answer the same
    (`x-idempotency-lookup: hit`), another body 400.

    OAuth: `/oauth/tokens` (Zendesk's token endpoint, on the account's host) grants an access
    token for the client credentials (`client_id`, `client_secret`) or a refresh token (which it
    rotates), in JSON as Zendesk documents it or as a form; the tokens it grants are let in, and
    `/oauth/tokens/current` says a token's scopes (`read write` for the mock's own token).

    Rate limits: `rate_limit` requests per UTC minute (None: none) on the injected clock. Every
    authenticated answer carries `X-Rate-Limit` and `X-Rate-Limit-Remaining`; lists and searches
    also `ratelimit-limit`, `ratelimit-remaining` and `ratelimit-reset` (seconds). A spent budget
    answers 429 with `Retry-After`.
    """

    name: ClassVar[str] = "zendesk"
    api_root: ClassVar[str] = API
    default_token: ClassVar[str] = "mock-api-token"  # noqa: S105

    def __init__(
        self,
        *,
        token: str | None = None,
        clock: Clock | None = None,
        email: str = "agent@example.com",
        tickets: int = 30,
        requesters: int = 3,
        rate_limit: int | None = 700,
    ) -> None:
        self.email = email
        self.seed_tickets = tickets
        self.seed_requesters = requesters
        self.rate_limit = rate_limit
        super().__init__(token=token, clock=clock)

    @property
    def credentials(self) -> dict[str, str]:
        return {"email": self.email, "api_token": self.token}

    def integration_credentials(self, auth_method: str, token: str | None = None) -> dict[str, str]:
        secret = token if token is not None else self.token
        if auth_method == "oauth":
            return {"access_token": secret}
        return {"username": f"{self.email}/token", "password": secret}

    def reset_state(self) -> None:
        self.users: dict[int, User] = {1: User(1, "Mock Agent", self.email, "admin", _SEED_START)}
        for n in range(2, self.seed_requesters + 2):
            self.users[n] = User(n, f"Requester {n}", f"user{n}@example.com", "end-user",
                                 _SEED_START)  # fmt: skip
        self.tickets: dict[int, Ticket] = {}
        for n in range(1, self.seed_tickets + 1):
            created = _SEED_START + timedelta(hours=n)
            comment = {"body": f"Details of seeded ticket {n}", "public": True, "author_id": 2}
            self.tickets[n] = Ticket(
                n, f"Seeded ticket {n}", [comment], 2 + n % self.seed_requesters, created,
                created, status=STATUSES[n % 6], priority=PRIORITIES[n % 4],
                type=TYPES[n % 4], tags=["seeded"],
            )  # fmt: skip
        self.idempotent: dict[str, tuple[Any, int]] = {}
        self.oauth = OAuthClient()
        self.budget = RateBudget(
            self.rate_limit, 60, clock=self.clock, exhausted=self.rate_limited_response,
            headers=RATE_HEADERS, align_to=60,
        )  # fmt: skip

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/oauth/tokens", self.oauth.grant)
        router.add_get(f"{API}/users/me{JSON}", self.me)
        router.add_get(f"{API}/users/{{id:\\d+}}{JSON}", self.get_user)
        router.add_get(f"{API}/tickets{JSON}", self.list_tickets)
        router.add_post(f"{API}/tickets{JSON}", self.create_ticket)
        router.add_get(f"{API}/tickets/{{id:\\d+}}{JSON}", self.get_ticket)
        router.add_put(f"{API}/tickets/{{id:\\d+}}{JSON}", self.update_ticket)
        router.add_get(f"{API}/search/export{JSON}", self.search_export)
        router.add_get(f"{API}/oauth/tokens/current{JSON}", self.current_token)

    @property
    def tokens(self) -> TokenGate:
        """An API token (Basic `email/token:TOKEN`) or an OAuth access token (Bearer)."""
        return TokenGate(
            {f"{self.email}/token:{self.token}", self.token, *self.oauth.granted},
            _unauthorized,
            (basic(), authorization("Bearer")),
        )

    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/oauth/tokens":  # authenticated by its body
            return await handler(request)
        refusal = self.tokens.refusal(request)
        if refusal is not None:
            return refusal
        return await self.budget.meter("", partial(self._answer, request, handler))

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ZendeskError as error:
            return json_response(error.body, status=error.status)

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        body = {
            "error": "APIRateLimitExceeded",
            "description": "Number of allowed API requests per minute exceeded",
        }
        headers = {"Retry-After": retry_after_header(retry_after)}
        return json_response(body, status=429, headers=headers)

    def server_error_response(self, status: int) -> web.StreamResponse:
        return json_response(
            {"error": "ServerError", "description": "Internal error"}, status=status
        )

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        return json_response({"error": "InvalidEndpoint", "description": "Not found"}, status=404)

    def missing_response(self, request: web.Request) -> web.StreamResponse:
        return json_response(not_found().body, status=404)

    def forbidden_response(self, request: web.Request) -> web.StreamResponse:
        return json_response({"error": "Forbidden", "description": _FORBIDDEN}, status=403)

    # users

    async def me(self, request: web.Request) -> web.StreamResponse:
        return json_response({"user": self.users[1].json(self._base(request))})

    async def get_user(self, request: web.Request) -> web.StreamResponse:
        user = self.users.get(int(request.match_info["id"]))
        if user is None:
            raise not_found()
        return json_response({"user": user.json(self._base(request))})

    async def current_token(self, request: web.Request) -> web.StreamResponse:
        """The OAuth token the request carries (its first 10 characters) and its scopes."""
        token = authorization("Bearer")(request)
        if token is None:
            raise not_found()
        scopes = self.oauth.granted.get(token, ["read", "write"])
        return json_response({"token": {
            "id": 1, "user_id": 1, "client_id": 1, "token": token[:10], "refresh_token": None,
            "scopes": scopes, "url": f"{self._base(request)}/oauth/tokens/1.json",
            "created_at": "2024-01-01T00:00:00Z", "expires_at": None, "used_at": None,
        }})  # fmt: skip

    # tickets

    async def list_tickets(self, request: web.Request) -> web.StreamResponse:
        tickets = sorted(self.tickets.values(), key=lambda t: t.id)
        return self._page(request, "tickets", tickets, most=100)

    async def get_ticket(self, request: web.Request) -> web.StreamResponse:
        ticket = self._ticket(request)
        return json_response({"ticket": ticket.json(self._base(request))})

    async def create_ticket(self, request: web.Request) -> web.StreamResponse:
        body = await _ticket_body(request)
        key = request.headers.get("Idempotency-Key")
        if key is not None and key in self.idempotent:
            return self._replayed(request, key, body)
        ticket = self._new_ticket(body)
        self.tickets[ticket.id] = ticket
        if key is not None:
            self.idempotent[key] = (body, ticket.id)
        return self._ticket_answer(request, ticket, 201, key, "miss")

    def _replayed(self, request: web.Request, key: str, body: Obj) -> web.StreamResponse:
        first, ticket_id = self.idempotent[key]
        if first != body:
            raise ZendeskError(
                400, "IdempotentRequestError", "Request parameters do not match the first request"
            )
        return self._ticket_answer(request, self.tickets[ticket_id], 201, key, "hit")

    def _new_ticket(self, body: Obj) -> Ticket:
        comment = body.get("comment") or {"body": body.get("description")}
        if not isinstance(comment, dict) or not str(comment.get("body") or "").strip():
            raise invalid("description", "Description: cannot be blank", "BlankValue")
        now = self.now()
        ticket = Ticket(
            max(self.tickets, default=0) + 1, str(body.get("subject") or ""),
            [{"body": str(comment["body"]), "public": comment.get("public", True) is not False,
              "author_id": 1}],
            self._requester(body.get("requester")), now, now,
            tags=[str(tag) for tag in body.get("tags") or []],
        )  # fmt: skip
        self._apply(ticket, body)
        return ticket

    async def update_ticket(self, request: web.Request) -> web.StreamResponse:
        ticket = self._ticket(request)
        body = await _ticket_body(request)
        if ticket.status == "closed":
            raise invalid("status", "Status: closed prevents ticket update", "ClosedTicket")
        self._apply(ticket, body)
        comment = body.get("comment")
        if isinstance(comment, dict) and str(comment.get("body") or "").strip():
            public = comment.get("public", True) is not False
            ticket.comments.append({"body": str(comment["body"]), "public": public,
                                    "author_id": 1})  # fmt: skip
        ticket.updated = self.now()
        return self._ticket_answer(request, ticket, 200)

    def _apply(self, ticket: Ticket, body: Obj) -> None:
        for name, allowed in (("status", STATUSES), ("priority", PRIORITIES), ("type", TYPES)):
            if name in body:
                value = body[name]
                if value is not None and value not in allowed:
                    raise invalid(name, f"{name.capitalize()}: {value} is not valid")
                setattr(ticket, name, value if value is not None or name != "status" else "open")
        if "subject" in body:
            ticket.subject = str(body["subject"] or "")
        if "tags" in body:
            ticket.tags = [str(tag) for tag in body["tags"] or []]
        if "assignee_id" in body:
            ticket.assignee_id = body["assignee_id"]
        if ticket.status == "new" and ticket.assignee_id is not None:
            ticket.status = "open"

    def _requester(self, given: Any) -> int:
        """The requester named by `{"email", "name"}`: a known user, or a new end user."""
        if not isinstance(given, dict) or not given.get("email"):
            return 1
        email = str(given["email"]).lower()
        for user in self.users.values():
            if user.email == email:
                return user.id
        user_id = max(self.users) + 1
        name = str(given.get("name") or email.partition("@")[0])
        self.users[user_id] = User(user_id, name, email, "end-user", self.now())
        return user_id

    def _ticket_answer(
        self,
        request: web.Request,
        ticket: Ticket,
        status: int,
        key: str | None = None,
        lookup: str | None = None,
    ) -> web.StreamResponse:
        base = self._base(request)
        event = {"id": ticket.id, "type": "Comment", "body": ticket.comments[-1]["body"],
                 "public": ticket.comments[-1]["public"], "author_id": 1}  # fmt: skip
        body = {"ticket": ticket.json(base), "audit": audit(ticket, 1, [event], self.now())}
        headers = {"Location": f"{base}/tickets/{ticket.id}.json"} if status == 201 else {}
        if key is not None and lookup is not None:
            headers["x-idempotency-lookup"] = lookup
        return json_response(body, status=status, headers=headers)

    # search

    async def search_export(self, request: web.Request) -> web.StreamResponse:
        query = request.query.get("query", "")
        kind = request.query.get("filter[type]")
        if not query.strip():
            raise ZendeskError(400, "InvalidSearchParameter", "query is required")
        if kind not in ("ticket", "user", "organization", "group"):
            raise ZendeskError(
                400, "InvalidSearchParameter", "filter[type] must be one of ticket, organization, "
                "user, group",
            )  # fmt: skip
        records: list[Ticket | User] = []
        if kind == "ticket":
            records = [t for t in self.tickets.values() if matches(query, t)]
        elif kind == "user":
            records = [u for u in self.users.values() if matches(query, u)]
        return self._page(request, "results", records, most=1000, result_type=kind)

    # paging

    def _page(
        self,
        request: web.Request,
        key: str,
        records: list[Any],
        *,
        most: int,
        result_type: str | None = None,
    ) -> web.StreamResponse:
        size = _page_size(request, most)
        ids = [str(record.id) for record in records]
        try:
            start = cursor_start(request.query.get("page[after]"), ids, _CURSORS)
        except PageError:
            raise ZendeskError(
                400, "InvalidPaginationParameter", "page[after] is invalid"
            ) from None
        page = cursor_page(records, ids, start=start, limit=size, marker=_CURSORS)
        base = self._base(request)
        items = [r.json(base) for r in page.items]
        if result_type is not None:
            items = [item | {"result_type": result_type} for item in items]
        after = URL(str(request.url)).update_query({"page[after]": page.next or ""})
        return json_response({
            key: items,
            "meta": {"has_more": page.has_more, "after_cursor": page.next,
                     "before_cursor": _CURSORS.encode(ids[start]) if page.items else None},
            "links": {"prev": None, "next": str(after) if page.next else None},
        }, headers=self._list_limits())  # fmt: skip

    def _list_limits(self) -> dict[str, str]:
        """The `ratelimit-*` headers Zendesk adds to list answers (the reset in seconds)."""
        if self.budget.limit is None:
            return {}
        window = self.budget.window("")
        return {
            "ratelimit-limit": str(window.limit),
            "ratelimit-remaining": str(window.remaining),
            "ratelimit-reset": str(round(self.budget.retry_after(window))),
        }

    def _ticket(self, request: web.Request) -> Ticket:
        ticket = self.tickets.get(int(request.match_info["id"]))
        if ticket is None:
            raise not_found()
        return ticket

    @staticmethod
    def _base(request: web.Request) -> str:
        return f"{request.scheme}://{request.host}{API}"


async def _ticket_body(request: web.Request) -> Obj:
    try:
        body = await read_json(request)
    except ValueError:
        raise ZendeskError(400, "InvalidJSON", "The request body is not JSON") from None
    ticket = body.get("ticket") if isinstance(body, dict) else None
    if not isinstance(ticket, dict):
        raise ZendeskError(400, "InvalidParameter", "ticket is required")
    copied: Obj = json.loads(json.dumps(ticket))
    return copied


def _page_size(request: web.Request, most: int) -> int:
    given = request.query.get("page[size]", "100")
    if not given.isdigit() or not 1 <= int(given) <= most:
        raise ZendeskError(
            400, "InvalidPaginationParameter", f"page[size] must be between 1 and {most}"
        )
    return int(given)


def _unauthorized(request: web.Request, credential: str) -> web.StreamResponse:
    return json_response({"error": "Couldn't authenticate you"}, status=401)


MOCK = ZendeskMock
