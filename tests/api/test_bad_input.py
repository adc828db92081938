"""Bad input to the routes that write answers a 4xx in the error envelope and writes nothing.

Each case names the route, the request (a body serialized by `json.dumps`, so NUL and lone
surrogates travel as JSON escapes, or raw bytes), and what the caller must see. After each case
the integrations, credentials, events and API keys are what they were before.

The cases share one app per database (a module-scoped fixture): none of them may write, and each
compares what a user can read back before and after it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from interlink.app import create_app
from tests.conftest import ADMIN_KEY, PG_URL, client_for, data, error, make_settings, reset_postgres

pytestmark = pytest.mark.asyncio(loop_scope="module")

Ids = dict[str, str]
MIB = 1024 * 1024


@dataclass(frozen=True)
class Route:
    label: str
    method: str
    path: str
    valid: dict[str, Any] = field(default_factory=dict)


CREATE = Route(
    "create-integration",
    "POST",
    "/api/v1/integrations",
    {"name": "Valid", "type": "github", "credentials": {"access_token": "ghp_valid"}},
)
PUT = Route("put-integration", "PUT", "/api/v1/integrations/{integration}", {"name": "Renamed"})
PATCH = Route("patch-integration", "PATCH", "/api/v1/integrations/{integration}", {"name": "New"})
CREDENTIAL = Route(
    "create-credential",
    "POST",
    "/api/v1/credentials",
    {"name": "Valid", "type": "api_key", "data": {"api_key": "k_valid"}},
)
CREDENTIAL_PUT = Route(
    "put-credential", "PUT", "/api/v1/credentials/{credential}", {"name": "Renamed"}
)
API_KEY = Route(
    "create-api-key", "POST", "/api/v1/api-keys", {"name": "Valid", "scopes": ["integrations:read"]}
)
WRITES = (CREATE, PUT, PATCH, CREDENTIAL, API_KEY)
INTEGRATION_WRITES = (CREATE, PUT, PATCH)
WITH_METADATA = (CREATE, PUT, PATCH, CREDENTIAL)


@dataclass(frozen=True)
class Bad:
    """One bad request and the answer it must get."""

    route: Route
    body: Any = None  # serialized with json.dumps; a callable gets the ids of existing rows
    raw: bytes | Callable[[], AsyncIterator[bytes]] | None = None  # sent as is instead
    content_type: str | None = "application/json"
    query: str = ""
    status: int = 400
    code: str = "INVALID_REQUEST"
    field: str | None = None  # a field named in `details`
    says: str | None = None  # part of the message
    hides: str | None = None  # a secret the answer must not repeat


def case(route: Route, name: str, **expected: Any) -> Any:
    return pytest.param(Bad(route, **expected), id=f"{route.label}: {name}")


def with_body(**changes: Any) -> Callable[[Route], dict[str, Any]]:
    """The route's valid body with some fields changed: only the change is wrong."""
    return lambda route: {"body": {**route.valid, **changes}}


def nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"deeper": value}
    return value


async def chunks_of_two_mib() -> AsyncIterator[bytes]:
    """A body without Content-Length: httpx sends it chunked."""
    yield b'{"name": "'
    for _ in range(32):
        yield b"x" * (64 * 1024)
    yield b'"}'


