"""Credentials that get their own tokens: the client-credentials grant (Microsoft Graph's app
access) and the JWT bearer grant (Salesforce's JWT flow, a Google service account, its key file
as downloaded), against a token endpoint on a loopback socket that checks what it is sent; a
token answer's `instance_url` becoming where the calls go; bad grants refused when given."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from interlink.vault.grants import JWT_BEARER
from tests.conftest import data, error
from tests.helpers.integrations import create_active
from tests.helpers.servers import serve_app

CLIENT_ID, CLIENT_SECRET = "app-id", "app-secret-value"
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_PEM = _KEY.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption(),
).decode()


@dataclass
class TokenServer:
    """A token endpoint taking client credentials or a JWT bearer assertion signed with the
    registered key, and a resource that wants the token it gave last."""

    url: str = ""
    issued: int = 0
    forms: list[dict[str, str]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    resource_calls: list[tuple[str, str]] = field(default_factory=list)  # (host, token)
    instance_url: str | None = None

    @property
    def access(self) -> str:
        return f"token-{self.issued}"

    async def token(self, request: web.Request) -> web.Response:
        form = {name: str(value) for name, value in (await request.post()).items()}
        self.forms.append(form)
        if form.get("grant_type") == "client_credentials":
            if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
                return _refusal("invalid_client", "AADSTS7000215: Invalid client secret provided.")
        elif form.get("grant_type") == JWT_BEARER:
            try:
                claims = jwt.decode(
                    form.get("assertion", ""), _KEY.public_key(), algorithms=["RS256"],
                    audience=f"{self.url}/token", options={"require": ["iss", "exp", "iat"]},
                )  # fmt: skip
            except jwt.InvalidTokenError as bad:
                return _refusal("invalid_grant", f"assertion refused: {bad}")
            self.claims.append(claims)
        else:
            return _refusal("unsupported_grant_type", "unsupported grant type")
        self.issued += 1
        answer: dict[str, Any] = {
            "access_token": self.access, "token_type": "Bearer", "expires_in": 3599,
        }  # fmt: skip
        if self.instance_url:
            answer["instance_url"] = self.instance_url
        return web.json_response(answer)

    async def resource(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.resource_calls.append((request.host.split(":")[0], token))
        if token != self.access:
            return web.json_response({"message": "invalid token"}, status=401)
        return web.json_response({"ok": True})


def _refusal(code: str, description: str) -> web.Response:
    return web.json_response({"error": code, "error_description": description}, status=401)


@pytest.fixture
async def server() -> AsyncIterator[TokenServer]:
    tokens = TokenServer()
    app = web.Application()
    app.router.add_post("/token", tokens.token)
    app.router.add_get("/resource", tokens.resource)
    async with serve_app(app) as url:
        tokens.url = url
        yield tokens


def _body(server: TokenServer, auth_method: str, credentials: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "Granted API",
        "type": "http",
        "configuration": {
            "api_url": server.url, "auth_method": auth_method, "health_path": "/resource",
        },
        "credentials": credentials,
    }  # fmt: skip


async def _call(client: httpx.AsyncClient, iid: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/integrations/{iid}/operations/request", json={"parameters": {"path": "/resource"}}
    )


def _client_credentials(server: TokenServer, **changes: Any) -> dict[str, Any]:
    given = {
        "grant_type": "client_credentials", "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET, "scope": "https://graph.microsoft.com/.default",
        "token_url": f"{server.url}/token", **changes,
    }  # fmt: skip
    return {name: value for name, value in given.items() if value is not None}


async def test_client_credentials_get_a_token_before_the_first_call_and_keep_it(
    client: httpx.AsyncClient, server: TokenServer
) -> None:
    iid = await create_active(client, _body(server, "oauth", _client_credentials(server)))

    first, second = await _call(client, iid), await _call(client, iid)

    assert (first.status_code, second.status_code) == (200, 200), first.text
    assert server.forms == [
        {"grant_type": "client_credentials", "client_id": CLIENT_ID,
         "client_secret": CLIENT_SECRET, "scope": "https://graph.microsoft.com/.default"}
    ]  # fmt: skip
    assert [token for _, token in server.resource_calls] == ["token-1", "token-1"]
    shown = data(await client.get(f"/api/v1/integrations/{iid}"))
    assert CLIENT_SECRET not in str(shown)


async def test_a_token_the_provider_refuses_is_got_again_by_the_grant(
    client: httpx.AsyncClient, server: TokenServer
) -> None:
    iid = await create_active(client, _body(server, "oauth", _client_credentials(server)))
    assert (await _call(client, iid)).status_code == 200
    server.issued += 1  # the provider has revoked token-1: it wants one it has not given yet

    response = await _call(client, iid)

    assert response.status_code == 200, response.text
    assert [token for _, token in server.resource_calls] == ["token-1", "token-1", "token-3"]


async def test_refused_client_credentials_fail_with_the_providers_reason_and_an_event(
    client: httpx.AsyncClient, server: TokenServer
) -> None:
    credentials = _client_credentials(server, client_secret="wrong-secret-value")
    iid = await create_active(client, _body(server, "oauth", credentials))

    response = await _call(client, iid)

    assert response.status_code == 401
    failure = error(response)
    assert failure["code"] == "AUTHENTICATION_FAILED"
    assert "client credentials" in failure["message"]
    assert "wrong-secret-value" not in response.text
    events = data(await client.get("/api/v1/events?type=credential.refresh_failed"))["items"]
    assert [event["data"]["reason"] for event in events] == [
        "AADSTS7000215: Invalid client secret provided."
    ]
    assert server.resource_calls == []


async def test_a_jwt_bearer_grant_signs_an_assertion_and_sends_the_token_it_gets(
    client: httpx.AsyncClient, server: TokenServer
) -> None:
    credentials = {
        "grant_type": "jwt_bearer", "private_key": PRIVATE_PEM, "issuer": "consumer-key",
        "subject": "integration@example.com", "token_url": f"{server.url}/token",
    }  # fmt: skip
    iid = await create_active(client, _body(server, "jwt", credentials))

    response = await _call(client, iid)

    assert response.status_code == 200, response.text
    (claims,) = server.claims
    assert claims["iss"] == "consumer-key"
    assert claims["sub"] == "integration@example.com"
    assert claims["exp"] - claims["iat"] == 180  # Salesforce refuses more than 3 minutes
    assert server.resource_calls == [("127.0.0.1", "token-1")]
    assert "BEGIN PRIVATE KEY" not in str(data(await client.get(f"/api/v1/integrations/{iid}")))


async def test_a_google_service_account_key_file_is_a_credential_as_downloaded(
    client: httpx.AsyncClient, server: TokenServer
) -> None:
    key_file = {
        "type": "service_account", "project_id": "p", "private_key_id": "k1",
        "private_key": PRIVATE_PEM, "client_email": "robot@p.iam.gserviceaccount.com",
        "client_id": "1234", "token_uri": f"{server.url}/token",
    }  # fmt: skip
    credentials = key_file | {"scope": "https://www.googleapis.com/auth/drive.readonly"}
    iid = await create_active(client, _body(server, "oauth", credentials))

    response = await _call(client, iid)

    assert response.status_code == 200, response.text
    (claims,) = server.claims
    assert claims["iss"] == "robot@p.iam.gserviceaccount.com"
    assert claims["scope"] == "https://www.googleapis.com/auth/drive.readonly"
    assert "sub" not in claims


async def test_the_token_answers_instance_url_is_where_the_calls_go(
    client: httpx.AsyncClient, server: TokenServer
) -> None:
    server.instance_url = server.url.replace("127.0.0.1", "localhost")  # the org's own host
    iid = await create_active(client, _body(server, "oauth", _client_credentials(server)))

    response = await _call(client, iid)

    assert response.status_code == 200, response.text
    assert server.resource_calls == [("localhost", "token-1")]


@pytest.mark.parametrize(
    ("auth_method", "credentials", "fields"),
    [
        ("oauth", {"grant_type": "client_credentials", "client_id": "a", "token_url": "https://t"},
         ["credentials.client_secret"]),
        ("jwt", {"grant_type": "jwt_bearer", "private_key": "not a key", "issuer": "i"},
         ["credentials.token_url", "credentials.private_key"]),
        ("jwt", {"grant_type": "jwt_bearer", "token_url": "https://t"},
         ["credentials.private_key", "credentials.issuer"]),
    ],
)  # fmt: skip
async def test_a_grant_missing_what_it_needs_is_refused_when_given(
    client: httpx.AsyncClient, auth_method: str, credentials: dict[str, Any], fields: list[str]
) -> None:
    body = _body(TokenServer(url="https://api.example.com"), auth_method, credentials)

    response = await client.post("/api/v1/integrations", json=body)

    assert response.status_code == 400, response.text
    failure = error(response)
    assert failure["code"] == "INVALID_CREDENTIALS"
    assert [detail["field"] for detail in failure["details"]] == fields
    assert data(await client.get("/api/v1/integrations"))["items"] == []
