"""A mock of HubSpot's CRM API: contacts, companies and deals (v3 objects and contacts search),
default associations (v4), the account's details, OAuth tokens, and HubSpot's rate limits."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import ClassVar

from aiohttp import web
from aiohttp.typedefs import Handler

from interlink.core.clock import Clock
from interlink.providers.hubspot.mock_search import matches, search_args
from interlink.providers.hubspot.mock_shapes import (
    ASSOCIATION_TYPES,
    KNOWN,
    PORTAL_ID,
    SCOPES,
    HubSpotError,
    Obj,
    Record,
    account_json,
    association_json,
    hubspot_time,
    invalid_properties,
    missing_scopes,
    object_missing,
    unauthenticated,
)
from interlink.testing.base import MockUpstream, json_response, read_json
from interlink.testing.toolkit import RateBudget, RateHeaders, TokenGate

OBJECTS = "/crm/v3/objects/{kind:contacts|companies|deals}"
INTERVAL_MS = 10_000
_SEED_START = datetime(2024, 1, 1, tzinfo=UTC)
_OPEN = ("/oauth/v1/token", "/oauth/v1/access-tokens/", "/oauth/v2/private-apps/")
INTERVAL_HEADERS = RateHeaders(
    limit="X-HubSpot-RateLimit-Max", remaining="X-HubSpot-RateLimit-Remaining", resets={},
    fixed={"X-HubSpot-RateLimit-Interval-Milliseconds": str(INTERVAL_MS)},
)  # fmt: skip
DAILY_HEADERS = RateHeaders(
    limit="X-HubSpot-RateLimit-Daily", remaining="X-HubSpot-RateLimit-Daily-Remaining", resets={}
)


class HubSpotMock(MockUpstream):
    """HubSpot with `contacts` seeded contacts (ids 1..n, `contact{n}@example.com`), two
    companies (ids 1001, 1002) and one deal (2001).

    Bearer tokens: the OAuth access token (`token`, and those `/oauth/v1/token` hands out for
    `refresh_token` with `client_id`/`client_secret`) and a private app's (`private_app_token`).
    Objects: create (an email already used is 409 CONFLICT, an unknown property 400
    VALIDATION_ERROR), read by id or `idProperty=email`, PATCH, and lists of `limit` (max 100)
    from `after`; contacts search (`filterGroups`, `query`, `properties`, `limit` up to 200,
    `after` an offset) answers `total`. `PUT /crm/v4/.../associations/default/...` associates
    both ways with HubSpot's default type ids.

    Rate limits on the injected clock: `rate_limit` requests per ten seconds per token with
    `X-HubSpot-RateLimit-Max`, `-Remaining` and `-Interval-Milliseconds`; for the private app
    token also `daily_limit` per UTC day with `-Daily` and `-Daily-Remaining` (HubSpot sends
    none of these for OAuth). A spent window is 429 `policyName: TEN_SECONDLY_ROLLING` (the
    interval header then says how long the mock's window still runs), a spent day `DAILY`.
    """

    name: ClassVar[str] = "hubspot"
    default_token: ClassVar[str] = "mock-oauth-access-token"  # noqa: S105
    client_id = "mock-client-id"
    client_secret = "mock-client-secret"  # noqa: S105
    refresh_token = "mock-refresh-token"  # noqa: S105

    def __init__(
        self,
        *,
        token: str | None = None,
        clock: Clock | None = None,
        private_app_token: str = "pat-na1-mock-private-app",  # noqa: S107
        contacts: int = 120,
        rate_limit: int | None = 100,
        daily_limit: int | None = 250_000,
    ) -> None:
        self.private_app_token = private_app_token
        self.seed_contacts = contacts
        self.rate_limit = rate_limit
        self.daily_limit = daily_limit
        super().__init__(token=token, clock=clock)

    @property
    def credentials(self) -> dict[str, str]:
        return {"token": self.token, "private_app_token": self.private_app_token,
                "refresh_token": self.refresh_token, "client_id": self.client_id,
                "client_secret": self.client_secret}  # fmt: skip

    def integration_credentials(self, auth_method: str, token: str | None = None) -> dict[str, str]:
        """OAuth: the access token; `api_key`: the private app's token."""
        if auth_method == "api_key":
            return {"api_key": token if token is not None else self.private_app_token}
        return {"access_token": token if token is not None else self.token}

    def reset_state(self) -> None:
        self.records: dict[str, dict[str, Record]] = {kind: {} for kind in KNOWN}
        for n in range(1, self.seed_contacts + 1):
            self._seed("contacts", str(n), {"email": f"contact{n}@example.com",
                       "firstname": f"First{n}", "lastname": f"Last{n}"}, n)  # fmt: skip
        self._seed("companies", "1001", {"name": "Acme", "domain": "acme.example"}, 1)
        self._seed("companies", "1002", {"name": "Globex", "domain": "globex.example"}, 2)
        self._seed("deals", "2001", {"dealname": "Acme renewal", "amount": "1500",
                   "pipeline": "default", "dealstage": "appointmentscheduled"}, 3)  # fmt: skip
        self.ids = itertools.count(5001)
        self.access_tokens = {self.token}
        self.issued = itertools.count(1)
        self.interval = RateBudget(
            lambda: self.rate_limit, INTERVAL_MS / 1000, clock=self.clock,
            exhausted=self.rate_limited_response, headers=INTERVAL_HEADERS,
        )  # fmt: skip
        self.daily = RateBudget(
            lambda: self.daily_limit, 86400, clock=self.clock, align_to=86400,
            exhausted=self._day_spent, headers=DAILY_HEADERS,
        )  # fmt: skip

    def _seed(self, kind: str, record_id: str, properties: dict[str, str], n: int) -> None:
        at = _SEED_START + timedelta(hours=n)
        self.records[kind][record_id] = Record(record_id, kind, properties, at, at)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get(OBJECTS, self.list_records)
        router.add_post(OBJECTS, self.create)
        router.add_post("/crm/v3/objects/contacts/search", self.search)
        router.add_get(f"{OBJECTS}/{{id}}", self.get_record)
        router.add_patch(f"{OBJECTS}/{{id}}", self.update)
        router.add_put(
            "/crm/v4/objects/{from}/{from_id}/associations/default/{to}/{to_id}", self.associate
        )
        router.add_get("/account-info/v3/details", self.account)
        router.add_post("/oauth/v1/token", self.issue_token)
        router.add_get("/oauth/v1/access-tokens/{token}", self.token_info)
        router.add_post("/oauth/v2/private-apps/get/access-token-info", self.private_app_info)

    # -- the gate ---------------------------------------------------------------------------------
    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        answer = partial(self._answer, request, handler)
        if request.path.startswith(_OPEN):  # authenticated by what they carry
            return await answer()
        token = TokenGate([*self.access_tokens, self.private_app_token], self._refused)
        refusal = token.refusal(request)
        if refusal is not None:
            return refusal
        presented = token.presented(request) or ""
        if presented == self.private_app_token:
            answer = partial(self.daily.meter, presented, answer)
        return await self.interval.meter(presented, answer)

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except HubSpotError as error:
            return json_response(error.body, status=error.status)

    @staticmethod
    def _refused(request: web.Request, token: str) -> web.StreamResponse:
        error = unauthenticated()
        return json_response(error.body, status=error.status)

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        """The ten-second window's 429; its interval header says how long it still runs."""
        waited = {"X-HubSpot-RateLimit-Interval-Milliseconds": str(round(retry_after * 1000)),
                  "X-HubSpot-RateLimit-Remaining": "0"}  # fmt: skip
        return self._limited("ten_secondly_rolling", "TEN_SECONDLY_ROLLING", waited)

    def _day_spent(self, retry_after: float) -> web.StreamResponse:
        return self._limited("daily", "DAILY", {})

    @staticmethod
    def _limited(window: str, policy: str, headers: dict[str, str]) -> web.StreamResponse:
        error = HubSpotError(429, "RATE_LIMITS", f"You have reached your {window} limit.",
                             errorType="RATE_LIMIT", policyName=policy)  # fmt: skip
        return json_response(error.body, status=429, headers=headers)

    def server_error_response(self, status: int) -> web.StreamResponse:
        error = HubSpotError(status, "INTERNAL_ERROR", "internal error")
        return json_response(error.body, status=status)

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        error = HubSpotError(404, "OBJECT_NOT_FOUND", "resource not found")
        return json_response(error.body, status=404)

    def missing_response(self, request: web.Request) -> web.StreamResponse:
        error = object_missing(request.path.rsplit("/", 1)[-1])
        return json_response(error.body, status=404)

    def forbidden_response(self, request: web.Request) -> web.StreamResponse:
        error = missing_scopes("crm.objects.contacts.read")
        return json_response(error.body, status=403)

    # -- objects ----------------------------------------------------------------------------------
    def _record(self, kind: str, record_id: str, by: str | None = None) -> Record:
        found = self._by_email(record_id) if by == "email" else self.records[kind].get(record_id)
        if found is None:
            raise object_missing(record_id)
        return found

    def _by_email(self, email: str) -> Record | None:
        """HubSpot compares contacts' emails without case."""
        contacts = self.records["contacts"].values()
        return next(
            (r for r in contacts if r.properties.get("email", "").lower() == email.lower()), None
        )

    async def _properties(self, request: web.Request, kind: str) -> dict[str, str]:
        try:
            body = await read_json(request)
        except ValueError:
            raise HubSpotError(400, "VALIDATION_ERROR", "Invalid input JSON") from None
        given = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(given, dict):
            raise HubSpotError(400, "VALIDATION_ERROR", "properties is required")
        unknown = set(given) - KNOWN[kind]
        if unknown:
            raise invalid_properties(kind, unknown)
        email = given.get("email")
        if kind == "contacts" and email:
            clash = self._by_email(str(email))
            if clash is not None and clash.id != request.match_info.get("id"):
                raise HubSpotError(409, "CONFLICT",
                                   f"Contact already exists. Existing ID: {clash.id}")  # fmt: skip
        return {str(k): str(v) for k, v in given.items() if v is not None}

    async def create(self, request: web.Request) -> web.StreamResponse:
        kind = request.match_info["kind"]
        properties = await self._properties(request, kind)
        record_id, now = str(next(self.ids)), self.now()
        record = Record(record_id, kind, properties, now, now)
        self.records[kind][record_id] = record
        return json_response(record.json(properties), status=201)

    async def get_record(self, request: web.Request) -> web.StreamResponse:
        kind = request.match_info["kind"]
        record = self._record(kind, request.match_info["id"], request.query.get("idProperty"))
        return json_response(record.json(_listed(request.query.get("properties"))))

    async def update(self, request: web.Request) -> web.StreamResponse:
        kind = request.match_info["kind"]
        record = self._record(kind, request.match_info["id"])
        changed = await self._properties(request, kind)
        record.properties.update(changed)
        record.updated = self.now()
        return json_response(record.json(changed))

    async def list_records(self, request: web.Request) -> web.StreamResponse:
        kind = request.match_info["kind"]
        limit = _number(request.query.get("limit"), 10, 100, "limit")
        after = _number(request.query.get("after"), 0, None, "after")
        ordered = sorted(self.records[kind].values(), key=lambda r: int(r.id))
        rest = [r for r in ordered if int(r.id) >= after]
        wanted = _listed(request.query.get("properties"))
        body: Obj = {"results": [r.json(wanted) for r in rest[:limit]]}
        if len(rest) > limit:
            cursor = rest[limit].id
            link = request.url.with_query({**request.query, "after": cursor})
            body["paging"] = {"next": {"after": cursor, "link": str(link)}}
        return json_response(body)

    async def search(self, request: web.Request) -> web.StreamResponse:
        args = await search_args(request)
        found = [r for r in self.records["contacts"].values() if matches(r, args)]
        page = found[args.after : args.after + args.limit]
        body: Obj = {"total": len(found), "results": [r.json(args.properties) for r in page]}
        if args.after + args.limit < len(found):
            body["paging"] = {"next": {"after": str(args.after + args.limit)}}
        return json_response(body)

    async def associate(self, request: web.Request) -> web.StreamResponse:
        info = request.match_info
        if (info["from"], info["to"]) not in ASSOCIATION_TYPES:
            message = f"No default association from {info['from']} to {info['to']}"
            raise HubSpotError(400, "VALIDATION_ERROR", message)
        source = self._record(info["from"], info["from_id"])
        target = self._record(info["to"], info["to_id"])
        source.associations.add((target.kind, target.id))
        target.associations.add((source.kind, source.id))
        now = hubspot_time(self.now())
        results = [association_json(source, target), association_json(target, source)]
        return json_response({"status": "COMPLETE", "results": results,
                              "startedAt": now, "completedAt": now})  # fmt: skip

    # -- the account and its tokens ---------------------------------------------------------------
    async def account(self, request: web.Request) -> web.StreamResponse:
        return json_response(account_json())

    async def issue_token(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        client = (form.get("client_id"), form.get("client_secret"))
        if client != (self.client_id, self.client_secret):
            return _oauth_error("BAD_CLIENT_ID", "missing or unknown client id")
        grant = (form.get("grant_type"), form.get("refresh_token"))
        if grant != ("refresh_token", self.refresh_token):
            return _oauth_error("BAD_REFRESH_TOKEN", "missing or unknown refresh token")
        token = f"mock-oauth-access-{next(self.issued)}"
        self.access_tokens.add(token)
        return json_response({"token_type": "bearer", "refresh_token": self.refresh_token,
                              "access_token": token, "expires_in": 1800})  # fmt: skip

    async def token_info(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if token not in self.access_tokens:
            return json_response(HubSpotError(404, "OBJECT_NOT_FOUND", "Token not found").body,
                                 status=404)  # fmt: skip
        return json_response({
            "token": token, "user": "mock@example.com", "hub_domain": "mock.example.com",
            "scopes": list(SCOPES), "hub_id": PORTAL_ID, "app_id": 456789, "expires_in": 1800,
            "user_id": 123456, "token_type": "access",
        })  # fmt: skip

    async def private_app_info(self, request: web.Request) -> web.StreamResponse:
        body = await read_json(request)
        if not isinstance(body, dict) or body.get("tokenKey") != self.private_app_token:
            error = unauthenticated()
            return json_response(error.body, status=error.status)
        return json_response({"userId": 123456, "hubId": PORTAL_ID, "appId": 456790,
                              "scopes": list(SCOPES[1:])})  # fmt: skip


def _listed(value: str | None) -> list[str] | None:
    names = [name.strip() for name in (value or "").split(",") if name.strip()]
    return names or None


def _number(value: str | None, default: int, most: int | None, name: str) -> int:
    if value is None:
        return default
    if not value.isdigit() or (most is not None and not 1 <= int(value) <= most):
        raise HubSpotError(400, "VALIDATION_ERROR", f"Invalid value for {name}: {value}")
    return int(value)


def _oauth_error(status: str, message: str) -> web.StreamResponse:
    correlation = str(uuid.uuid5(uuid.NAMESPACE_URL, status))
    return json_response(
        {"status": status, "message": message, "correlationId": correlation}, status=400
    )


MOCK = HubSpotMock