def _syntax(route: Route, *, all_variants: bool) -> list[Any]:
    """Every variant for one route; the others get the core (the guard is route-independent)."""
    valid = json.dumps(route.valid).encode()
    deep = b'{"name": "Deep", "metadata": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001
    cases = [
        case(route, "malformed JSON", raw=b'{"name": "x",', says="not valid JSON"),
        case(route, "a JSON array", body=[route.valid], field="body"),
        case(route, "a JSON string", body="Valid", field="body"),
        case(route, "JSON null", raw=b"null", field="body"),
        case(route, "a raw NUL in a string", raw=b'{"name": "a\x00b"}', says="not valid JSON"),
        case(route, "invalid UTF-8", raw=b'{"name": "\xff\xfe"}', says="UTF-8"),
        case(route, "UTF-8 of a surrogate", raw=b'{"name": "\xed\xa0\x80"}', says="surrogate"),
        case(route, "a lone surrogate escape", raw=b'{"name": "\\ud800"}', says="surrogate"),
        case(route, "an escaped NUL in the name", body={**route.valid, "name": "a\u0000b"},
             says="NUL"),
        case(route, "metadata nested 40 levels", body={**route.valid, "metadata": nested(40)},
             says="deeper"),
        case(route, "metadata nested 100,000 levels", raw=deep, says="deeper"),
        case(route, "NaN", raw=b'{"name": NaN}', says="finite"),
        case(route, "Infinity", raw=b'{"name": -Infinity}', says="finite"),
        case(route, "a number beyond a double", raw=b'{"name": 1e400}', says="finite"),
        case(route, "an integer of 5,000 digits", raw=b'{"name": ' + b"9" * 5000 + b"}"),
        case(
            route,
            "2 MiB with Content-Length",
            raw=b'{"name": "' + b"x" * (2 * MIB) + b'"}',
            status=413,
            code="PAYLOAD_TOO_LARGE",
        ),
        case(route, "2 MiB chunked", raw=chunks_of_two_mib, status=413, code="PAYLOAD_TOO_LARGE"),
        case(route, "text/plain", raw=valid, content_type="text/plain", status=415,
             code="UNSUPPORTED_MEDIA_TYPE"),
        case(route, "a form", raw=b"name=Valid", content_type="application/x-www-form-urlencoded",
             status=415, code="UNSUPPORTED_MEDIA_TYPE"),
        case(route, "no Content-Type", raw=valid, content_type=None, status=415,
             code="UNSUPPORTED_MEDIA_TYPE"),
    ]  # fmt: skip
    core = {"malformed JSON", "a JSON array", "a JSON string", "invalid UTF-8",
            "a lone surrogate escape", "an escaped NUL in the name", "metadata nested 40 levels",
            "metadata nested 100,000 levels", "NaN", "2 MiB with Content-Length", "2 MiB chunked",
            "text/plain"}  # fmt: skip
    return cases if all_variants else [c for c in cases if c.id.split(": ", 1)[1] in core]


def _fields(route: Route) -> list[Any]:
    cases = [
        case(route, "name as a number", **with_body(name=42)(route), field="name"),
        case(route, "an empty name", **with_body(name="")(route), field="name"),
        case(route, "a name of 100,001 characters", **with_body(name="x" * 100_001)(route),
             field="name"),
        case(route, "an unknown field", **with_body(nickname="x")(route), field="nickname",
             says="nickname: is not a known field"),
    ]  # fmt: skip
    for read_only in ("id", "status", "workspace_id", "created_by", "created_at"):
        cases.append(
            case(route, f"read-only {read_only}", **with_body(**{read_only: "x"})(route),
                 field=read_only, says=f"{read_only}: is read-only")
        )  # fmt: skip
    return cases


def _configuration(route: Route) -> list[Any]:
    config = "INVALID_INTEGRATION_CONFIG"
    wrong = {
        "api_url not absolute": ({"api_url": "/v3"}, "configuration.api_url"),
        "api_url with user:pass@": (
            {"api_url": "https://bot:s3cr3t-pw@api.example.com"}, "configuration.api_url"
        ),
        "a negative request_timeout": ({"request_timeout": -1}, "configuration.request_timeout"),
        "rate_limiting.max_retries 99": (
            {"rate_limiting": {"max_retries": 99}}, "configuration.rate_limiting.max_retries"
        ),
        "camelCase rateLimiting.maxRetries 99": (
            {"rateLimiting": {"maxRetries": 99}}, "configuration.rateLimiting.maxRetries"
        ),
        "request.timeout_seconds 0": (
            {"request": {"timeout_seconds": 0}}, "configuration.request.timeout_seconds"
        ),
        'auth_method "magic"': ({"auth_method": "magic"}, "configuration.auth_method"),
        "configuration as a string": ("oauth", "configuration"),
    }  # fmt: skip
    return [
        case(route, name, **with_body(configuration=value)(route), code=config, field=path,
             hides="s3cr3t-pw")
        for name, (value, path) in wrong.items()
    ]  # fmt: skip


