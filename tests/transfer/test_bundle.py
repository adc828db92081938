"""Export and import through the API on one server: secrets, dry runs, conflicts, refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import data, error
from tests.transfer.conftest import PASSPHRASE, SECRETS, seed, snapshot


async def export(client: httpx.AsyncClient, passphrase: str | None = None) -> dict[str, Any]:
    headers = {"X-Bundle-Passphrase": passphrase} if passphrase else {}
    found: dict[str, Any] = data(await client.get("/api/v1/export", headers=headers))
    return found


async def import_(
    client: httpx.AsyncClient, bundle: Any, passphrase: str | None = None, **params: Any
) -> httpx.Response:
    headers = {"X-Bundle-Passphrase": passphrase} if passphrase else {}
    return await client.post("/api/v1/import", json=bundle, params=params, headers=headers)


async def test_the_default_bundle_holds_no_secret_and_says_which_were_left_out(
    client: httpx.AsyncClient,
) -> None:
    await seed(client)
    bundle = await export(client)
    text = json.dumps(bundle)
    assert not [secret for secret in SECRETS if secret in text]
    assert bundle["format_version"] == 1
    assert bundle["secrets"] is None
    shared = next(c for c in bundle["credentials"] if c["name"] == "Shared key")
    assert shared["secret_fields"] == ["api_key"]
    hook = bundle["webhook_endpoints"][0]
    assert hook["secret_headers"] == ["Authorization"]
    assert hook["headers"] == {"X-Team": "core"}
    assert [len(w["versions"]) for w in bundle["workflows"]] == [2]


async def test_sealed_secrets_are_not_readable_in_the_bundle(client: httpx.AsyncClient) -> None:
    await seed(client)
    bundle = await export(client, PASSPHRASE)
    assert not [secret for secret in SECRETS if secret in json.dumps(bundle)]
    assert bundle["secrets"]["kdf"]["name"] == "argon2id"
    assert bundle["secrets"]["cipher"] == "AES-256-GCM"


async def test_export_needs_every_read_scope_and_secrets_need_admin(
    client: httpx.AsyncClient, key_client: Callable[..., Any]
) -> None:
    await seed(client)
    narrow = await key_client("integrations:read")
    assert error(await narrow.get("/api/v1/export"))["code"] == "FORBIDDEN"
    reader = await key_client(
        "integrations:read", "credentials:read", "workflows:read", "webhooks:read"
    )
    assert (await reader.get("/api/v1/export")).status_code == 200
    sealed = await reader.get("/api/v1/export", headers={"X-Bundle-Passphrase": PASSPHRASE})
    assert error(sealed)["code"] == "FORBIDDEN"
    refused = await import_(reader, await export(client), dry_run="true")
    assert error(refused)["code"] == "FORBIDDEN"


async def test_a_dry_run_says_what_would_change_and_changes_nothing(
    client: httpx.AsyncClient, other_workspace: httpx.AsyncClient
) -> None:
    await seed(client)
    bundle = await export(client, PASSPHRASE)
    before = await snapshot(other_workspace)
    events = data(await other_workspace.get("/api/v1/events"))["pagination"]["total_items"]
    plan = data(await import_(other_workspace, bundle, PASSPHRASE, dry_run="true"))
    assert plan["dry_run"] is True
    assert {(i["kind"], i["action"]) for i in plan["items"]} == {
        (kind, "create") for kind in (
            "custom_provider", "credential", "integration", "ai_route", "workflow",
            "webhook_endpoint",
        )
    }  # fmt: skip
    assert await snapshot(other_workspace) == before
    assert data(await other_workspace.get("/api/v1/events"))["pagination"]["total_items"] == events


async def test_the_same_bundle_twice_changes_nothing_the_second_time(
    client: httpx.AsyncClient, other_workspace: httpx.AsyncClient
) -> None:
    await seed(client)
    bundle = await export(client, PASSPHRASE)
    first = data(await import_(other_workspace, bundle, PASSPHRASE, on_conflict="overwrite"))
    assert first["counts"]["create"] == 7
    after = await snapshot(other_workspace)
    again = data(await import_(other_workspace, bundle, PASSPHRASE, on_conflict="overwrite"))
    assert again["counts"] == {"create": 0, "update": 0, "skip": 7, "conflict": 0}
    assert await snapshot(other_workspace) == after == await snapshot(client)


async def test_without_secrets_an_import_leaves_them_to_give(
    client: httpx.AsyncClient, other_workspace: httpx.AsyncClient
) -> None:
    await seed(client)
    result = data(await import_(other_workspace, await export(client)))
    needs = {i["name"]: i["needs_secret"] for i in result["items"] if i["needs_secret"]}
    assert needs["Shared key"] == ["api_key"]
    assert needs["Inline user"] == ["api_key"]
    assert needs["Shared user"][0].startswith("credential_id")
    assert needs["Ops hook"][1] == "headers.Authorization"
    again = data(await import_(other_workspace, await export(client)))
    assert again["counts"]["create"] == again["counts"]["update"] == 0


async def _changed(client: httpx.AsyncClient, other: httpx.AsyncClient) -> dict[str, Any]:
    """A bundle imported into `other`, whose integration `Inline user` then changed there."""
    await seed(client)
    bundle = await export(client, PASSPHRASE)
    data(await import_(other, bundle, PASSPHRASE))
    found = data(await other.get("/api/v1/integrations", params={"page_size": 100}))["items"]
    inline = next(i for i in found if i["name"] == "Inline user")
    await other.patch(f"/api/v1/integrations/{inline['id']}", json={"description": "changed"})
    return bundle


async def test_on_conflict_skip_leaves_what_differs(
    client: httpx.AsyncClient, other_workspace: httpx.AsyncClient
) -> None:
    bundle = await _changed(client, other_workspace)
    result = data(await import_(other_workspace, bundle, PASSPHRASE, on_conflict="skip"))
    conflict = [i for i in result["items"] if i["action"] == "conflict"]
    assert [(i["name"], i["changes"]) for i in conflict] == [("Inline user", ["description"])]
    names = [i["name"] for i in await _integrations(other_workspace)]
    assert sorted(names) == ["Inline user", "Shared user"]


async def test_on_conflict_overwrite_makes_it_as_the_bundle_says(
    client: httpx.AsyncClient, other_workspace: httpx.AsyncClient
) -> None:
    bundle = await _changed(client, other_workspace)
    result = data(await import_(other_workspace, bundle, PASSPHRASE, on_conflict="overwrite"))
    assert [i["name"] for i in result["items"] if i["action"] == "update"] == ["Inline user"]
    inline = next(i for i in await _integrations(other_workspace) if i["name"] == "Inline user")
    assert inline["description"] is None


async def test_on_conflict_rename_imports_a_copy_once(
    client: httpx.AsyncClient, other_workspace: httpx.AsyncClient
) -> None:
    bundle = await _changed(client, other_workspace)
    result = data(await import_(other_workspace, bundle, PASSPHRASE, on_conflict="rename"))
    created = [i for i in result["items"] if i["action"] == "create"]
    # the workflow calls the integration by id: its copy calls the renamed copy
    assert [i["target_name"] for i in created] == ["Inline user (imported)", "Nightly (imported)"]
    again = data(await import_(other_workspace, bundle, PASSPHRASE, on_conflict="rename"))
    assert again["counts"]["create"] == 0
    names = sorted(i["name"] for i in await _integrations(other_workspace))
    assert names == ["Inline user", "Inline user (imported)", "Shared user"]


async def test_a_wrong_passphrase_is_refused_and_imports_nothing(
    client: httpx.AsyncClient, other_workspace: httpx.AsyncClient
) -> None:
    await seed(client)
    bundle = await export(client, PASSPHRASE)
    refused = await import_(other_workspace, bundle, "not the right passphrase")
    assert refused.status_code == 400
    assert error(refused)["code"] == "WRONG_PASSPHRASE"
    missing = await import_(other_workspace, bundle)
    assert error(missing)["details"] == [
        {"field": "passphrase", "message": "required for this bundle"}
    ]
    assert await _integrations(other_workspace) == []


async def test_another_format_version_is_refused_naming_both(client: httpx.AsyncClient) -> None:
    bundle = {**await export(client), "format_version": 2}
    refused = await import_(client, bundle)
    assert refused.status_code == 400
    found = error(refused)
    assert found["code"] == "BUNDLE_VERSION_UNSUPPORTED"
    assert "format version 2" in found["message"]
    assert "format version 1" in found["message"]


async def test_a_malformed_bundle_names_its_bad_fields(client: httpx.AsyncClient) -> None:
    bundle = await export(client)
    bundle["integrations"] = [{"name": 5}]
    found = error(await import_(client, bundle))
    assert found["code"] == "INVALID_BUNDLE"
    fields = {d["field"] for d in found["details"]}
    assert {"integrations.0.name", "integrations.0.id", "integrations.0.type"} <= fields


async def test_a_failure_midway_leaves_nothing_imported(
    client: httpx.AsyncClient, other_workspace: httpx.AsyncClient
) -> None:
    await seed(client)
    bundle = await export(client, PASSPHRASE)
    step = bundle["workflows"][0]["versions"][-1]["steps"][0]
    step["config"]["operation"] = "no_such_operation"  # refused after the integrations exist
    refused = await import_(other_workspace, bundle, PASSPHRASE)
    assert refused.status_code == 400, refused.text
    assert await _integrations(other_workspace) == []
    assert data(await other_workspace.get("/api/v1/credentials"))["items"] == []


async def _integrations(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    found = data(await client.get("/api/v1/integrations", params={"page_size": 100}))
    return list(found["items"])


async def test_overwriting_without_secrets_keeps_the_secrets_held_here(
    client: httpx.AsyncClient, other_workspace: httpx.AsyncClient
) -> None:
    await seed(client)
    data(await import_(other_workspace, await export(client, PASSPHRASE), PASSPHRASE))
    hook = data(await other_workspace.get("/api/v1/webhooks"))["items"][0]
    await other_workspace.put(
        f"/api/v1/webhooks/{hook['id']}", json={"events": ["integration.deleted"]}
    )
    result = data(await import_(other_workspace, await export(client), on_conflict="overwrite"))
    updated = next(i for i in result["items"] if i["kind"] == "webhook_endpoint")
    assert (updated["action"], updated["changes"], updated["needs_secret"]) == (
        "update", ["events"], [],
    )  # fmt: skip
    again = data(await other_workspace.get(f"/api/v1/webhooks/{hook['id']}"))
    assert again["events"] == ["integration.created"]
    assert set(again["headers"]) == {"Authorization", "X-Team"}
    sealed = await export(other_workspace, PASSPHRASE)
    assert data(await import_(client, sealed, PASSPHRASE))["counts"]["update"] == 0
