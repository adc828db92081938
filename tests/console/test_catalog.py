"""Creating an integration from the catalog in the console, and rotating its credentials, in
process: the form built from a provider's facts, its errors told in the form, the new
integration's page, and what a read-only key sees and is refused."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web
from fastapi import FastAPI

from interlink.providers.custom.sample import SAMPLE
from tests.conftest import data
from tests.console.readers import assert_clean, browser_with, post_form
from tests.helpers.servers import serve_app

SECRET = "sk_catalog_secret_value_9d2e71"
ROTATED = "sk_rotated_secret_value_51b0c3"


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[str, list[str]]]:
    """A loopback API that answers every path and keeps each call's Authorization header."""
    seen: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    async with serve_app(app) as url:
        yield url, seen


async def _integrations(client: httpx.AsyncClient) -> list[dict[str, object]]:
    items: list[dict[str, object]] = data(await client.get("/api/v1/integrations"))["items"]
    return items


async def test_the_catalog_lists_the_provider_types(signed_in: httpx.AsyncClient) -> None:
    page = await signed_in.get("/console/catalog")
    assert page.status_code == 200
    for name in ("Zendesk", "GitHub", "Stripe"):
        assert f"<strong>{name}</strong>" in page.text
    assert 'href="/console/catalog/zendesk"' in page.text
    listing = await signed_in.get("/console/integrations")
    assert 'href="/console/catalog">Create an integration' in listing.text


async def test_the_form_is_built_from_the_providers_facts(signed_in: httpx.AsyncClient) -> None:
    page = await signed_in.get("/console/catalog/zendesk")
    assert page.status_code == 200
    assert 'name="subdomain"' in page.text  # its base URL's template field
    assert "<option selected>basic</option><option>oauth</option>" in page.text
    assert 'name="credential.basic.username" type="password"' in page.text
    assert 'name="credential.oauth.access_token" type="password"' in page.text
    stripe = await signed_in.get("/console/catalog/stripe")
    assert 'name="credential.api_key.secret_key" type="password"' in stripe.text
    missing = await signed_in.get("/console/catalog/no_such_type")
    assert missing.status_code == 404


async def test_create_from_the_form_opens_the_new_integration(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient, upstream: tuple[str, list[str]]
) -> None:
    url, _ = upstream
    form = {
        "name": "Billing API", "description": "made in the console", "api_url": url,
        "auth_method": "api_key", "credential.api_key.api_key": SECRET,
        "credential.basic.username": "ignored", "configuration": '{"request_timeout": 5}',
    }  # fmt: skip
    made = await post_form(signed_in, "/console/catalog/http", "/console/catalog/http", form)
    assert made.status_code == 303, made.text
    created = await _integrations(client)
    assert [i["name"] for i in created] == ["Billing API"]
    assert made.headers["location"] == f"/console/integrations/{created[0]['id']}?notice=created"
    page = await signed_in.get(made.headers["location"])
    assert "The integration is created." in page.text
    assert "api_key <span" in page.text  # the credential's field, set; never its value
    assert "<code>5</code>" in page.text
    assert_clean(page.text, SECRET)
    described = data(await client.get(f"/api/v1/integrations/{created[0]['id']}"))
    assert described["configuration"]["auth_method"] == "api_key"
    assert sorted(described["credentials"]) == ["api_key"]


@pytest.mark.parametrize(
    ("form", "told"),
    [
        ({"name": ""}, "name: String should have at least 1 character"),
        ({"configuration": "[1, 2"}, "Other configuration: The input is not JSON"),
        ({"configuration": "[1]"}, "Other configuration: The input must be a JSON object"),
        ({"api_url": "not a url"}, "configuration.api_url"),
        ({"credential.api_key.api_key": ""}, ""),
        ({"auth_method": "basic", "credential.basic.username": "u"}, "required: password"),
    ],
)
async def test_a_wrong_form_is_told_in_the_form_and_creates_nothing(
    client: httpx.AsyncClient,
    signed_in: httpx.AsyncClient,
    upstream: tuple[str, list[str]],
    form: dict[str, str],
    told: str,
) -> None:
    sent = {"name": "Bad", "api_url": upstream[0], "credential.api_key.api_key": SECRET, **form}
    answer = await post_form(signed_in, "/console/catalog/http", "/console/catalog/http", sent)
    if not told:  # no credentials at all: the API creates one without, so does the console
        assert answer.status_code == 303
        return
    assert answer.status_code == 400, answer.text
    assert 'role="alert" id="create-error"' in answer.text
    assert told in answer.text
    assert f'value="{form.get("api_url", upstream[0])}"' in answer.text  # what was typed stays
    assert_clean(answer.text, SECRET)
    assert await _integrations(client) == []