def _addresses(route: Route) -> list[Any]:
    """Refused as the call would be, even where private addresses are allowed (as here)."""
    return [
        case(route, f"api_url at {where}", **with_body(configuration={"api_url": url})(route),
             code="URL_NOT_ALLOWED", field="configuration.api_url", says="may not be called")
        for where, url in {
            "the cloud metadata address": "http://169.254.169.254/latest/meta-data",
            "a link-local address": "http://169.254.10.20",
            "the metadata address mapped into IPv6": "http://[::ffff:169.254.169.254]",
        }.items()
    ]  # fmt: skip


def _metadata(route: Route) -> list[Any]:
    return [
        case(route, "metadata as a list", **with_body(metadata=["a"])(route), field="metadata"),
        case(route, "a metadata value of 100,001 characters",
             **with_body(metadata={"note": "x" * 100_001})(route), field="metadata.note"),
        case(route, "a NUL in a metadata key", **with_body(metadata={"a\u0000b": "1"})(route),
             says="NUL"),
    ]  # fmt: skip


CREATE_ONLY = [
    case(CREATE, "no name", body={"type": "github"}, field="name"),
    case(CREATE, "no type", body={"name": "Valid"}, field="type"),
    case(CREATE, "an unknown type", **with_body(type="myspace")(CREATE), field="type"),
    case(CREATE, "an auth_method the type lacks",
         body={"name": "Mail", "type": "smtp", "configuration": {"auth_method": "oauth"}},
         code="INVALID_INTEGRATION_CONFIG", field="configuration.auth_method"),
    case(CREATE, "a type without a default api_url and none given",
         body={"name": "Tickets", "type": "jira"}, code="INVALID_INTEGRATION_CONFIG",
         field="configuration.api_url"),
    case(CREATE, "oauth credentials without access_token",
         **with_body(credentials={"token_type": "bearer"})(CREATE), code="INVALID_CREDENTIALS",
         field="credentials.access_token"),
    case(CREATE, "basic credentials without password",
         body={"name": "Tickets", "type": "jira", "credentials": {"username": "bot"},
               "configuration": {"api_url": "https://example.atlassian.net"}},
         code="INVALID_CREDENTIALS", field="credentials.password"),
    case(CREATE, "empty credentials", **with_body(credentials={})(CREATE),
         code="INVALID_CREDENTIALS", field="credentials"),
    case(CREATE, "a NUL in a credential value",
         **with_body(credentials={"access_token": "ghp_\u0000"})(CREATE), says="NUL"),
    case(CREATE, "a shared credential lacking the auth method's fields",
         body=lambda ids: {"name": "Tickets", "type": "jira", "credential_id": ids["credential"],
                           "configuration": {"api_url": "https://example.atlassian.net"}},
         code="INVALID_CREDENTIALS", field="credentials.username"),
    case(CREATE, "both credentials and credential_id",
         body=lambda ids: {**CREATE.valid, "credential_id": ids["credential"]},
         field="credential_id", says="not both"),
    case(CREATE, "an unknown credential_id",
         body={"name": "Valid", "type": "github", "credential_id": "cred_nope"},
         status=404, code="CREDENTIAL_NOT_FOUND"),
]  # fmt: skip

