"""`salesforce`: SOQL queries, records and object descriptions on the Salesforce REST API.

The API lives under `/services/data/vNN.0/` on the org's instance URL (`api_url`; a token
answer's `instance_url` once the vault gets tokens by a grant), at the version the integration's
`api_version` names. Errors are JSON arrays of `{"message", "errorCode", "fields"}`, kept in the
error's `details` by the transport. `Sforce-Limit-Info: api-usage=N/M` counts the org's
requests in a rolling 24 hours: it names no reset time, so a spent allowance does not pause the
integration; the next call's `REQUEST_LIMIT_EXCEEDED` fails it as RATE_LIMIT_EXCEEDED.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar
from urllib.parse import quote

from pydantic import BaseModel, Field, StringConstraints, model_validator

from interlink.core.errors import (
    ExternalServiceError,
    InvalidIntegrationConfig,
    RateLimitExceeded,
)
from interlink.providers.kit.action import CheckResult, Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.pagination import Page, PageRequest, Pagination
from interlink.providers.kit.types import IntegrationType, OAuthFacts, with_fields
from interlink.transport.classify import Disposition, ErrorTable, Verdict
from interlink.transport.client import judge_by_status
from interlink.transport.headers import RateLimitHeaders, RateObservation
from interlink.transport.response import ProviderResponse

DEFAULT_VERSION = "v59.0"  # the version simple-salesforce and the published description use
_VERSION = re.compile(r"^v?(\d{2,3}\.\d)$")
_USAGE = re.compile(r"(?:^|[;,\s])api-usage=(\d+)/(\d+)")
_NAME = r"^[A-Za-z][A-Za-z0-9_]*$"  # an sObject or field API name: Account, Invoice__c
_ID = r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$"


def api_path(ctx: ActionContext, *segments: str) -> str:
    """`/services/data/vNN.0/...` at the integration's `api_version`, each segment quoted."""
    given = str(ctx.configuration.get("api_version") or DEFAULT_VERSION)
    found = _VERSION.match(given)
    if found is None:
        raise InvalidIntegrationConfig(f"api_version {given!r} is not one like v59.0 or 59.0")
    version = f"v{found.group(1)}"
    return "/".join([f"/services/data/{version}", *(quote(s, safe="") for s in segments)])


@dataclass(frozen=True)
class LimitInfo(RateLimitHeaders):
    """`Sforce-Limit-Info: api-usage=18/5000` (requests used of the org's 24-hour allowance,
    maybe followed by `per-app-api-usage=...`): limit and remaining, and no reset."""

    remaining: str = "sforce-limit-info"

    def observe(self, headers: dict[str, str], now: float) -> RateObservation | None:
        found = _USAGE.search(headers.get(self.remaining, ""))
        if found is None:
            return None
        used, total = int(found.group(1)), int(found.group(2))
        return RateObservation(limit=total, remaining=max(total - used, 0), reset_at=None)


@dataclass(frozen=True)
class NextRecordsUrl(Pagination):
    """A query's batches: `records`, and `nextRecordsUrl` (a path on the instance) until
    `done`. The batch size is Salesforce's (a header, not a parameter)."""

    items: str | None = "records"
    size: str | None = None

    def request(self, first: PageRequest, cursor: str | None, size: int | None) -> PageRequest:
        return first if cursor is None else PageRequest("GET", cursor)

    def cursor_fields(self, cursor: str) -> Mapping[str, Any]:
        return {}

    def read(self, sent: PageRequest, response: ProviderResponse) -> Page:
        body, items = self.page_items(response)
        following = body.get("nextRecordsUrl")
        done = body.get("done") is not False or not isinstance(following, str)
        return Page(items, None if done else following)


class Record(BaseModel):
    """A record: its type and id (from `attributes` and `Id`) and its fields as Salesforce
    gives them (a relationship's fields as a nested object)."""

    type: str | None = Field(None, description="The sObject type, e.g. Account")
    id: str | None = Field(None, description="The record's 18-character id")
    fields: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Record:
        fields = {k: v for k, v in raw.items() if k != "attributes"}
        attributes = raw.get("attributes") or {}
        return cls(type=attributes.get("type"), id=fields.get("Id"), fields=fields)


