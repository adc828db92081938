"""Export, import and CSV downloads in the console, in process: the bundle downloaded (secrets
sealed only under an admin's passphrase), an upload's dry run shown as a plan then applied in
another workspace, refused bundles told on the page, and who may."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from tests.conftest import data
from tests.console.conftest import csrf_of, sign_in
from tests.console.readers import assert_clean, browser_with, post_form
from tests.transfer.conftest import PASSPHRASE, SECRETS, seed

PAGE = "/console/transfer"


async def _download(browser: httpx.AsyncClient, passphrase: str = "") -> httpx.Response:
    return await post_form(browser, PAGE, "/console/export", {"passphrase": passphrase})


async def _upload(
    browser: httpx.AsyncClient, bundle: bytes, passphrase: str = "", policy: str = "skip"
) -> httpx.Response:
    shown = await browser.get(PAGE)
    fields = {"csrf_token": csrf_of(shown.text), "passphrase": passphrase, "on_conflict": policy}
    files = {"bundle": ("bundle.json", bundle, "application/json")}
    return await browser.post("/console/import", data=fields, files=files)


def _apply_fields(page: str) -> dict[str, str]:
    """The apply form's hidden bundle, as the browser sends it back."""
    start = page.index('name="bundle" value="') + len('name="bundle" value="')
    raw = page[start : page.index('"', start)]
    text = raw.replace("&#34;", '"').replace("&quot;", '"').replace("&#39;", "'")
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return {"csrf_token": csrf_of(page), "bundle": text}


@asynccontextmanager
async def _other_workspace(
    app: FastAPI, client: httpx.AsyncClient
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """A browser signed in to a new workspace with its admin key, and an API client there."""
    made = data(await client.post("/api/v1/workspaces", json={"name": "Target"}))
    key = made["admin_key"]["key"]
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser,
        httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {key}"},
        ) as api,
    ):
        assert (await sign_in(browser, key)).status_code == 303
        yield browser, api


async def test_the_bundle_downloads_without_secrets(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient
) -> None:
    await seed(client)
    page = await signed_in.get(PAGE)
    assert 'name="passphrase" type="password"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    answer = await _download(signed_in)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["content-disposition"].startswith('attachment; filename="interlink-')
    bundle = answer.json()
    assert bundle["format_version"] == 1
    assert bundle["secrets"] is None
    assert {i["name"] for i in bundle["integrations"]} == {"Inline user", "Shared user"}
    assert not [s for s in SECRETS if s in answer.text]


async def test_a_passphrase_seals_the_secrets_in_and_a_short_one_is_told(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient
) -> None:
    await seed(client)
    sealed = await _download(signed_in, PASSPHRASE)
    assert sealed.json()["secrets"]["cipher"] == "AES-256-GCM"
    assert not [s for s in SECRETS if s in sealed.text]
    short = await _download(signed_in, "too short")
    assert short.status_code == 400
    assert "12 characters or more" in short.text


async def test_import_shows_the_dry_run_then_applies_it(
    app: FastAPI, client: httpx.AsyncClient, signed_in: httpx.AsyncClient
) -> None:
    await seed(client)
    bundle = (await _download(signed_in, PASSPHRASE)).content
    async with _other_workspace(app, client) as (target, api):
        wrong = await _upload(target, bundle)
        assert wrong.status_code == 400
        assert "give the passphrase it was exported with" in wrong.text
        plan = await _upload(target, bundle, PASSPHRASE)
        assert plan.status_code == 200, plan.text
        assert "What the import would change" in plan.text
        assert "<td>integration</td><td>Inline user</td>" in plan.text
        assert 'class="status action-create">create<' in plan.text
        assert_clean(plan.text, *SECRETS, PASSPHRASE)
        assert data(await api.get("/api/v1/integrations"))["items"] == []  # a dry run
        fields = {**_apply_fields(plan.text), "passphrase": PASSPHRASE, "on_conflict": "skip"}
        applied = await target.post("/console/import/apply", data=fields)
        assert applied.status_code == 200, applied.text
        assert "The bundle is imported." in applied.text
        names = {i["name"] for i in data(await api.get("/api/v1/integrations"))["items"]}
        assert names == {"Inline user", "Shared user"}
        again = await _upload(target, bundle, PASSPHRASE)
        assert "create: 0" in again.text


async def test_a_bundle_that_cannot_be_read_is_told(signed_in: httpx.AsyncClient) -> None:
    for sent, told in (
        (b"{not json", "The file is not JSON"),
        (json.dumps({"format_version": 99}).encode(), "this server reads format version 1"),
        (b"", "Choose a bundle file"),
        (b"\xff\xfe", "not UTF-8"),
    ):
        answer = await _upload(signed_in, sent)
        assert answer.status_code == 400, sent
        assert told in answer.text
        assert 'id="import-error"' in answer.text


async def test_import_and_secrets_are_for_admins_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await seed(client)
    reads = ("integrations:read", "credentials:read", "workflows:read", "webhooks:read")
    async with browser_with(app, client, *reads) as (reader, _):
        page = await reader.get(PAGE)
        assert 'name="passphrase"' not in page.text
        assert "/console/import" not in page.text
        assert (await _download(reader)).status_code == 200
        assert (await _download(reader, PASSPHRASE)).status_code == 403
        refused = await _upload(reader, b"{}")
        assert refused.status_code == 403
    async with browser_with(app, client, "integrations:read") as (narrow, _):
        page = await narrow.get(PAGE)
        assert "Download the bundle" not in page.text
        assert "this key lacks some" in page.text
        refused = await post_form(narrow, "/console/", "/console/export")
        assert refused.status_code == 403  # export reads every kind


async def test_the_lists_download_as_csv_with_their_filters(
    app: FastAPI, client: httpx.AsyncClient, signed_in: httpx.AsyncClient
) -> None:
    ids = await seed(client)
    listing = await signed_in.get("/console/integrations", params={"status": "active"})
    assert 'href="/console/export/integrations.csv?status=active" download' in listing.text
    csv = await signed_in.get("/console/export/integrations.csv", params={"status": "active"})
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "Inline user" in csv.text
    assert "Shared user" not in csv.text
    events = await signed_in.get("/console/events", params={"type": "integration.created"})
    assert "/console/export/events.csv?type=integration.created" in events.text
    assert "Inline user" in (await signed_in.get("/console/export/events.csv")).text
    executions = await signed_in.get("/console/executions")
    assert 'href="/console/export/executions.csv" download' in executions.text
    page = await signed_in.get(f"/console/integrations/{ids['inline']}")
    assert f"/console/export/operations.csv?integration_id={ids['inline']}" in page.text
    bad = await signed_in.get("/console/export/integrations.csv", params={"status": "nope"})
    assert bad.status_code == 400
    async with browser_with(app, client, "integrations:read") as (reader, _):
        assert (await reader.get("/console/export/executions.csv")).status_code == 403
    signed_out = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    async with signed_out:
        assert (await signed_out.get("/console/export/integrations.csv")).status_code == 303
