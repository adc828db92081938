"""`hubspot`: contacts, companies, deals and their associations on HubSpot's CRM API (v3).

Records live under `/crm/v3/objects/{contacts|companies|deals}`, their fields as `properties`
(strings). Lists and searches page with `after` (`paging.next.after`). Associations use v4's
`PUT .../associations/default/...`: HubSpot documents v4 as the current associations API, and
the default (unlabeled) association needs no association type id from the caller.

Auth: a private app's access token (`api_key`), or an OAuth 2.0 access token refreshed at
`/oauth/v1/token`. HubSpot counts a rolling ten-second window (`X-HubSpot-RateLimit-Max`,
`-Remaining`, `-Interval-Milliseconds`) and, for private apps, a daily one (`-Daily`,
`-Daily-Remaining`); it sends no reset time, so a spent window is waited out for its interval,
and a spent day fails at once (it resets at midnight in the account's time zone).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal
from urllib.parse import quote

from pydantic import BaseModel, Field

from interlink.core.errors import InterlinkError, RateLimitExceeded
from interlink.providers.hubspot.verifier import HubSpotVerifier
from interlink.providers.kit.action import CheckResult, Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.pagination import BodyCursor, Pagination
from interlink.providers.kit.types import IntegrationType, OAuthFacts
from interlink.providers.kit.verifiers import WebhookVerifier, body_field, parse_json
from interlink.transport.classify import Disposition, ErrorTable, Verdict
from interlink.transport.client import judge_by_status
from interlink.transport.headers import RateLimitHeaders
from interlink.transport.response import ProviderResponse

OBJECTS = "/crm/v3/objects"
ObjectType = Literal["contacts", "companies", "deals"]
Properties = dict[str, str]
_ID = r"^[0-9]{1,20}$"
_INTERVAL = "x-hubspot-ratelimit-interval-milliseconds"
_ACCOUNT = "/account-info/v3/details"
SCOPES = ("oauth", "crm.objects.contacts.read", "crm.objects.contacts.write",
          "crm.objects.companies.write", "crm.objects.deals.write")  # fmt: skip


def _record_path(kind: str, record_id: str) -> str:
    return f"{OBJECTS}/{kind}/{quote(record_id, safe='')}"


def _given(properties: Mapping[str, str | None], extra: Properties) -> Properties:
    """The named properties that were given, then the others (which win)."""
    return {**{k: v for k, v in properties.items() if v is not None}, **extra}


class CrmRecord(BaseModel):
    """A contact, company or deal as HubSpot shows it: its properties are strings (dates as
    ISO 8601, numbers as text), and only the ones asked for (or HubSpot's defaults)."""

    id: str
    properties: dict[str, str | None] = Field(default_factory=dict)
    created_at: str | None = None
    updated_at: str | None = None
    archived: bool = False

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> CrmRecord:
        return cls(
            id=str(raw["id"]),
            properties=dict(raw.get("properties") or {}),
            created_at=raw.get("createdAt"),
            updated_at=raw.get("updatedAt"),
            archived=bool(raw.get("archived", False)),
        )


class RecordPage(BaseModel):
    results: list[CrmRecord]
    after: str | None = Field(None, description="Pass as `after` to read on; null at the end")


class ContactFields(BaseModel):
    email: str | None = Field(None, description="The contact's email (unique per account)")
    firstname: str | None = None
    lastname: str | None = None
    phone: str | None = None
    company: str | None = Field(None, description="The company name, as text")
    properties: Properties = Field(
        default_factory=dict, description="Any other properties, by internal name"
    )


class CreateContactInput(ContactFields):
    pass


class GetContactInput(BaseModel):
    contact_id: str = Field(min_length=1, description="The contact's id, or its `email`")
    id_property: Literal["email"] | None = Field(
        None, description="`email` when contact_id is an email address"
    )
    properties: list[str] = Field(default_factory=list, description="Properties to bring back")


class UpdateContactInput(ContactFields):
    contact_id: str = Field(pattern=_ID, description="The contact's id")


class SearchFilter(BaseModel):
    property_name: str = Field(min_length=1, description="e.g. email, lifecyclestage")
    operator: Literal[
        "EQ", "NEQ", "LT", "LTE", "GT", "GTE", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN",
        "HAS_PROPERTY", "NOT_HAS_PROPERTY",
    ] = "EQ"  # fmt: skip
    value: str | None = Field(None, description="Not given for HAS_PROPERTY / NOT_HAS_PROPERTY")


class SearchContactsInput(BaseModel):
    filters: list[SearchFilter] = Field(
        default_factory=list, max_length=6, description="All must match (one filter group)"
    )
    query: str | None = Field(None, description="Free text searched in the default fields")
    properties: list[str] = Field(default_factory=list, description="Properties to bring back")
    page_size: int = Field(100, ge=1, le=200, description="Contacts asked per page (max 200)")
    after: str | None = Field(None, description="Continue from a previous result's `after`")
    limit: int = Field(100, ge=1, le=10000, description="Stop after this many contacts")


class ListContactsInput(BaseModel):
    properties: list[str] = Field(default_factory=list, description="Properties to bring back")
    page_size: int = Field(100, ge=1, le=100, description="Contacts asked per page (max 100)")
    after: str | None = Field(None, description="Continue from a previous result's `after`")
    limit: int = Field(100, ge=1, le=10000, description="Stop after this many contacts")


class CreateCompanyInput(BaseModel):
    name: str | None = Field(None, description="The company's name")
    domain: str | None = Field(None, description="Its website domain, e.g. example.com")
    properties: Properties = Field(default_factory=dict, description="Any other properties")


class CreateDealInput(BaseModel):
    dealname: str = Field(min_length=1)
    amount: str | None = Field(None, description="A number, as text (e.g. 1500.00)")
    pipeline: str | None = Field(None, description="Pipeline id (`default` by default)")
    dealstage: str | None = Field(None, description="Stage id, e.g. appointmentscheduled")
    closedate: str | None = Field(None, description="ISO 8601 date and time")
    properties: Properties = Field(default_factory=dict, description="Any other properties")


class AssociateInput(BaseModel):
    from_object_type: ObjectType
    from_id: str = Field(pattern=_ID)
    to_object_type: ObjectType
    to_id: str = Field(pattern=_ID)


class Association(BaseModel):
    from_id: str
    to_id: str
    association_type_id: int = Field(description="HubSpot's id of the default association type")
    category: str = Field(description="HUBSPOT_DEFINED for a default association")


class Associated(BaseModel):
    """The associations made: the one asked for, and HubSpot's reverse of it."""

    associations: list[Association]


class HubSpotConnector(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "hubspot",
        "HubSpot",
        "Contacts, companies and deals on HubSpot CRM",
        "https://api.hubapi.com",
        "oauth",
        auth_methods=("oauth", "api_key"),
        oauth=OAuthFacts(
            "https://app.hubspot.com/oauth/authorize",
            "https://api.hubapi.com/oauth/v1/token",
            SCOPES,
        ),
        docs_url="https://developers.hubspot.com/docs/api-reference/crm-contacts-v3/guide",
    )
    category = "crm"
    rate_headers: ClassVar[RateLimitHeaders | None] = RateLimitHeaders(
        limit="x-hubspot-ratelimit-max",
        remaining="x-hubspot-ratelimit-remaining",
        reset=_INTERVAL,
        reset_kind="delta_ms",
        also=RateLimitHeaders(
            limit="x-hubspot-ratelimit-daily",
            remaining="x-hubspot-ratelimit-daily-remaining",
            reset="",  # HubSpot says no time: its day ends at midnight in the account's zone
        ),
    )
    pagination: ClassVar[Pagination | None] = BodyCursor(
        items="results", cursor="paging.next.after", param="after", size="limit"
    )
    check_path = _ACCOUNT
    required_scopes: ClassVar[Mapping[str, frozenset[str]]] = {
        "create_contact": frozenset({"crm.objects.contacts.write"}),
        "get_contact": frozenset({"crm.objects.contacts.read"}),
        "update_contact": frozenset({"crm.objects.contacts.write"}),
        "search_contacts": frozenset({"crm.objects.contacts.read"}),
        "list_contacts": frozenset({"crm.objects.contacts.read"}),
        "create_company": frozenset({"crm.objects.companies.write"}),
        "create_deal": frozenset({"crm.objects.deals.write"}),
    }
    webhook_verifier: ClassVar[WebhookVerifier | None] = HubSpotVerifier()

    @classmethod
    def judge(cls, response: ProviderResponse, table: ErrorTable) -> Verdict:
        """A 429 of the ten-second window is waited out for its interval; one of the daily
        limit (`policyName: DAILY`) fails at once: the day ends hours away."""
        if response.status != 429:
            return judge_by_status(response, table)
        if body_field(parse_json(response.body), "policyName") == "DAILY":
            return Verdict(Disposition.FAIL, RateLimitExceeded)
        interval = response.headers.get(_INTERVAL, "")
        wait = int(interval) / 1000 if interval.isdigit() else None
        return Verdict(Disposition.RATE_LIMITED, retry_after=wait)

    async def check(self, ctx: ActionContext) -> CheckResult:
        """The account the token opens (`/account-info/v3/details`), and the scopes the token
        holds (None when HubSpot does not say): a private app's from
        `/oauth/v2/private-apps/get/access-token-info`, an OAuth token's from
        `/oauth/v1/access-tokens/{token}`."""
        account = (await ctx.http.get(_ACCOUNT)).json()
        return CheckResult(
            message=f"Authenticated to HubSpot account {body_field(account, 'portalId') or '?'}",
            scopes=await _scopes(ctx),
        )

    # -- contacts ---------------------------------------------------------------------------------
    @action()
    async def create_contact(self, ctx: ActionContext, params: CreateContactInput) -> CrmRecord:
        """Creates a contact. An email already used by another contact is refused (409)."""
        return await _create(ctx, "contacts", _contact_properties(params))

    @action()
    async def get_contact(self, ctx: ActionContext, params: GetContactInput) -> CrmRecord:
        """Reads one contact by id, or by email with `id_property: email`."""
        query: dict[str, str] = {}
        if params.properties:
            query["properties"] = ",".join(params.properties)
        if params.id_property:
            query["idProperty"] = params.id_property
        response = await ctx.http.get(_record_path("contacts", params.contact_id), params=query)
        return CrmRecord.of(response.json())

    @action(idempotent=True)  # it sets the same values again
    async def update_contact(self, ctx: ActionContext, params: UpdateContactInput) -> CrmRecord:
        """Changes some properties of a contact; the others are kept."""
        response = await ctx.http.patch(
            _record_path("contacts", params.contact_id),
            json={"properties": _contact_properties(params)},
        )
        return CrmRecord.of(response.json())

    @action(idempotent=True)  # a read, though sent as a POST
    async def search_contacts(self, ctx: ActionContext, params: SearchContactsInput) -> RecordPage:
        """Searches contacts by filters (all must match) and free text, following `after` up
        to `limit`. HubSpot's search reads at most 10,000 matches of one query."""
        body: dict[str, Any] = {"filterGroups": _filter_groups(params.filters)}
        if params.query:
            body["query"] = params.query
        if params.properties:
            body["properties"] = params.properties
        paged = await ctx.paginate(
            f"{OBJECTS}/contacts/search", json=body, limit=params.limit,
            page_size=params.page_size, cursor=params.after,
        )  # fmt: skip
        records = [CrmRecord.of(raw) for raw in paged.items]
        return RecordPage(results=records, after=paged.cursor)

    @action()
    async def list_contacts(self, ctx: ActionContext, params: ListContactsInput) -> RecordPage:
        """Lists contacts, oldest first, following `after` up to `limit`."""
        query = {"properties": ",".join(params.properties)} if params.properties else {}
        paged = await ctx.paginate(
            f"{OBJECTS}/contacts", params=query, limit=params.limit,
            page_size=params.page_size, cursor=params.after,
        )  # fmt: skip
        records = [CrmRecord.of(raw) for raw in paged.items]
        return RecordPage(results=records, after=paged.cursor)

    # -- companies, deals, associations -----------------------------------------------------------
    @action()
    async def create_company(self, ctx: ActionContext, params: CreateCompanyInput) -> CrmRecord:
        """Creates a company."""
        named = {"name": params.name, "domain": params.domain}
        return await _create(ctx, "companies", _given(named, params.properties))

    @action()
    async def create_deal(self, ctx: ActionContext, params: CreateDealInput) -> CrmRecord:
        """Creates a deal (in the default pipeline unless `pipeline` says another)."""
        named = params.model_dump(include={"dealname", "amount", "pipeline", "dealstage",
                                           "closedate"})  # fmt: skip
        return await _create(ctx, "deals", _given(named, params.properties))

    @action()
    async def associate(self, ctx: ActionContext, params: AssociateInput) -> Associated:
        """Associates two records with HubSpot's default association type (v4)."""
        path = (
            f"/crm/v4/objects/{params.from_object_type}/{params.from_id}/associations/default/"
            f"{params.to_object_type}/{params.to_id}"
        )
        results = (await ctx.http.request("PUT", path)).json().get("results") or []
        return Associated(associations=[_association(raw) for raw in results])


async def _scopes(ctx: ActionContext) -> list[str] | None:
    token = ctx.http.auth.get("Authorization", "").partition(" ")[2]
    try:
        if ctx.configuration.get("auth_method") == "api_key":
            path = "/oauth/v2/private-apps/get/access-token-info"
            info = (await ctx.http.post(path, json={"tokenKey": token})).json()
        else:
            info = (await ctx.http.get(f"/oauth/v1/access-tokens/{quote(token, safe='')}")).json()
    except InterlinkError:  # the token works (the account answered); its metadata is extra
        return None
    scopes = body_field(info, "scopes")
    return [str(scope) for scope in scopes] if isinstance(scopes, list) else None


async def _create(ctx: ActionContext, kind: str, properties: Properties) -> CrmRecord:
    response = await ctx.http.post(f"{OBJECTS}/{kind}", json={"properties": properties})
    return CrmRecord.of(response.json())


def _contact_properties(params: ContactFields) -> Properties:
    named = params.model_dump(include={"email", "firstname", "lastname", "phone", "company"})
    return _given(named, params.properties)


def _filter_groups(filters: list[SearchFilter]) -> list[dict[str, Any]]:
    if not filters:
        return []
    return [{"filters": [
        {"propertyName": f.property_name, "operator": f.operator}
        | ({"value": f.value} if f.value is not None else {})
        for f in filters
    ]}]  # fmt: skip


def _association(raw: Mapping[str, Any]) -> Association:
    spec = raw.get("associationSpec") or {}
    return Association(
        from_id=str((raw.get("from") or {}).get("id")),
        to_id=str((raw.get("to") or {}).get("id")),
        association_type_id=int(spec.get("associationTypeId", 0)),
        category=str(spec.get("associationCategory", "")),
    )
