"""The keyring at start, as an operator meets it: the key file made on the first start, read on the
next, and a missing, wrong, loose or incomplete key stopping the start with a message that says
what to fix, never a new key made over existing data."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import httpx
import pytest

from interlink.config import Settings
from interlink.core.clock import SystemClock
from interlink.startup import StartupError, prepare
from interlink.vault.keyring import new_key, write_key_file
from interlink.vault.masking import MASK
from tests.conftest import ADMIN_KEY, client_for, data, error, make_settings
from tests.vault.conftest import (
    SECRET,
    create_credential,
    env_vault,
    execute,
    key_file,
    rows,
    running,
    started,
)

INLINE_TOKEN = "ghp_inline_vault_test_token_42"


async def start_fails(settings: Settings) -> str:
    """The message a start that must fail stops with; the app's own start fails the same way."""
    with pytest.raises(StartupError) as caught:
        await prepare(settings, SystemClock())
    with pytest.raises(StartupError):
        async with started(settings):
            pass
    return str(caught.value)


async def masked_credential(http: httpx.AsyncClient, credential_id: str) -> dict[str, object]:
    response = await http.get(f"/api/v1/credentials/{credential_id}")
    assert response.status_code == 200, response.text
    masked: dict[str, object] = data(response)["data"]
    return masked


# -- the key file ---------------------------------------------------------------------------------
async def test_the_first_start_makes_a_key_file_for_the_owner_only(settings: Settings) -> None:
    path = settings.vault_key_file
    assert not path.exists()

    async with started(settings) as app, client_for(app, ADMIN_KEY) as http:
        created = await create_credential(http)
        assert app.state.prepared.created_key_file == path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert list(key_file(settings)["keys"]) == ["k1"]
        assert created["data"] == {"username": "ops-bot", "api_key": MASK}
        assert await masked_credential(http, created["id"]) == created["data"]
    assert await rows(settings, "SELECT key_id FROM credentials") == [("k1",)]


async def test_a_restart_reads_the_same_key_and_leaves_the_file_alone(settings: Settings) -> None:
    async with running(settings) as http:
        created = await create_credential(http)
    written = settings.vault_key_file.read_bytes()

    async with started(settings) as app, client_for(app, ADMIN_KEY) as http:
        assert app.state.prepared.created_key_file is None
        assert await masked_credential(http, created["id"]) == {
            "username": "ops-bot",
            "api_key": MASK,
        }
    assert settings.vault_key_file.read_bytes() == written


async def test_a_missing_key_file_stops_the_start_and_no_new_key_is_made(
    settings: Settings,
) -> None:
    async with running(settings) as http:
        await create_credential(http)
    settings.vault_key_file.unlink()

    message = await start_fails(settings)

    assert f"the vault key file {settings.vault_key_file} is missing" in message
    assert "restore the key file" in message
    assert not settings.vault_key_file.exists()


async def test_a_missing_key_file_stops_the_start_even_when_only_a_stored_response_is_sealed(
    settings: Settings,
) -> None:
    """No credential yet, but a replayable response holding a new admin key is sealed."""
    async with running(settings) as http:
        response = await http.post(
            "/api/v1/workspaces", json={"name": "acme"}, headers={"Idempotency-Key": "ws-acme"}
        )
        assert response.status_code == 201, response.text
    settings.vault_key_file.unlink()

    message = await start_fails(settings)

    assert str(settings.vault_key_file) in message
    assert "missing" in message
    assert not settings.vault_key_file.exists()


async def test_another_key_under_the_same_id_stops_the_start(settings: Settings) -> None:
    async with running(settings) as http:
        await create_credential(http)
    write_key_file(settings.vault_key_file, {"k1": new_key()}, "k1")
    replaced = settings.vault_key_file.read_bytes()

    message = await start_fails(settings)

    assert "vault key 'k1'" in message
    assert "is not the key that sealed this database's data" in message
    assert str(settings.vault_key_file) in message
    assert settings.vault_key_file.read_bytes() == replaced


async def test_a_key_file_others_can_read_is_refused_with_the_fix(settings: Settings) -> None:
    async with running(settings):
        pass
    path = settings.vault_key_file
    path.chmod(0o644)

    message = await start_fails(settings)

    assert f"the vault key file {path} is readable by other users (mode 644)" in message
    assert f"chmod 600 {path}" in message
    path.chmod(0o600)
    async with running(settings) as http:
        assert (await http.get("/api/v1/credentials")).status_code == 200


# -- keys from the environment --------------------------------------------------------------------
async def test_environment_keys_seal_and_open_and_no_key_file_is_made(settings: Settings) -> None:
    env = env_vault(settings, {"prod1": new_key()})

    async with running(env) as http:
        created = await create_credential(http)
    async with running(env) as http:
        assert await masked_credential(http, created["id"]) == {
            "username": "ops-bot",
            "api_key": MASK,
        }

    assert not settings.vault_key_file.exists()
    assert await rows(settings, "SELECT key_id FROM credentials") == [("prod1",)]


