"""Bearer tokens: an API key trades itself for a short-lived JWT that acts as the key; tokens that
are expired, forged, unsigned or meant for someone else are refused; with a JWKS URL, tokens signed
by the identity provider's RSA key are accepted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from jwt.algorithms import RSAAlgorithm

from interlink.config import JwtSettings
from interlink.core.clock import FrozenClock, rfc3339
from tests.auth.conftest import MakeApp, create_key, own_workspace_id
from tests.conftest import ADMIN_KEY, JWT_SECRET, client_for, data, error
from tests.integrations.seed import CREATE

KID = "interlink-test-key"


def b64url(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def claims(workspace_id: str, **changes: Any) -> dict[str, Any]:
    """Claims our server accepts; a change of None removes the claim."""
    now = int(time.time())
    body = {
        "sub": "someone@example.com",
        "workspace": workspace_id,
        "scopes": ["integrations:read"],
        "aud": "interlink",
        "iss": "interlink",
        "iat": now,
        "exp": now + 300,
        **changes,
    }
    return {k: v for k, v in body.items() if v is not None}


def hs256(body: dict[str, Any], secret: str = JWT_SECRET) -> str:
    return jwt.encode(body, secret, algorithm="HS256")


async def get_token(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/api/v1/auth/token")
    assert response.status_code == 200, response.text
    token: dict[str, Any] = data(response)
    return token


async def status_with(app: FastAPI, token: str) -> int:
    async with client_for(app, token) as holder:
        return (await holder.get("/api/v1/integrations")).status_code


@pytest.fixture
def clock() -> FrozenClock:
    """Now, to the second: the server issues tokens at this time and PyJWT checks them against
    the wall clock, so it must not run ahead of it."""
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def workspace_id(client: httpx.AsyncClient) -> str:
    return await own_workspace_id(client)


# -- tokens issued by this server --------------------------------------------------------------


async def test_an_api_key_is_traded_for_a_bearer_token(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    admin_key_id = data(await client.get("/api/v1/api-keys"))["items"][0]["id"]
    workspace_id = await own_workspace_id(client)

    token = await get_token(client)

    assert set(token) == {"access_token", "token_type", "expires_in", "expires_at"}
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 900
    body = jwt.decode(token["access_token"], JWT_SECRET, algorithms=["HS256"], audience="interlink")
    assert body["sub"] == admin_key_id
    assert body["workspace"] == workspace_id
    assert body["scopes"] == ["admin"]
    assert body["iat"] == int(clock.now().timestamp())
    assert body["exp"] - body["iat"] == 900
    assert token["expires_at"] == rfc3339(clock.now() + timedelta(seconds=900))


async def test_a_token_acts_with_its_keys_scopes_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    reader = await create_key(client, "integrations:read")
    writer = await create_key(client, "integrations:read", "integrations:write")
    async with client_for(app, reader["key"]) as reader_key:
        reader_token = (await get_token(reader_key))["access_token"]
    async with client_for(app, writer["key"]) as writer_key:
        writer_token = (await get_token(writer_key))["access_token"]

    async with client_for(app, reader_token) as reading:
        listed = await reading.get("/api/v1/integrations")
        refused = [
            await reading.post("/api/v1/integrations", json=CREATE),
            await reading.get("/api/v1/api-keys"),
        ]
    async with client_for(app, writer_token) as writing:
        created = await writing.post("/api/v1/integrations", json=CREATE)

    assert listed.status_code == 200
    for response in refused:
        assert response.status_code == 403
        assert error(response)["code"] == "FORBIDDEN"
    assert created.status_code == 201
    assert data(created)["created_by"] == writer["id"]
    assert [i["id"] for i in data(await client.get("/api/v1/integrations"))["items"]] == [
        data(created)["id"]
    ]


async def test_a_token_may_carry_fewer_scopes_than_its_key_never_more(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    reader = await create_key(client, "integrations:read")
    async with client_for(app, reader["key"]) as reader_key:
        asked_admin = await reader_key.post("/api/v1/auth/token", json={"scopes": ["admin"]})
        asked_more = await reader_key.post(
            "/api/v1/auth/token", json={"scopes": ["integrations:read", "integrations:write"]}
        )
    narrowed = await client.post("/api/v1/auth/token", json={"scopes": ["integrations:read"]})

    for refused in (asked_admin, asked_more):
        assert refused.status_code == 403
        assert error(refused)["code"] == "FORBIDDEN"
        assert "scopes its key lacks" in error(refused)["message"]
    assert error(asked_admin)["message"].endswith("lacks: admin")
    assert error(asked_more)["message"].endswith("lacks: integrations:write")
    token = data(narrowed)["access_token"]
    assert jwt.decode(token, JWT_SECRET, algorithms=["HS256"], audience="interlink")["scopes"] == [
        "integrations:read"
    ]
    async with client_for(app, token) as holder:
        assert (await holder.get("/api/v1/integrations")).status_code == 200
        assert (await holder.post("/api/v1/integrations", json=CREATE)).status_code == 403
        assert (await holder.get("/api/v1/api-keys")).status_code == 403


async def test_a_token_signed_with_more_scopes_than_its_key_acts_with_the_keys_only(
    app: FastAPI, client: httpx.AsyncClient, workspace_id: str
) -> None:
    reader = await create_key(client, "integrations:read")
    token = hs256(
        claims(
            workspace_id,
            sub=reader["id"],
            key_id=reader["id"],
            scopes=["admin", "integrations:read", "integrations:write"],
        )
    )

    async with client_for(app, token) as holder:
        listed = await holder.get("/api/v1/integrations")
        refused = [
            await holder.post("/api/v1/integrations", json=CREATE),
            await holder.get("/api/v1/api-keys"),
            await holder.post("/api/v1/workspaces", json={"name": "mine"}),
        ]

    assert listed.status_code == 200
    for response in refused:
        assert response.status_code == 403
        assert error(response)["code"] == "FORBIDDEN"


async def test_a_token_stops_working_when_its_key_is_revoked(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    key = await create_key(client, "integrations:read")
    async with client_for(app, key["key"]) as holder:
        token = (await get_token(holder))["access_token"]
    assert await status_with(app, token) == 200

    assert (await client.delete(f"/api/v1/api-keys/{key['id']}")).status_code == 200

    async with client_for(app, token) as holder:
        after = await holder.get("/api/v1/integrations")
    assert after.status_code == 401
    assert error(after)["code"] == "UNAUTHENTICATED"


async def test_a_token_stops_working_when_its_key_expires(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    expires_at = rfc3339(clock.now() + timedelta(seconds=60))
    key = await create_key(client, "integrations:read", expires_at=expires_at)
    async with client_for(app, key["key"]) as holder:
        token = (await get_token(holder))["access_token"]
    assert await status_with(app, token) == 200

    clock.advance(61)

    assert await status_with(app, key["key"]) == 401
    async with client_for(app, token) as holder:
        after = await holder.get("/api/v1/integrations")
    assert after.status_code == 401
    assert error(after)["code"] == "UNAUTHENTICATED"


async def test_a_token_cannot_be_traded_for_another_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token = (await get_token(client))["access_token"]

    async with client_for(app, token) as holder:
        response = await holder.post("/api/v1/auth/token")

    assert response.status_code == 403
    assert error(response)["code"] == "FORBIDDEN"


async def test_a_foreign_token_cannot_be_traded_either(app: FastAPI, workspace_id: str) -> None:
    token = hs256(claims(workspace_id, scopes=["admin"]))

    async with client_for(app, token) as holder:
        response = await holder.post("/api/v1/auth/token")

    assert response.status_code == 403
    assert error(response)["code"] == "FORBIDDEN"


async def test_without_a_secret_no_token_is_issued(make_app: MakeApp) -> None:
    app = await make_app(jwt=JwtSettings(secret=None))

    async with client_for(app, ADMIN_KEY) as admin:
        response = await admin.post("/api/v1/auth/token")
        still = await admin.get("/api/v1/integrations")

    assert response.status_code == 400
    assert error(response)["code"] == "INVALID_REQUEST"
    assert still.status_code == 200


# -- tokens made elsewhere ---------------------------------------------------------------------


async def test_a_well_formed_foreign_token_is_accepted(app: FastAPI, workspace_id: str) -> None:
    token = hs256(claims(workspace_id))

    async with client_for(app, token) as holder:
        listed = await holder.get("/api/v1/integrations")
        written = await holder.post("/api/v1/integrations", json=CREATE)

    assert listed.status_code == 200
    assert written.status_code == 403


BAD_CLAIMS: dict[str, Callable[[str], dict[str, Any]]] = {
    "expired": lambda ws: claims(ws, iat=int(time.time()) - 1000, exp=int(time.time()) - 100),
    "wrong-audience": lambda ws: claims(ws, aud="someone-else"),
    "wrong-issuer": lambda ws: claims(ws, iss="https://evil.example.com"),
    "no-sub": lambda ws: claims(ws, sub=None),
    "no-workspace": lambda ws: claims(ws, workspace=None),
    "no-exp": lambda ws: claims(ws, exp=None),
    "no-audience": lambda ws: claims(ws, aud=None),
    "unknown-workspace": lambda ws: claims("ws_doesnotexist"),
    "workspace-not-a-string": lambda ws: claims(ws, workspace=[ws]),
    "scopes-not-a-list": lambda ws: claims(ws, scopes="integrations:read"),
}


@pytest.mark.parametrize("make_claims", BAD_CLAIMS.values(), ids=BAD_CLAIMS.keys())
async def test_a_token_with_bad_claims_is_401(
    app: FastAPI, workspace_id: str, make_claims: Callable[[str], dict[str, Any]]
) -> None:
    token = hs256(make_claims(workspace_id))

    async with client_for(app, token) as holder:
        response = await holder.get("/api/v1/integrations")

    assert response.status_code == 401
    assert error(response)["code"] == "UNAUTHENTICATED"


async def test_a_token_signed_with_another_secret_is_401(app: FastAPI, workspace_id: str) -> None:
    token = hs256(claims(workspace_id), secret="another-secret-that-is-long-enough-for-hs256")

    async with client_for(app, token) as holder:
        response = await holder.get("/api/v1/integrations")

    assert response.status_code == 401
    assert error(response)["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_an_unsigned_token_is_401(app: FastAPI, workspace_id: str, alg: str) -> None:
    token = f"{b64url({'alg': alg, 'typ': 'JWT'})}.{b64url(claims(workspace_id))}."

    async with client_for(app, token) as holder:
        response = await holder.get("/api/v1/integrations")

    assert response.status_code == 401
    assert error(response)["code"] == "UNAUTHENTICATED"


async def test_an_hs256_token_is_401_when_only_rs256_is_allowed(
    make_app: MakeApp, client: httpx.AsyncClient, workspace_id: str
) -> None:
    token = hs256(claims(workspace_id))
    accepted = await client.get(
        "/api/v1/integrations", headers={"Authorization": f"Bearer {token}"}
    )
    assert accepted.status_code == 200
    rs256_only = await make_app(jwt=JwtSettings(secret=JWT_SECRET, algorithms=["RS256"]))

    async with client_for(rs256_only, token) as holder:
        refused = await holder.get("/api/v1/integrations")
    async with client_for(rs256_only, ADMIN_KEY) as admin:
        by_key = await admin.get("/api/v1/integrations")

    assert refused.status_code == 401
    assert error(refused)["code"] == "UNAUTHENTICATED"
    assert by_key.status_code == 200


async def test_a_server_that_only_accepts_rs256_issues_no_hs256_tokens(
    make_app: MakeApp,
) -> None:
    rs256_only = await make_app(jwt=JwtSettings(secret=JWT_SECRET, algorithms=["RS256"]))

    async with client_for(rs256_only, ADMIN_KEY) as admin:
        response = await admin.post("/api/v1/auth/token")

    assert response.status_code == 400
    assert error(response)["code"] == "INVALID_REQUEST"


# -- tokens of an identity provider, checked against its JWKS ---------------------------------


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def provider_key() -> rsa.RSAPrivateKey:
    return rsa_key()


@pytest.fixture(scope="module")
def jwks_url(provider_key: rsa.RSAPrivateKey) -> Iterator[str]:
    """A JWKS endpoint on a loopback port that publishes the provider's public key."""
    jwk = RSAAlgorithm.to_jwk(provider_key.public_key(), as_dict=True)
    document = json.dumps({"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/.well-known/jwks.json"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document if found else b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
async def jwks_app(make_app: MakeApp, jwks_url: str) -> FastAPI:
    return await make_app(jwt=JwtSettings(secret=None, jwks_url=jwks_url, algorithms=["RS256"]))


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def hs256_by_hand(body: dict[str, Any], secret: bytes) -> str:
    """The classic key confusion: HMAC keyed with the RSA public key (PyJWT refuses to make it)."""
    signed = f"{b64url({'alg': 'HS256', 'typ': 'JWT', 'kid': KID})}.{b64url(body)}"
    signature = hmac.new(secret, signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def rs256(body: dict[str, Any], key: rsa.RSAPrivateKey, kid: str = KID) -> str:
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


async def test_a_token_signed_by_the_jwks_key_works_with_its_scopes(
    jwks_app: FastAPI, provider_key: rsa.RSAPrivateKey
) -> None:
    async with client_for(jwks_app, ADMIN_KEY) as admin:
        workspace_id = await own_workspace_id(admin)
    token = rs256(claims(workspace_id, scopes=["integrations:read"]), provider_key)

    async with client_for(jwks_app, token) as holder:
        listed = await holder.get("/api/v1/integrations")
        written = await holder.post("/api/v1/integrations", json=CREATE)

    assert listed.status_code == 200
    assert data(listed)["items"] == []
    assert written.status_code == 403
    assert error(written)["code"] == "FORBIDDEN"


async def test_an_admin_scope_in_a_jwks_token_is_honoured(
    jwks_app: FastAPI, provider_key: rsa.RSAPrivateKey
) -> None:
    async with client_for(jwks_app, ADMIN_KEY) as admin:
        workspace_id = await own_workspace_id(admin)
    token = rs256(claims(workspace_id, scopes=["admin"]), provider_key)

    async with client_for(jwks_app, token) as holder:
        written = await holder.post("/api/v1/integrations", json=CREATE)

    assert written.status_code == 201
    assert data(written)["created_by"] == "someone@example.com"


FORGERIES: dict[str, Callable[[dict[str, Any], rsa.RSAPrivateKey], str]] = {
    "other-key-same-kid": lambda body, _: rs256(body, rsa_key()),
    "other-key-other-kid": lambda body, _: rs256(body, rsa_key(), kid="attacker"),
    "hs256-with-the-public-key": lambda body, key: hs256_by_hand(body, public_pem(key)),
    "hs256-with-the-test-secret": lambda body, _: hs256(body),
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
async def test_a_token_not_signed_by_the_jwks_key_is_401(
    jwks_app: FastAPI,
    provider_key: rsa.RSAPrivateKey,
    forge: Callable[[dict[str, Any], rsa.RSAPrivateKey], str],
) -> None:
    async with client_for(jwks_app, ADMIN_KEY) as admin:
        workspace_id = await own_workspace_id(admin)
    body = claims(workspace_id, scopes=["admin"])
    assert await status_with(jwks_app, rs256(body, provider_key)) == 200

    async with client_for(jwks_app, forge(body, provider_key)) as holder:
        response = await holder.get("/api/v1/integrations")

    assert response.status_code == 401
    assert error(response)["code"] == "UNAUTHENTICATED"


async def test_a_jwks_server_issues_no_tokens_itself(jwks_app: FastAPI) -> None:
    async with client_for(jwks_app, ADMIN_KEY) as admin:
        response = await admin.post("/api/v1/auth/token")

    assert response.status_code == 400
    assert error(response)["code"] == "INVALID_REQUEST"
