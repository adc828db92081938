"""A workspace with one of every kind a bundle holds, made through the API, and what to compare
between two servers."""

from __future__ import annotations

import base64
import copy
from typing import Any

import httpx

from interlink.providers.custom.sample import SAMPLE
from tests.conftest import data

UPSTREAM = "http://127.0.0.1:9"
SHARED_SECRET = "shared-secret-value-0451"
INLINE_SECRET = "inline-secret-value-1138"
HEADER_SECRET = "header-secret-value-2187"
SIGNING_SECRET = "whsec_" + base64.b64encode(b"signing-secret-value-7f3a9").decode()
SECRETS = (SHARED_SECRET, INLINE_SECRET, HEADER_SECRET, SIGNING_SECRET)
PASSPHRASE = "correct horse battery staple"


async def seed(client: httpx.AsyncClient) -> dict[str, str]:
    """Two versions of a custom provider, a shared credential, an integration with its own
    credential (active) and one on the shared one, a workflow with two versions, a webhook
    endpoint with a secret header, and an AI route with two versions."""
    declaration = {**copy.deepcopy(SAMPLE), "base_url": f"{UPSTREAM}/v1"}
    assert (await client.post("/api/v1/custom-providers", json=declaration)).status_code == 201
    changed = {**declaration, "description": "Acme's items API, v2"}
    assert (await client.put("/api/v1/custom-providers/acme", json=changed)).status_code == 200
    credential = data(await client.post("/api/v1/credentials", json={
        "name": "Shared key", "type": "api_key", "provider": "http",
        "data": {"api_key": SHARED_SECRET}, "allowed_hosts": ["127.0.0.1"],
        "metadata": {"team": "core"},
    }))  # fmt: skip
    inline = data(await client.post("/api/v1/integrations", json={
        "name": "Inline user", "type": "http", "metadata": {"department": "eng"},
        "configuration": {"api_url": UPSTREAM, "auth_method": "api_key"},
        "credentials": {"api_key": INLINE_SECRET},
    }))  # fmt: skip
    await client.post(f"/api/v1/integrations/{inline['id']}/activate")
    shared = data(await client.post("/api/v1/integrations", json={
        "name": "Shared user", "type": "http", "metadata": {"department": "ops"},
        "configuration": {"api_url": UPSTREAM, "auth_method": "api_key"},
        "credential_id": credential["id"],
    }))  # fmt: skip
    step = {"name": "call", "type": "action", "config": {
        "integration_id": inline["id"], "operation": "request",
        "parameters": {"method": "GET", "path": "/things"},
    }}  # fmt: skip
    workflow = data(await client.post("/api/v1/workflows", json={
        "name": "Nightly", "definition": {"steps": [step]},
    }))  # fmt: skip
    step2 = {**step, "config": {**step["config"], "parameters": {"method": "GET", "path": "/v2"}}}
    patched = await client.patch(
        f"/api/v1/workflows/{workflow['id']}", json={"definition": {"steps": [step2]}}
    )
    assert patched.status_code == 200, patched.text
    hook = await client.post("/api/v1/webhooks", json={
        "name": "Ops hook", "url": f"{UPSTREAM}/hook", "events": ["integration.created"],
        "secret": SIGNING_SECRET,
        "headers": {"Authorization": f"Bearer {HEADER_SECRET}", "X-Team": "core"},
    })  # fmt: skip
    assert hook.status_code == 201, hook.text
    target = {"integration": "Inline user", "model": "m1"}
    route = await client.post("/api/v1/ai/routes", json={"name": "smart", "targets": [target]})
    assert route.status_code == 201, route.text
    second = {"description": "two targets", "targets": [target, {**target, "model": "m2"}]}
    assert (await client.put("/api/v1/ai/routes/smart", json=second)).status_code == 200
    return {"inline": inline["id"], "shared": shared["id"], "credential": credential["id"],
            "workflow": workflow["id"]}  # fmt: skip


async def listing(client: httpx.AsyncClient, path: str) -> list[dict[str, Any]]:
    found = data(await client.get(f"/api/v1/{path}", params={"page_size": 100}))
    return list(found["items"])


_VOLATILE = {"id", "created_at", "updated_at", "activated_at", "deactivated_at", "created_by",
             "credential_id", "stats", "health", "integration_id", "webhook_url", "secret",
             "previous_secret_expires_at", "failing_since", "last_check"}  # fmt: skip


def comparable(value: Any, ids: dict[str, str]) -> Any:
    """`value` without what differs between servers by nature (ids, times, authors), ids inside
    it replaced by their names."""
    if isinstance(value, dict):
        return {k: comparable(v, ids) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [comparable(v, ids) for v in value]
    if isinstance(value, str):
        return ids.get(value, value)
    return value


async def snapshot(client: httpx.AsyncClient) -> dict[str, Any]:
    """What a user sees of every kind a bundle holds, comparable between two servers."""
    integrations = await listing(client, "integrations")
    ids = {i["id"]: f"integration:{i['name']}" for i in integrations}
    credentials = await listing(client, "credentials")
    ids |= {c["id"]: f"credential:{c['name']}" for c in credentials}
    shown = [data(await client.get(f"/api/v1/integrations/{i['id']}")) for i in integrations]
    bound = {i["name"]: ids.get(i["credential_id"] or "", "own") for i in shown}
    workflows = await listing(client, "workflows")
    providers = await listing(client, "custom-providers")
    routes = await listing(client, "ai/routes")
    return comparable({
        "integrations": sorted(shown, key=lambda i: i["name"]), "bound": bound,
        "credentials": sorted(credentials, key=lambda c: c["name"]),
        "workflows": workflows, "webhooks": await listing(client, "webhooks"),
        "custom_providers": providers,
        "provider_v1": await _found(client, "custom-providers/acme?version=1"),
        "routes": routes,
        "route_v1": await _found(client, "ai/routes/smart?version=1"),
    }, ids)  # fmt: skip


async def _found(client: httpx.AsyncClient, path: str) -> Any:
    response = await client.get(f"/api/v1/{path}")
    return None if response.status_code == 404 else data(response)