async def test_environment_keys_that_lack_a_key_the_data_uses_stop_the_start(
    settings: Settings,
) -> None:
    async with running(env_vault(settings, {"prod1": new_key()})) as http:
        await create_credential(http)

    message = await start_fails(env_vault(settings, {"prod2": new_key()}))

    assert "['prod1']" in message
    assert "INTERLINK_VAULT_KEYS" in message
    assert not settings.vault_key_file.exists()


async def test_a_wrong_environment_key_under_the_right_id_stops_the_start(
    settings: Settings,
) -> None:
    async with running(env_vault(settings, {"prod1": new_key()})) as http:
        await create_credential(http)

    message = await start_fails(env_vault(settings, {"prod1": new_key()}))

    assert "vault key 'prod1' (INTERLINK_VAULT_KEYS) is not the key that sealed" in message


async def test_the_key_file_moved_into_the_environment_keeps_the_data_readable(
    settings: Settings,
) -> None:
    async with running(settings) as http:
        created = await create_credential(http)
    keys = {kid: base64.b64decode(text) for kid, text in key_file(settings)["keys"].items()}
    settings.vault_key_file.unlink()

    async with running(env_vault(settings, keys)) as http:
        assert (await masked_credential(http, created["id"]))["username"] == "ops-bot"
    assert not settings.vault_key_file.exists()


# -- the data at rest -----------------------------------------------------------------------------
async def test_no_secret_is_in_the_sqlite_files(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    settings = make_settings(data_dir, f"sqlite:///{data_dir / 'interlink.db'}")
    files = [data_dir / "interlink.db", data_dir / "interlink.db-wal"]

    def stored() -> bytes:
        return b"".join(f.read_bytes() for f in files if f.exists())

    async with running(settings) as http:
        await create_credential(http, name="Stripe credential")
        integration = {
            "name": "GitHub",
            "type": "github",
            "configuration": {"api_url": "https://api.github.com", "auth_method": "oauth"},
            "credentials": {"access_token": INLINE_TOKEN, "token_type": "bearer"},
        }
        assert (await http.post("/api/v1/integrations", json=integration)).status_code == 201
        workspace = await http.post(
            "/api/v1/workspaces", json={"name": "acme"}, headers={"Idempotency-Key": "ws-acme"}
        )
        admin_key = data(workspace)["admin_key"]["key"]
        while_running = stored()
    after_stop = stored()

    for contents in (while_running, after_stop):
        assert b"Stripe credential" in contents  # the right files, holding the rows
        for secret in (SECRET, INLINE_TOKEN, admin_key, ADMIN_KEY):
            assert secret.encode() not in contents


def _flip_one_character(sealed: str) -> str:
    version, kid, token = sealed.split(".")
    middle = len(token) // 2
    swapped = "B" if token[middle] != "B" else "C"
    return f"{version}.{kid}.{token[:middle]}{swapped}{token[middle + 1 :]}"


async def test_a_tampered_credential_fails_cleanly_and_shows_no_secret(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    """A 500 with its own code: the data at rest is damaged, not the request. The other
    credentials still read, and the list shows the damaged one as unreadable."""
    created = await create_credential(client)
    untouched = await create_credential(client, name="Untouched")
    [(sealed,)] = await rows(
        settings, "SELECT sealed_data FROM credentials WHERE id = :id", id=created["id"]
    )
    await execute(
        settings,
        "UPDATE credentials SET sealed_data = :sealed WHERE id = :id",
        sealed=_flip_one_character(sealed),
        id=created["id"],
    )

    response = await client.get(f"/api/v1/credentials/{created['id']}")

    assert response.status_code == 500
    assert error(response)["code"] == "SECRET_UNREADABLE"
    assert created["id"] in error(response)["message"]
    assert response.headers["x-request-id"]
    assert SECRET not in response.text
    assert "ops-bot" not in response.text
    assert (await masked_credential(client, untouched["id"]))["username"] == "ops-bot"
    listed = {c["id"]: c for c in data(await client.get("/api/v1/credentials"))["items"]}
    assert listed[created["id"]]["readable"] is False
    assert listed[created["id"]]["data"] == {}
    assert listed[untouched["id"]]["readable"] is True


async def test_a_ciphertext_copied_to_another_credential_does_not_open(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    original = await create_credential(client)
    other = await create_credential(client, name="Other", data={"api_key": "another-secret"})
    await execute(
        settings,
        "UPDATE credentials SET sealed_data = "
        "(SELECT sealed_data FROM credentials WHERE id = :source) WHERE id = :target",
        source=original["id"],
        target=other["id"],
    )

    response = await client.get(f"/api/v1/credentials/{other['id']}")

    assert response.status_code == 500
    assert error(response)["code"] == "SECRET_UNREADABLE"
    assert SECRET not in response.text
    assert "ops-bot" not in response.text
    assert (await masked_credential(client, original["id"]))["username"] == "ops-bot"