async def test_a_type_without_a_default_address_asks_for_one(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient
) -> None:
    sent = {"name": "Support", "auth_method": "basic", "credential.basic.username": "a",
            "credential.basic.password": SECRET}  # fmt: skip
    answer = await post_form(
        signed_in, "/console/catalog/zendesk", "/console/catalog/zendesk", sent
    )
    assert answer.status_code == 400
    assert "Zendesk has no default address" in answer.text
    assert await _integrations(client) == []


async def test_rotate_credentials_replaces_them(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient, upstream: tuple[str, list[str]]
) -> None:
    url, seen = upstream
    sent = {"name": "Rotating", "api_url": url, "credential.api_key.api_key": SECRET}
    made = await post_form(signed_in, "/console/catalog/http", "/console/catalog/http", sent)
    page = made.headers["location"].partition("?")[0]
    shown = await signed_in.get(page)
    assert 'name="credential.api_key.api_key" type="password"' in shown.text
    empty = await post_form(signed_in, page, f"{page}/credentials", {})
    assert empty.headers["location"].endswith("?notice=not_rotated")
    rotated = await post_form(
        signed_in, page, f"{page}/credentials", {"credential.api_key.api_key": ROTATED}
    )
    assert rotated.headers["location"] == f"{page}?notice=rotated"
    after = await signed_in.get(rotated.headers["location"])
    assert "The credentials are replaced" in after.text
    assert_clean(after.text, SECRET, ROTATED)
    integration_id = page.rsplit("/", 1)[1]
    await client.post(f"/api/v1/integrations/{integration_id}/activate")
    ran = await client.post(
        f"/api/v1/integrations/{integration_id}/operations/request",
        json={"parameters": {"method": "GET", "path": "/me"}},
    )
    assert ran.status_code == 200, ran.text
    assert seen
    assert ROTATED in seen[-1]


async def test_a_read_only_key_sees_no_create_and_is_refused(
    app: FastAPI, client: httpx.AsyncClient, upstream: tuple[str, list[str]]
) -> None:
    async with browser_with(app, client, "integrations:read") as (reader, _):
        page = await reader.get("/console/catalog")
        assert page.status_code == 200
        assert "Create…" not in page.text
        assert "Create an integration</a>" not in (await reader.get("/console/integrations")).text
        assert (await reader.get("/console/catalog/http")).status_code == 403
        sent = {"name": "Nope", "api_url": upstream[0]}
        refused = await post_form(reader, "/console/catalog", "/console/catalog/http", sent)
        assert refused.status_code == 403
        assert await _integrations(client) == []
        made = data(await client.post("/api/v1/integrations", json={
            "name": "Theirs", "type": "http", "configuration": {"api_url": upstream[0]},
            "credentials": {"api_key": SECRET},
        }))  # fmt: skip
        page = f"/console/integrations/{made['id']}"
        assert "Rotate credentials" not in (await reader.get(page)).text
        fields = {"credential.api_key.api_key": ROTATED}
        rotated = await post_form(reader, page, f"{page}/credentials", fields)
        assert rotated.status_code == 403
        assert "integrations:write" in rotated.text


async def test_a_custom_provider_is_created_from_its_own_entry(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient, upstream: tuple[str, list[str]]
) -> None:
    declaration = {**copy.deepcopy(SAMPLE), "base_url": f"{upstream[0]}/v1"}
    assert (await client.post("/api/v1/custom-providers", json=declaration)).status_code == 201
    page = await signed_in.get("/console/catalog")
    assert 'href="/console/catalog/custom?provider=acme"' in page.text
    assert 'href="/console/catalog/custom"' not in page.text  # the bare type needs a provider
    form = "/console/catalog/custom?provider=acme"
    shown = await signed_in.get(form)
    assert '<input type="hidden" name="provider" value="acme">' in shown.text
    sent = {"name": "Acme items", "provider": "acme", "credential.api_key.api_key": SECRET}
    made = await post_form(signed_in, form, "/console/catalog/custom", sent)
    assert made.status_code == 303, made.text
    [created] = await _integrations(client)
    described = data(await client.get(f"/api/v1/integrations/{created['id']}"))
    assert described["configuration"]["provider"] == "acme"