class QueryInput(BaseModel):
    soql: str | None = Field(
        None,
        min_length=1,
        description="The SOQL query, e.g. SELECT Id, Name FROM Account LIMIT 10 (not needed "
        "with next_records_url)",
    )
    limit: int = Field(
        2000,
        ge=1,
        le=50000,
        description="Stop after this many records. Salesforce answers in batches (2000 records "
        "by default) and `next_records_url` reads on after the last batch read: the rest of a "
        "batch that `limit` cuts is not returned (bound the query itself with SOQL's LIMIT)",
    )
    next_records_url: str | None = Field(
        None,
        pattern=r"^/services/data/",
        description="Continue from a previous result's next_records_url",
    )

    @model_validator(mode="after")
    def _a_query_or_where_to_read_on(self) -> QueryInput:
        if self.soql is None and self.next_records_url is None:
            raise ValueError("give soql, or next_records_url to read on")
        return self


class QueryResult(BaseModel):
    """The records read, in the query's order. Read on with `next_records_url` until it is null
    (a query locator lasts 15 minutes after its last use)."""

    records: list[Record]
    next_records_url: str | None = Field(
        None, description="Pass as `next_records_url` to read on; null after the last batch"
    )


class RecordRef(BaseModel):
    sobject: str = Field(pattern=_NAME, description="The sObject type, e.g. Account")
    record_id: str = Field(pattern=_ID, description="The record's 15- or 18-character id")


class GetRecordInput(RecordRef):
    fields: list[Annotated[str, StringConstraints(pattern=_NAME)]] | None = Field(
        None, description="The fields to read (all readable fields when omitted)"
    )


class CreateRecordInput(BaseModel):
    sobject: str = Field(pattern=_NAME, description="The sObject type, e.g. Account")
    fields: dict[str, Any] = Field(description="Field values by API name, e.g. {'Name': 'Acme'}")


class Created(BaseModel):
    id: str
    success: bool


class UpdateRecordInput(RecordRef):
    fields: dict[str, Any] = Field(description="The field values to set, by API name")


class Updated(BaseModel):
    id: str
    updated: bool


class Deleted(BaseModel):
    id: str
    deleted: bool


class DescribeObjectInput(BaseModel):
    sobject: str = Field(pattern=_NAME, description="The sObject type, e.g. Account")


class FieldInfo(BaseModel):
    name: str
    label: str
    type: str = Field(description="string, reference, picklist, boolean, datetime...")
    length: int | None = None
    nillable: bool = False
    createable: bool = False
    updateable: bool = False
    reference_to: list[str] = Field(default_factory=list)
    picklist_values: list[str] = Field(default_factory=list, description="The active values")

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> FieldInfo:
        picklist = raw.get("picklistValues") or []
        return cls(
            **{k: raw[k] for k in ("name", "label", "type", "length", "nillable") if k in raw},
            createable=bool(raw.get("createable")),
            updateable=bool(raw.get("updateable")),
            reference_to=list(raw.get("referenceTo") or []),
            picklist_values=[p["value"] for p in picklist if p.get("active", True)],
        )


class ObjectDescription(BaseModel):
    name: str
    label: str
    label_plural: str | None = None
    key_prefix: str | None = Field(None, description="The first three characters of its ids")
    custom: bool = False
    createable: bool = False
    updateable: bool = False
    deletable: bool = False
    queryable: bool = False
    fields: list[FieldInfo]

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> ObjectDescription:
        flags = ("custom", "createable", "updateable", "deletable", "queryable")
        return cls(
            name=raw["name"],
            label=raw["label"],
            label_plural=raw.get("labelPlural"),
            key_prefix=raw.get("keyPrefix"),
            **{flag: bool(raw.get(flag)) for flag in flags},
            fields=[FieldInfo.of(field) for field in raw.get("fields") or []],
        )


def _error_codes(response: ProviderResponse) -> list[str]:
    try:
        body = response.json()
    except ExternalServiceError:  # not JSON: it names no code
        return []
    items = body if isinstance(body, list) else []
    return [str(e.get("errorCode")) for e in items if isinstance(e, dict)]


