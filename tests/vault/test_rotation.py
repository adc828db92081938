"""Key rotation while a service runs: a new key, every secret re-sealed under it, the old keys
retired, and the running service, a fresh start and replays of idempotent requests still reading
everything. With a key file (made here) and with keys from the environment (given by the
operator)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from interlink.config import Settings
from interlink.core.clock import SystemClock
from interlink.core.ids import new_id
from interlink.idempotency.service import IdempotencyStore
from interlink.vault.keyring import Keyring, key_id_of, new_key
from interlink.vault.lifecycle import VaultKeys
from interlink.vault.masking import MASK
from interlink.vault.models import Credential
from interlink.vault.rotation import Resealer, RotationReport, rotate
from interlink.vault.service import credential_aad
from tests.conftest import ADMIN_KEY, client_for, data
from tests.integrations.seed import CREATE, JIRA
from tests.vault.conftest import (
    CREDENTIAL,
    SECRET,
    create_credential,
    env_vault,
    key_file,
    rows,
    running,
    started,
)

RESEALERS: list[Resealer] = [VaultKeys.reseal_credentials, IdempotencyStore.reseal]
K1, K2 = new_key(), new_key()


async def rotate_now(settings: Settings, resealers: list[Resealer] = RESEALERS) -> RotationReport:
    return await rotate(settings, SystemClock(), resealers, grace_seconds=0)


async def write_everything(http: httpx.AsyncClient) -> dict[str, Any]:
    """Credentials, integrations holding inline credentials, and a stored idempotent response."""
    first = await create_credential(http)
    second = await create_credential(http, name="Mailer", data={"user": "mailer", "password": "pw"})
    integrations = []
    for body in (CREATE, JIRA):
        response = await http.post("/api/v1/integrations", json=body)
        assert response.status_code == 201, response.text
        integrations.append(data(response))
    once = {**CREDENTIAL, "name": "Created once"}
    idempotent = await http.post(
        "/api/v1/credentials", json=once, headers={"Idempotency-Key": "create-once"}
    )
    assert idempotent.status_code == 201, idempotent.text
    return {
        "credentials": {first["id"]: "ops-bot", second["id"]: "mailer"},
        "integrations": {i["id"]: i["credentials"] for i in integrations},
        "replay": (once, idempotent.json()),
    }


async def sealed_key_ids(settings: Settings) -> dict[str, set[str]]:
    return {
        "credentials": {k for (k,) in await rows(settings, "SELECT key_id FROM credentials")},
        "responses": {
            k
            for (k,) in await rows(
                settings, "SELECT key_id FROM idempotency_keys WHERE key_id IS NOT NULL"
            )
        },
        "checks": {k for (k,) in await rows(settings, "SELECT key_id FROM vault_key_checks")},
    }


async def sealed_count(settings: Settings) -> int:
    [(credentials,)] = await rows(settings, "SELECT count(*) FROM credentials")
    [(responses,)] = await rows(
        settings, "SELECT count(*) FROM idempotency_keys WHERE key_id IS NOT NULL"
    )
    return int(credentials) + int(responses)


async def reads_everything(http: httpx.AsyncClient, written: dict[str, Any]) -> None:
    """Every credential and integration answers with its visible fields, which needs the
    secret to open; the idempotent POST replays its first answer."""
    for credential_id, username in written["credentials"].items():
        response = await http.get(f"/api/v1/credentials/{credential_id}")
        assert response.status_code == 200, response.text
        assert username in data(response)["data"].values()
    for integration_id, credentials in written["integrations"].items():
        response = await http.get(f"/api/v1/integrations/{integration_id}")
        assert response.status_code == 200, response.text
        assert data(response)["credentials"] == credentials
    listing = await http.get("/api/v1/credentials?page_size=100")
    assert listing.status_code == 200, listing.text
    body, first_answer = written["replay"]
    replay = await http.post(
        "/api/v1/credentials", json=body, headers={"Idempotency-Key": "create-once"}
    )
    assert replay.status_code == 201, replay.text
    assert replay.headers.get("idempotent-replayed") == "true"
    assert replay.json() == first_answer


# -- with the key file ----------------------------------------------------------------------------
async def test_rotation_while_the_service_runs_reseals_everything_and_retires_the_old_key(
    settings: Settings, app: FastAPI, client: httpx.AsyncClient
) -> None:
    written = await write_everything(client)
    assert (await sealed_key_ids(settings))["credentials"] == {"k1"}
    to_reseal = await sealed_count(settings)
    old_key = key_file(settings)["keys"]["k1"]

    report = await rotate_now(settings)

    assert report == RotationReport(
        new_key_id="k2", retired_key_ids=["k1"], resealed=to_reseal, key_file_updated=True
    )
    document = key_file(settings)
    assert document["active"] == "k2"
    assert list(document["keys"]) == ["k2"]
    assert document["keys"]["k2"] != old_key
    assert await sealed_key_ids(settings) == {
        "credentials": {"k2"}, "responses": {"k2"}, "checks": {"k2"}
    }  # fmt: skip
    # The service that ran through the rotation reads everything and writes under the new key.
    await reads_everything(client, written)
    new = await create_credential(client, name="After rotation")
    [(key_id,)] = await rows(
        settings, "SELECT key_id FROM credentials WHERE id = :id", id=new["id"]
    )
    assert key_id == "k2"
    # And so does a fresh start.
    async with started(settings) as fresh, client_for(fresh, ADMIN_KEY) as http:
        assert fresh.state.prepared.created_key_file is None
        await reads_everything(http, written)


async def test_a_write_that_raced_the_switch_is_caught_by_the_last_sweep(
    settings: Settings, app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A credential sealed under the old key that commits after the first sweep (the service had
    sealed it just before the key file changed) is re-sealed by the sweep after the switch."""
    workspace_id = data(await client.get("/api/v1/workspaces"))["items"][0]["id"]
    late: dict[str, str] = {}
    sweeps = {"calls": 0}

    async def late_writer(session: Any, keyring: Keyring, old: set[str]) -> int:
        sweeps["calls"] += 1
        if sweeps["calls"] == 2:  # the last sweep: the key file now holds only the new key
            late["id"] = await _insert_sealed_under(session, keyring, workspace_id, min(old))
        return 0

    report = await rotate_now(settings, [late_writer, *RESEALERS])

    assert sweeps["calls"] == 2
    assert report.resealed == 1
    assert (await sealed_key_ids(settings))["credentials"] == {"k2"}
    response = await client.get(f"/api/v1/credentials/{late['id']}")
    assert data(response)["data"] == {"username": "late", "api_key": MASK}