UPDATE_CASES: dict[str, dict[str, Any]] = {
    "type changed": {"body": {"type": "jira"}, "field": "type", "says": "cannot change"},
    "an unknown type": {"body": {"type": "myspace"}, "field": "type"},
    "name null": {"body": {"name": None}, "field": "name"},
    "an auth_method the stored credentials do not fit": {
        "body": {"configuration": {"auth_method": "basic"}},
        "code": "INVALID_CREDENTIALS",
        "field": "credentials.username",
    },
    "an unknown credential_id": {
        "body": {"credential_id": "cred_nope"}, "status": 404, "code": "CREDENTIAL_NOT_FOUND"
    },
}  # fmt: skip
UPDATE_ONLY = [
    case(route, name, **expected)
    for route in (PUT, PATCH)
    for name, expected in UPDATE_CASES.items()
]

CREDENTIAL_ONLY = [
    case(CREDENTIAL, "data as a string", **with_body(data="k_valid")(CREDENTIAL), field="data"),
    case(CREDENTIAL, "empty data", **with_body(data={})(CREDENTIAL), field="data"),
    case(CREDENTIAL, "an unknown type", **with_body(type="password")(CREDENTIAL), field="type"),
    case(CREDENTIAL, "a NUL in a credential value",
         **with_body(data={"api_key": "k_\u0000"})(CREDENTIAL), says="NUL"),
    case(CREDENTIAL, "a credential value of 100,001 characters",
         **with_body(data={"api_key": "k" * 100_001})(CREDENTIAL), field="data.api_key"),
    case(CREDENTIAL_PUT, "name null", body={"name": None}, field="name"),
    case(CREDENTIAL_PUT, "metadata null", body={"metadata": None}, field="metadata"),
    case(CREDENTIAL_PUT, "a NUL in a credential value", body={"data": {"api_key": "\u0000"}},
         says="NUL"),
    case(CREDENTIAL_PUT, "read-only id", body={"id": "cred_other"}, field="id", says="read-only"),
]  # fmt: skip

API_KEY_ONLY = [
    case(API_KEY, "scopes as a string", **with_body(scopes="admin")(API_KEY), field="scopes"),
    case(API_KEY, "no scopes", **with_body(scopes=[])(API_KEY), field="scopes"),
    case(API_KEY, "an unknown scope", **with_body(scopes=["root"])(API_KEY), field="scopes.0"),
    case(API_KEY, "expires_at without a time zone",
         **with_body(expires_at="2099-01-01T00:00:00")(API_KEY), field="expires_at"),
    case(API_KEY, "expires_at in the past",
         **with_body(expires_at="2001-01-01T00:00:00Z")(API_KEY), field="expires_at"),
    case(API_KEY, "expires_at beyond year 9999 in UTC",
         **with_body(expires_at="9999-12-31T23:59:59-14:00")(API_KEY), field="expires_at"),
    case(API_KEY, "a rate_limit that is not a rate", **with_body(rate_limit="fast")(API_KEY),
         field="rate_limit"),
]  # fmt: skip

LIST_INTEGRATIONS = Route("list-integrations", "GET", "/api/v1/integrations")
LIST_CREDENTIALS = Route("list-credentials", "GET", "/api/v1/credentials")
LIST_EVENTS = Route("list-events", "GET", "/api/v1/events")
LIST_API_KEYS = Route("list-api-keys", "GET", "/api/v1/api-keys")
LISTS = (LIST_INTEGRATIONS, LIST_CREDENTIALS, LIST_EVENTS, LIST_API_KEYS)
# Time fields are parsed before the handler looks the workflow or webhook up.
LIST_EXECUTIONS = Route("list-executions", "GET", "/api/v1/executions")
LIST_RUNS = Route("list-workflow-executions", "GET", "/api/v1/workflows/wf_unknown/executions")
RECOVER = Route("recover-webhook", "POST", "/api/v1/webhooks/whk_unknown/recover")