class SalesforceConnector(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "salesforce",
        "Salesforce",
        "Salesforce CRM",
        None,
        "oauth",
        auth_methods=("oauth", "jwt"),
        required_credentials=with_fields(
            oauth=(("access_token", "refresh_token"),), jwt=(("jwt_token", "private_key"),)
        ),
        needs_api_url=True,
        api_url_hint="your org's instance URL, e.g. https://acme.my.salesforce.com (a token "
        "answer's instance_url replaces it)",
        oauth=OAuthFacts(
            "https://login.salesforce.com/services/oauth2/authorize",
            "https://login.salesforce.com/services/oauth2/token",
            ("api", "refresh_token"),
            api_hosts=("*.salesforce.com",),
        ),
        docs_url="https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/",
    )
    category = "crm"
    rate_headers: ClassVar[RateLimitHeaders | None] = LimitInfo()
    pagination: ClassVar[Pagination | None] = NextRecordsUrl()
    configuration_fields: ClassVar[tuple[str, ...]] = ("api_version",)

    @classmethod
    def judge(cls, response: ProviderResponse, table: ErrorTable) -> Verdict:
        """403 `REQUEST_LIMIT_EXCEEDED`: the org's concurrent long requests are waited out and
        retried; its 24-hour allowance spent (`TotalRequests`) fails at once."""
        if response.status == 403 and "REQUEST_LIMIT_EXCEEDED" in _error_codes(response):
            if "TotalRequests" in (response.provider_message() or ""):
                return Verdict(Disposition.FAIL, RateLimitExceeded)
            return Verdict(Disposition.RATE_LIMITED)
        return judge_by_status(response, table)

    async def check(self, ctx: ActionContext) -> CheckResult:
        """The org's limits (`/limits`): what is left of its daily API requests."""
        daily = (await ctx.http.get(api_path(ctx, "limits"))).json().get("DailyApiRequests")
        if not isinstance(daily, dict):
            return CheckResult(message="Authenticated")
        left = f"{daily.get('Remaining')} of {daily.get('Max')}"
        return CheckResult(message=f"Authenticated; {left} daily API requests left")

    @action()
    async def query(self, ctx: ActionContext, params: QueryInput) -> QueryResult:
        """Runs a SOQL query, following `nextRecordsUrl` batch after batch up to `limit`
        records; `next_records_url` reads on where a previous result stopped."""
        paged = await ctx.paginate(
            api_path(ctx, "query"), params={"q": params.soql or ""}, limit=params.limit,
            cursor=params.next_records_url,
        )  # fmt: skip
        records = [Record.of(raw) for raw in paged.items]
        return QueryResult(records=records, next_records_url=paged.cursor)

    @action()
    async def get_record(self, ctx: ActionContext, params: GetRecordInput) -> Record:
        """Reads one record by its type and id, all its fields or those named."""
        query = {"fields": ",".join(params.fields)} if params.fields else None
        path = api_path(ctx, "sobjects", params.sobject, params.record_id)
        return Record.of((await ctx.http.get(path, params=query)).json())

    @action()
    async def create_record(self, ctx: ActionContext, params: CreateRecordInput) -> Created:
        """Creates a record of a type; answers its new id."""
        path = api_path(ctx, "sobjects", params.sobject)
        return Created.model_validate((await ctx.http.post(path, json=params.fields)).json())

    @action(idempotent=True)  # it sets the same values again
    async def update_record(self, ctx: ActionContext, params: UpdateRecordInput) -> Updated:
        """Sets some fields of a record."""
        path = api_path(ctx, "sobjects", params.sobject, params.record_id)
        await ctx.http.patch(path, json=params.fields)
        return Updated(id=params.record_id, updated=True)

    @action()
    async def delete_record(self, ctx: ActionContext, params: RecordRef) -> Deleted:
        """Deletes a record (to the org's Recycle Bin)."""
        path = api_path(ctx, "sobjects", params.sobject, params.record_id)
        await ctx.http.request("DELETE", path)
        return Deleted(id=params.record_id, deleted=True)

    @action()
    async def describe_object(
        self, ctx: ActionContext, params: DescribeObjectInput
    ) -> ObjectDescription:
        """Describes a type of record: its label, what may be done with it, and its fields."""
        path = api_path(ctx, "sobjects", params.sobject, "describe")
        return ObjectDescription.of((await ctx.http.get(path)).json())