async def _insert_sealed_under(
    session: Any, keyring: Keyring, workspace_id: str, key_id: str
) -> str:
    credential_id, now = new_id("cred"), SystemClock().now()
    sealed = keyring.seal(
        b'{"username":"late","api_key":"x"}', credential_aad(workspace_id, credential_id),
        key_id=key_id,
    )  # fmt: skip
    session.add(
        Credential(
            id=credential_id, workspace_id=workspace_id, name="late", description=None,
            type="api_key", provider=None, key_id=key_id_of(sealed), sealed_data=sealed,
            metadata_={}, owner_integration_id=None, created_at=now, updated_at=now,
            created_by="test",
        )
    )  # fmt: skip
    return credential_id


async def test_key_ids_are_never_reused_so_an_idle_service_keeps_reading(
    settings: Settings, app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A service that read once after the first rotation and then stayed idle through two more
    must not mistake a new key for the old one of the same name."""
    created = await create_credential(client)
    new_ids = []

    for rotation in range(3):
        new_ids.append((await rotate_now(settings)).new_key_id)
        if rotation == 0:
            assert (await client.get(f"/api/v1/credentials/{created['id']}")).status_code == 200

    assert new_ids == ["k2", "k3", "k4"]
    response = await client.get(f"/api/v1/credentials/{created['id']}")
    assert response.status_code == 200, response.text
    assert data(response)["data"]["username"] == "ops-bot"


async def test_rotation_with_nothing_sealed_only_swaps_the_key(settings: Settings) -> None:
    async with running(settings):
        pass

    report = await rotate_now(settings)

    assert report.retired_key_ids == ["k1"]
    assert report.resealed == 0
    assert list(key_file(settings)["keys"]) == ["k2"]
    async with running(settings) as http:
        assert (await create_credential(http))["data"]["api_key"] == MASK


# -- with keys from the environment ---------------------------------------------------------------
async def test_rotation_to_an_environment_key_reseals_under_it_and_retires_the_old_one(
    settings: Settings,
) -> None:
    only_k1 = env_vault(settings, {"k1": K1})
    both = env_vault(settings, {"k1": K1, "k2": K2}, active="k2")
    only_k2 = env_vault(settings, {"k2": K2})
    async with running(only_k1) as http:
        written = await write_everything(http)
    to_reseal = await sealed_count(settings)

    async with running(both) as http:  # the operator adds k2 and restarts, then rotates
        written["credentials"][(await create_credential(http, name="Under k2"))["id"]] = "ops-bot"
        report = await rotate_now(both)
        await reads_everything(http, written)

    assert report == RotationReport(
        new_key_id="k2", retired_key_ids=["k1"], resealed=to_reseal, key_file_updated=False
    )
    assert await sealed_key_ids(settings) == {
        "credentials": {"k2"}, "responses": {"k2"}, "checks": {"k2"}
    }  # fmt: skip
    assert not settings.vault_key_file.exists()
    async with running(only_k2) as http:
        await reads_everything(http, written)


@pytest.mark.parametrize("active", [None, "k2"])
async def test_environment_rotation_makes_the_named_or_last_key_active(
    settings: Settings, active: str | None
) -> None:
    async with running(env_vault(settings, {"k1": K1})) as http:
        created = await create_credential(http)

    report = await rotate_now(env_vault(settings, {"k1": K1, "k2": K2}, active=active))

    assert (report.new_key_id, report.retired_key_ids) == ("k2", ["k1"])
    async with running(env_vault(settings, {"k2": K2})) as http:
        response = await http.get(f"/api/v1/credentials/{created['id']}")
        assert data(response)["data"] == {"username": "ops-bot", "api_key": MASK}
        assert SECRET not in response.text