QUERIES = [
    *[case(route, "page_size=1000", query="?page_size=1000", field="page_size") for route in LISTS],
    *[case(route, "page=0", query="?page=0", field="page") for route in LISTS],
    *[case(route, "page=abc", query="?page=abc", field="page") for route in LISTS],
    *[case(route, "sort_order=sideways", query="?sort_order=sideways", field="sort_order")
      for route in LISTS],
    case(LIST_INTEGRATIONS, "sort_by=nope", query="?sort_by=nope", field="sort_by"),
    case(LIST_INTEGRATIONS, "status=bogus", query="?status=bogus", field="status"),
    case(LIST_INTEGRATIONS, "type=bogus", query="?type=bogus", field="type"),
    case(LIST_INTEGRATIONS, "a NUL in a filter", query="?department=a%00", says="NUL"),
    case(LIST_INTEGRATIONS, "a NUL in a metadata key", query="?metadata.a%00b=1", says="NUL"),
    case(LIST_CREDENTIALS, "type=bogus", query="?type=bogus", field="type"),
    case(LIST_CREDENTIALS, "a NUL in a filter", query="?provider=a%00", says="NUL"),
    case(LIST_EVENTS, "since=yesterday", query="?since=yesterday", field="since"),
    case(LIST_EVENTS, "since without a time zone", query="?since=2026-01-01T00:00:00",
         says="time zone"),
    case(LIST_EVENTS, "since before year 1 in UTC", query="?since=0001-01-01T00:00:00%2B14:00",
         says="out of range"),
    case(LIST_EVENTS, "a NUL in a filter", query="?type=a%00", says="NUL"),
    *[case(route, "since before year 1 in UTC", query="?since=0001-01-01T00:00:00%2B14:00",
           field="since", says="out of range") for route in (LIST_EXECUTIONS, LIST_RUNS)],
    *[case(route, "since without a time zone", query="?since=2026-01-01T00:00:00",
           field="since", says="time zone") for route in (LIST_EXECUTIONS, LIST_RUNS)],
    case(RECOVER, "since before year 1 in UTC", body={"since": "0001-01-01T00:00:00+14:00"},
         field="since", says="out of range"),
    case(RECOVER, "since beyond year 9999 in UTC", body={"since": "9999-12-31T23:59:59-14:00"},
         field="since", says="out of range"),
    case(Route("get-integration", "GET", "/api/v1/integrations/int_%00"), "a NUL in the id",
         says="NUL"),
    case(Route("get-credential", "GET", "/api/v1/credentials/cred_%00"), "a NUL in the id",
         says="NUL"),
]  # fmt: skip

CASES = [
    *[c for route in WRITES for c in _syntax(route, all_variants=route is CREATE)],
    *[c for route in WRITES for c in _fields(route)],
    *[c for route in INTEGRATION_WRITES for c in _configuration(route)],
    *[c for route in INTEGRATION_WRITES for c in _addresses(route)],
    *[c for route in WITH_METADATA for c in _metadata(route)],
    *CREATE_ONLY,
    *UPDATE_ONLY,
    *CREDENTIAL_ONLY,
    *API_KEY_ONLY,
    *QUERIES,
]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("bad_input") / "data"
    directory.mkdir()
    return directory


