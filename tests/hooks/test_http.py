"""The generic HMAC verifier of `http` integrations: header, algorithm, encoding and prefix
come from `configuration.webhook`."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import data
from tests.hooks.conftest import SECRET, count_hooks, create_integration, flip_bit, provider_events

BODY = b'{"kind": "order.created", "id": 42}'


async def http_integration(client: httpx.AsyncClient, webhook: dict[str, Any]) -> str:
    return await create_integration(
        client,
        "http",
        {"api_key": "k", "webhook_secret": SECRET},
        {"api_url": "https://api.example.com", "webhook": webhook},
    )


async def test_the_defaults_match_interlinks_own_signatures(
    app: FastAPI, client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    integration = await http_integration(client, {})
    headers = {
        "X-Webhook-Signature": hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest(),
        "X-Webhook-Event": "order.created",
        "X-Webhook-Delivery": "dlv_1",
    }
    for _ in range(2):
        response = await anonymous.post(
            f"/api/v1/hooks/{integration}", content=BODY, headers=headers
        )
        assert response.status_code == 200
    assert data(response)["duplicate"] is True
    [event] = await provider_events(client, integration)
    assert event["event"] == "provider.http.order.created"
    assert await count_hooks(app) == 1


@pytest.mark.parametrize(
    ("algorithm", "encoding", "prefix"),
    [("sha1", "hex", "sha1="), ("sha512", "base64", ""), ("sha256", "base64", "v1,")],
)
async def test_configured_schemes(
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    algorithm: str,
    encoding: str,
    prefix: str,
) -> None:
    webhook = {
        "signature_header": "X-Sig",
        "algorithm": algorithm,
        "encoding": encoding,
        "prefix": prefix,
        "event_field": "kind",
    }
    integration = await http_integration(client, webhook)
    digest = hmac.new(SECRET.encode(), BODY, algorithm).digest()
    text = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
    url = f"/api/v1/hooks/{integration}"
    response = await anonymous.post(url, content=BODY, headers={"X-Sig": prefix + text})
    assert response.status_code == 200, response.text
    assert data(response)["event"] == "provider.http.order.created"
    tampered = await anonymous.post(
        url, content=flip_bit(BODY, 1), headers={"X-Sig": prefix + text}
    )
    assert tampered.status_code == 401
    no_prefix = await anonymous.post(url, content=BODY, headers={"X-Sig": text})
    assert no_prefix.status_code == 401 or prefix == ""


async def test_a_non_json_body_is_accepted(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    integration = await http_integration(client, {})
    body = b"\xff\xfe binary \x00"
    headers = {
        "X-Webhook-Signature": hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
        "Content-Type": "application/octet-stream",
    }
    response = await anonymous.post(f"/api/v1/hooks/{integration}", content=body, headers=headers)
    assert response.status_code == 200
    assert data(response)["event"] == "provider.http.received"


async def test_an_invalid_configuration_is_401_not_500(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    integration = await http_integration(client, {"algorithm": "md5"})
    headers = {"X-Webhook-Signature": hmac.new(SECRET.encode(), BODY, "md5").hexdigest()}
    response = await anonymous.post(f"/api/v1/hooks/{integration}", content=BODY, headers=headers)
    assert response.status_code == 401


async def test_a_body_sent_again_with_new_unsigned_headers_is_a_duplicate(
    app: FastAPI, client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    integration = await http_integration(client, {})
    signature = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    url = f"/api/v1/hooks/{integration}"
    first = {"X-Webhook-Signature": signature, "X-Webhook-Event": "order.created",
             "X-Webhook-Delivery": "dlv_1"}  # fmt: skip
    replay = {**first, "X-Webhook-Event": "order.refunded", "X-Webhook-Delivery": "dlv_2"}
    assert data(await anonymous.post(url, content=BODY, headers=first))["duplicate"] is False

    response = await anonymous.post(url, content=BODY, headers=replay)

    assert data(response)["duplicate"] is True
    [event] = await provider_events(client, integration)
    assert event["event"] == "provider.http.order.created"
    assert await count_hooks(app) == 1


async def test_with_an_event_field_the_unsigned_event_header_is_ignored(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    integration = await http_integration(client, {"event_field": "kind"})
    signature = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    headers = {"X-Webhook-Signature": signature, "X-Webhook-Event": "order.refunded"}
    response = await anonymous.post(f"/api/v1/hooks/{integration}", content=BODY, headers=headers)
    assert data(response)["event"] == "provider.http.order.created"

    body = b'{"id": 43}'  # no `kind`: the header does not stand in for it
    headers["X-Webhook-Signature"] = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = await anonymous.post(f"/api/v1/hooks/{integration}", content=body, headers=headers)
    assert data(response)["event"] == "provider.http.received"
