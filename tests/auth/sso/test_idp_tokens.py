"""The identity provider's tokens as API bearer tokens: verified by its JWKS and mapped by the same
rules as a console sign-in; refused where its issuer is not the configured one."""

from __future__ import annotations

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.auth.conftest import MakeApp
from tests.auth.sso.conftest import (
    ID_TOKEN_TTL,
    ShiftableClock,
    SsoApp,
    oidc_settings,
    raw_tokens,
    sso_of,
)
from tests.conftest import client_for, data, error
from tests.peers.oidc_provider import OidcPeer

CREATE = {"name": "Hooks", "type": "http", "configuration": {"api_url": "http://127.0.0.1:9"}}


@pytest.fixture
async def app_and_tokens(
    sso_app: SsoApp, oidc_peer: OidcPeer
) -> tuple[httpx.AsyncClient, dict[str, str]]:
    app = await sso_app(oidc=oidc_settings(oidc_peer))
    tokens = {
        login: (await raw_tokens(sso_of(app), oidc_peer, login))["id_token"]
        for login in ("alice", "carol", "bob")
    }
    return client_for(app, None), tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_an_admin_groups_token_may_write(
    app_and_tokens: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, tokens = app_and_tokens

    response = await client.post(
        "/api/v1/integrations", json=CREATE, headers=bearer(tokens["alice"])
    )

    assert response.status_code == 201, response.text
    assert data(response)["name"] == "Hooks"


async def test_a_read_only_groups_token_reads_and_may_not_write(
    app_and_tokens: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, tokens = app_and_tokens

    listed = await client.get("/api/v1/integrations", headers=bearer(tokens["carol"]))
    created = await client.post(
        "/api/v1/integrations", json=CREATE, headers=bearer(tokens["carol"])
    )

    assert listed.status_code == 200, listed.text
    assert created.status_code == 403
    assert error(created)["code"] == "FORBIDDEN"


async def test_a_token_of_someone_no_rule_maps_is_refused(
    app_and_tokens: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, tokens = app_and_tokens

    response = await client.get("/api/v1/integrations", headers=bearer(tokens["bob"]))

    assert response.status_code == 401
    assert error(response)["message"] == (
        "bob@example.test signed in, but no single sign-on rule gives them access here"
    )


async def test_an_expired_token_is_refused(
    app_and_tokens: tuple[httpx.AsyncClient, dict[str, str]], clock: ShiftableClock
) -> None:
    client, tokens = app_and_tokens
    clock.advance(ID_TOKEN_TTL + 1)

    response = await client.get("/api/v1/integrations", headers=bearer(tokens["alice"]))

    assert response.status_code == 401
    assert error(response)["message"] == "the identity provider's token has expired"


async def test_a_token_signed_with_another_key_is_refused(
    app_and_tokens: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, tokens = app_and_tokens
    claims = jwt.decode(tokens["carol"], options={"verify_signature": False})
    ours = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims | {"groups": ["ops"]}, ours, "RS256", {"kid": "test-key-1"})

    response = await client.get("/api/v1/integrations", headers=bearer(forged))

    assert response.status_code == 401
    assert "InvalidSignatureError" in error(response)["message"]


async def test_a_token_for_another_audience_is_refused(
    sso_app: SsoApp, oidc_peer: OidcPeer
) -> None:
    app = await sso_app(oidc=oidc_settings(oidc_peer, api_audiences=["https://api.example.test"]))
    token = (await raw_tokens(sso_of(app), oidc_peer, "alice"))["id_token"]

    async with client_for(app, None) as client:
        response = await client.get("/api/v1/integrations", headers=bearer(token))

    assert response.status_code == 401
    assert "InvalidAudienceError" in error(response)["message"]


async def test_a_token_of_an_issuer_not_configured_is_refused(
    sso_app: SsoApp, make_app: MakeApp, oidc_peer: OidcPeer
) -> None:
    with_sso = await sso_app(oidc=oidc_settings(oidc_peer))
    token = (await raw_tokens(sso_of(with_sso), oidc_peer, "alice"))["id_token"]
    without_sso = await make_app()

    async with client_for(without_sso, None) as client:
        response = await client.get("/api/v1/integrations", headers=bearer(token))

    assert response.status_code == 401
    assert error(response)["message"] == "token algorithm is not allowed"