@pytest_asyncio.fixture(
    scope="module",
    loop_scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
async def shared_client(
    request: pytest.FixtureRequest, data_dir: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client of one app for the whole module, on SQLite and on PostgreSQL."""
    url = f"sqlite:///{data_dir / 'interlink.db'}"
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("INTERLINK_TEST_DATABASE_URL is not set: the PostgreSQL run is skipped")
        await reset_postgres(PG_URL)
        url = PG_URL
    application = create_app(make_settings(data_dir, url))
    async with (
        application.router.lifespan_context(application),
        client_for(application, ADMIN_KEY) as http,
    ):
        yield http


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def existing(shared_client: httpx.AsyncClient) -> Ids:
    """An integration with its own credentials, and a shared oauth credential."""
    integration = await shared_client.post(
        "/api/v1/integrations",
        json={**CREATE.valid, "name": "Existing", "metadata": {"department": "qa"}},
    )
    credential = await shared_client.post(
        "/api/v1/credentials",
        json={"name": "Shared", "type": "oauth", "data": {"access_token": "ghp_shared"}},
    )
    return {"integration": data(integration)["id"], "credential": data(credential)["id"]}


async def stored(client: httpx.AsyncClient, ids: Ids) -> dict[str, Any]:
    """What a user can read back: how many rows each list holds, and the existing rows in full."""
    state: dict[str, Any] = {}
    for resource in ("integrations", "credentials", "events", "api-keys"):
        listing = data(await client.get(f"/api/v1/{resource}", params={"page_size": 1}))
        state[resource] = listing["pagination"]["total_items"]
    state["integration"] = data(await client.get(f"/api/v1/integrations/{ids['integration']}"))
    state["credential"] = data(await client.get(f"/api/v1/credentials/{ids['credential']}"))
    return state


async def send(client: httpx.AsyncClient, bad: Bad, ids: Ids) -> httpx.Response:
    headers = {"Content-Type": bad.content_type} if bad.content_type else {}
    content: Any = bad.raw() if callable(bad.raw) else bad.raw
    if content is None:
        body = bad.body(ids) if callable(bad.body) else bad.body
        content = json.dumps(body).encode()
    path = bad.route.path.format(**ids) + bad.query
    return await client.request(bad.route.method, path, content=content, headers=headers)


@pytest.mark.parametrize("bad", CASES)
async def test_bad_input_is_refused_and_writes_nothing(
    shared_client: httpx.AsyncClient, existing: Ids, bad: Bad
) -> None:
    client = shared_client
    before = await stored(client, existing)

    response = await send(client, bad, existing)

    assert response.status_code == bad.status, response.text
    refused = error(response)
    assert refused["code"] == bad.code
    if bad.field is not None:
        fields = [detail.get("field", "") for detail in refused["details"]]
        assert any(f == bad.field or f.startswith(f"{bad.field}.") for f in fields), refused
    if bad.says is not None:
        assert bad.says in refused["message"], refused
    if bad.hides is not None:
        assert bad.hides not in response.text
    assert await stored(client, existing) == before


@pytest.mark.parametrize("route", [*WRITES, CREDENTIAL_PUT], ids=lambda route: route.label)
async def test_the_valid_bodies_the_cases_start_from_are_accepted(
    shared_client: httpx.AsyncClient, existing: Ids, route: Route
) -> None:
    """So each bad case above is refused for the one thing it changed."""
    response = await send(shared_client, Bad(route, body=route.valid), existing)

    assert response.status_code in {200, 201}, response.text


async def test_camel_case_fields_are_accepted_and_stored_in_snake_case(
    shared_client: httpx.AsyncClient, existing: Ids
) -> None:
    client = shared_client
    body = {
        "name": "Camel",
        "type": "github",
        "credentialId": existing["credential"],
        "configuration": {
            "authMethod": "oauth",
            "requestTimeout": 20,
            "rateLimiting": {"requestsPerSecond": 5, "maxRetries": 2},
            "request": {"timeoutSeconds": 10, "verifySsl": True},
        },
    }

    created = data(await client.post("/api/v1/integrations", json=body))

    assert created["credential_id"] == existing["credential"]
    assert created["configuration"] == {
        "auth_method": "oauth",
        "api_url": "https://api.github.com",
        "request_timeout": 20,
        "rate_limiting": {"requests_per_second": 5.0, "max_retries": 2},
        "request": {"timeout_seconds": 10, "verify_ssl": True},
    }
    patched = await client.patch(
        f"/api/v1/integrations/{created['id']}",
        json={"configuration": {"rateLimiting": {"requestsPerSecond": 7}}},
    )
    assert data(patched)["configuration"]["rate_limiting"] == {
        "requests_per_second": 7.0,
        "max_retries": 2,
    }
