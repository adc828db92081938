"""`zendesk`: tickets, search and users on the Zendesk Support (Ticketing) API v2.

The base URL is `https://{subdomain}.zendesk.com/api/v2`, made of `configuration.subdomain`.
Lists page by cursor (`page[size]`, `page[after]`; `meta.has_more`, `meta.after_cursor`).
Search uses the export endpoint (`/search/export`), the one Zendesk search that pages by cursor
(`/search` pages by number and stops at 1,000 results); it searches one type of record at a
time. A ticket is created with an `Idempotency-Key`, so a retried creation makes one ticket.
Every answer says the account's budget for the minute (`X-Rate-Limit`, `X-Rate-Limit-Remaining`);
list answers also say when it comes back (`ratelimit-reset`, in seconds).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from interlink.providers.kit.action import CheckResult, Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.pagination import BodyCursor, Pagination
from interlink.providers.kit.types import IntegrationType, with_fields
from interlink.providers.kit.verifiers import WebhookVerifier
from interlink.providers.zendesk.verifier import ZendeskVerifier
from interlink.transport.headers import RateLimitHeaders

Status = Literal["new", "open", "pending", "hold", "solved", "closed"]
Priority = Literal["urgent", "high", "normal", "low"]
TicketType = Literal["problem", "incident", "question", "task"]
_ID = Field(ge=1, description="Zendesk's numeric id")
_NEXT = "Pass as `cursor` to read on; null after the last page"


class Ticket(BaseModel):
    id: int
    url: str | None = None
    subject: str | None = None
    description: str | None = Field(None, description="The text of the ticket's first comment")
    status: str | None = None
    priority: str | None = None
    type: str | None = None
    requester_id: int | None = None
    assignee_id: int | None = None
    tags: list[str] = Field(default_factory=list)
    created_at: str | None = None
    updated_at: str | None = None


class ListTicketsInput(BaseModel):
    page_size: int = Field(100, ge=1, le=100, description="Tickets asked per page (max 100)")
    cursor: str | None = Field(None, description="Continue from a previous result's next_cursor")
    limit: int = Field(100, ge=1, le=1000, description="Stop after this many tickets")


class TicketPage(BaseModel):
    tickets: list[Ticket]
    next_cursor: str | None = Field(None, description=_NEXT)


class GetTicketInput(BaseModel):
    ticket_id: int = _ID


class CreateTicketInput(BaseModel):
    subject: str = Field(min_length=1, max_length=255)
    body: str = Field(min_length=1, description="The first comment: the ticket's description")
    priority: Priority | None = None
    type: TicketType | None = None
    tags: list[str] = Field(default_factory=list)
    requester_email: str | None = Field(
        None, description="Who asks (a new end user is made for an unknown email); default: you"
    )
    requester_name: str | None = Field(None, description="The requester's name, for a new one")


class UpdateTicketInput(BaseModel):
    ticket_id: int = _ID
    status: Status | None = None
    priority: Priority | None = None
    comment: str | None = Field(None, min_length=1, description="A comment to add")
    public: bool = Field(True, description="Whether the comment is public or an internal note")


class SearchInput(BaseModel):
    query: str = Field(
        min_length=1, description='Zendesk search syntax, e.g. "status:open priority:urgent"'
    )
    type: Literal["ticket", "user", "organization", "group"] = Field(
        "ticket", description="The type of record searched"
    )
    page_size: int = Field(100, ge=1, le=1000, description="Results asked per page")
    cursor: str | None = Field(None, description="Continue from a previous result's next_cursor")
    limit: int = Field(100, ge=1, le=1000, description="Stop after this many results")


class SearchResult(BaseModel):
    id: int
    result_type: str
    url: str | None = None
    name: str | None = Field(None, description="A ticket's subject; the name of anything else")
    status: str | None = None
    email: str | None = None

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> SearchResult:
        return cls(
            id=raw["id"],
            result_type=str(raw.get("result_type") or "ticket"),
            url=raw.get("url"),
            name=raw.get("subject") if "subject" in raw else raw.get("name"),
            status=raw.get("status"),
            email=raw.get("email"),
        )


class SearchPage(BaseModel):
    results: list[SearchResult]
    next_cursor: str | None = Field(None, description=_NEXT)


class GetUserInput(BaseModel):
    user_id: int = _ID


class User(BaseModel):
    id: int
    url: str | None = None
    name: str
    email: str | None = None
    role: str | None = Field(None, description="end-user, agent or admin")
    active: bool | None = None
    suspended: bool | None = None
    organization_id: int | None = None
    time_zone: str | None = None
    created_at: str | None = None


def _ticket(response_body: Any) -> Ticket:
    return Ticket.model_validate(response_body["ticket"])


class ZendeskConnector(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "zendesk",
        "Zendesk",
        "Tickets, search and users on Zendesk Support",
        None,
        "basic",
        auth_methods=("basic", "oauth"),
        required_credentials=with_fields(basic=(("username", "email"), ("password",))),
        needs_api_url=True,
        api_url_template="https://{subdomain}.zendesk.com/api/v2",
        api_url_hint="configuration.subdomain (`acme` for https://acme.zendesk.com) sets it; "
        "without one, give api_url (a host-mapped domain: https://support.acme.com/api/v2). "
        "An API token is basic auth with username `you@example.com/token` and the token as "
        "password",
        docs_url="https://developer.zendesk.com/api-reference/ticketing/introduction/",
    )
    category = "customer support"
    configuration_fields = ("subdomain",)
    rate_headers: ClassVar[RateLimitHeaders | None] = RateLimitHeaders(
        limit="x-rate-limit",
        remaining="x-rate-limit-remaining",
        reset="ratelimit-reset",
        reset_kind="delta",
    )
    check_path = "/users/me"
    # An OAuth token's scopes: `read`/`write` for everything, or one resource's (`tickets:read`).
    required_scopes: ClassVar[Mapping[str, frozenset[str]]] = {
        "list_tickets": frozenset({"read", "tickets:read"}),
        "get_ticket": frozenset({"read", "tickets:read"}),
        "create_ticket": frozenset({"write", "tickets:write"}),
        "update_ticket": frozenset({"write", "tickets:write"}),
        "search": frozenset({"read"}),
        "get_user": frozenset({"read", "users:read"}),
    }
    pagination: ClassVar[Pagination | None] = BodyCursor(
        cursor="meta.after_cursor", param="page[after]", size="page[size]", has_more="meta.has_more"
    )
    webhook_verifier: ClassVar[WebhookVerifier | None] = ZendeskVerifier()

    @classmethod
    def who(cls, answer: Mapping[str, Any]) -> str:
        user = answer.get("user") or {}
        return f"Authenticated as {user.get('name', '?')} ({user.get('role', '?')})"

    async def check(self, ctx: ActionContext) -> CheckResult:
        """Who the credentials are (`/users/me`) and, for an OAuth token, its scopes
        (`/oauth/tokens/current`). An API token has none: it may do what its user may."""
        me = (await ctx.http.get(self.check_path or "/users/me")).json()
        scopes = None
        if ctx.configuration.get("auth_method") == "oauth":
            token = (await ctx.http.get("/oauth/tokens/current")).json().get("token") or {}
            scopes = [str(scope) for scope in token.get("scopes") or []]
        return CheckResult(message=self.who(me), scopes=scopes)

    @action()
    async def list_tickets(self, ctx: ActionContext, params: ListTicketsInput) -> TicketPage:
        """Lists the account's tickets, oldest first, following the cursor up to `limit`."""
        paged = await ctx.paginate(
            "/tickets", items="tickets", limit=params.limit,
            page_size=params.page_size, cursor=params.cursor,
        )  # fmt: skip
        return TicketPage(
            tickets=[Ticket.model_validate(raw) for raw in paged.items], next_cursor=paged.cursor
        )

    @action()
    async def get_ticket(self, ctx: ActionContext, params: GetTicketInput) -> Ticket:
        """Retrieves one ticket by its id."""
        return _ticket((await ctx.http.get(f"/tickets/{params.ticket_id}")).json())

    @action()
    async def create_ticket(self, ctx: ActionContext, params: CreateTicketInput) -> Ticket:
        """Creates a ticket; its body is the first comment. Sent with an idempotency key, so a
        retried creation makes one ticket."""
        ticket: dict[str, Any] = {"subject": params.subject, "comment": {"body": params.body}}
        ticket |= params.model_dump(include={"priority", "type"}, exclude_none=True)
        if params.tags:
            ticket["tags"] = params.tags
        if params.requester_email is not None:
            requester = {"email": params.requester_email, "name": params.requester_name}
            ticket["requester"] = {k: v for k, v in requester.items() if v is not None}
        response = await ctx.http.request(
            "POST", "/tickets", json={"ticket": ticket}, idempotency_key=ctx.idempotency_key
        )
        return _ticket(response.json())

    @action()
    async def update_ticket(self, ctx: ActionContext, params: UpdateTicketInput) -> Ticket:
        """Changes a ticket's status or priority and adds a public comment or an internal note."""
        ticket: dict[str, Any] = params.model_dump(
            include={"status", "priority"}, exclude_none=True
        )
        if params.comment is not None:
            ticket["comment"] = {"body": params.comment, "public": params.public}
        response = await ctx.http.request(
            "PUT", f"/tickets/{params.ticket_id}", json={"ticket": ticket}
        )
        return _ticket(response.json())

    @action()
    async def search(self, ctx: ActionContext, params: SearchInput) -> SearchPage:
        """Searches one type of record with Zendesk's search syntax (the export search), following
        the cursor up to `limit`. Results come in no particular order."""
        paged = await ctx.paginate(
            "/search/export", items="results", limit=params.limit,
            page_size=params.page_size, cursor=params.cursor,
            params={"query": params.query, "filter[type]": params.type},
        )  # fmt: skip
        return SearchPage(
            results=[SearchResult.of(raw) for raw in paged.items], next_cursor=paged.cursor
        )

    @action()
    async def get_user(self, ctx: ActionContext, params: GetUserInput) -> User:
        """Retrieves one user by id."""
        response = await ctx.http.get(f"/users/{params.user_id}")
        return User.model_validate(response.json()["user"])
