"""The hooks route itself: who may call it, what it refuses, and that bad input never becomes
a 500."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest
from fastapi import FastAPI

from interlink.core.ids import new_id
from tests.conftest import data, error
from tests.hooks.conftest import (
    SECRET,
    count_hooks,
    create_integration,
    github_signed,
    stored_hooks,
)

BODY = b'{"action": "opened", "issue": {"number": 1}}'


@pytest.mark.parametrize("integration_id", ["int_nope", "x" * 40, "int_" + "0" * 26])
async def test_an_unknown_integration_is_404(
    anonymous: httpx.AsyncClient, integration_id: str
) -> None:
    response = await anonymous.post(
        f"/api/v1/hooks/{integration_id}", content=BODY, headers=github_signed(BODY)
    )
    assert response.status_code == 404
    assert error(response)["code"] == "INTEGRATION_NOT_FOUND"


async def test_an_id_longer_than_any_is_refused_without_a_lookup(
    anonymous: httpx.AsyncClient,
) -> None:
    response = await anonymous.post(f"/api/v1/hooks/{'x' * 41}", content=BODY)
    assert response.status_code == 400


async def test_a_type_that_sends_no_webhooks_answers_like_an_unknown_id(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    jira = await create_integration(
        client,
        "jira",
        {"username": "bot@example.com", "password": "pw"},
        {"api_url": "https://example.atlassian.net", "auth_method": "basic"},
    )
    response = await anonymous.post(
        f"/api/v1/hooks/{jira}", content=BODY, headers=github_signed(BODY)
    )
    assert response.status_code == 404
    assert error(response)["code"] == "INTEGRATION_NOT_FOUND"


async def test_another_workspaces_integration_is_reachable_only_by_its_signature(
    other_workspace: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    # The URL has no workspace: the id and the signature are all there is.
    theirs = await create_integration(
        other_workspace, "github", {"access_token": "ghp_x", "webhook_secret": "theirs"}
    )
    response = await anonymous.post(
        f"/api/v1/hooks/{theirs}", content=BODY, headers=github_signed(BODY)
    )
    assert response.status_code == 401


async def test_no_api_key_is_needed_and_a_wrong_one_is_ignored(
    app: FastAPI, anonymous: httpx.AsyncClient, github: str
) -> None:
    headers = {**github_signed(BODY), "Authorization": "Bearer sk_wrong"}
    response = await anonymous.post(f"/api/v1/hooks/{github}", content=BODY, headers=headers)
    assert response.status_code == 200
    assert await count_hooks(app) == 1


async def test_a_body_over_the_limit_is_413(
    app: FastAPI, anonymous: httpx.AsyncClient, github: str
) -> None:
    body = b"x" * (app.state.services.settings.api.max_body_bytes + 1)
    response = await anonymous.post(
        f"/api/v1/hooks/{github}", content=body, headers=github_signed(body)
    )
    assert response.status_code == 413
    assert error(response)["code"] == "PAYLOAD_TOO_LARGE"
    assert await count_hooks(app) == 0


async def test_a_deactivated_integration_is_409_once_the_signature_verifies(
    app: FastAPI, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, github: str
) -> None:
    assert (await client.post(f"/api/v1/integrations/{github}/activate")).status_code == 200
    assert (await client.post(f"/api/v1/integrations/{github}/deactivate")).status_code == 200
    bad = await anonymous.post(
        f"/api/v1/hooks/{github}", content=BODY, headers=github_signed(b"other")
    )
    assert bad.status_code == 401
    response = await anonymous.post(
        f"/api/v1/hooks/{github}", content=BODY, headers=github_signed(BODY)
    )
    assert response.status_code == 409
    assert error(response)["code"] == "CONFLICT"
    assert await count_hooks(app) == 0
    await client.post(f"/api/v1/integrations/{github}/activate")
    again = await anonymous.post(
        f"/api/v1/hooks/{github}", content=BODY, headers=github_signed(BODY)
    )
    assert again.status_code == 200


async def test_hooks_without_delivery_ids_are_kept_once_per_body(
    app: FastAPI, client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    plain = await create_integration(
        client, "http", {"api_key": "k", "webhook_secret": SECRET},
        {"api_url": "https://api.example.com", "webhook": {"delivery_header": None}},
    )  # fmt: skip
    for body in (b'{"n": 1}', b'{"n": 2}', b'{"n": 1}'):
        signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        response = await anonymous.post(
            f"/api/v1/hooks/{plain}", content=body, headers={"X-Webhook-Signature": signature}
        )
        assert response.status_code == 200
    assert data(response)["duplicate"] is True
    assert await count_hooks(app) == 2


async def test_a_deleted_integration_takes_its_hooks_along(
    app: FastAPI, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, github: str
) -> None:
    await anonymous.post(f"/api/v1/hooks/{github}", content=BODY, headers=github_signed(BODY))
    assert (await client.delete(f"/api/v1/integrations/{github}")).status_code in {200, 204}
    assert await count_hooks(app) == 0
    response = await anonymous.post(
        f"/api/v1/hooks/{github}", content=BODY, headers=github_signed(BODY, "d-2")
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x00\xff",
        b'{"action": NaN}',
        b"[" * 5000,
        b'{"action": ' + b"9" * 5000 + b"}",
        json.dumps({"action": "a\u0000b\ud800"}).encode(),
        b'{"action": {"nested": "x"}}',
        b"payload=%ZZ&&=",
    ],
)
async def test_strange_bodies_with_good_signatures_never_500(
    anonymous: httpx.AsyncClient, github: str, body: bytes
) -> None:
    # An event type GitHub has published no payload shape for is taken as named, body and all.
    delivery = hashlib.sha1(body).hexdigest()  # noqa: S324
    headers = github_signed(body, delivery=delivery, event="not_yet_published")
    response = await anonymous.post(f"/api/v1/hooks/{github}", content=body, headers=headers)
    assert response.status_code == 200, response.text


async def test_a_strange_delivery_id_is_kept_as_a_digest(
    app: FastAPI, anonymous: httpx.AsyncClient, github: str
) -> None:
    headers = github_signed(BODY, delivery="x" * 500)
    response = await anonymous.post(f"/api/v1/hooks/{github}", content=BODY, headers=headers)
    assert response.status_code == 200
    [hook] = await stored_hooks(app)
    assert hook.delivery_id is not None
    assert hook.delivery_id.startswith("sha256:")


def test_hook_ids_have_their_prefix() -> None:
    assert new_id("hook").startswith("hook_")
