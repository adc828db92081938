"""The `interlink` command as an operator runs it, on the embedded SQLite database in a data dir
given by INTERLINK_DATA_DIR: what it prints, what it exits with, and that what it made works in
the API."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from interlink.app import create_app
from interlink.cli.main import app as cli
from interlink.config import Settings
from tests.conftest import client_for, data, make_settings


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Only INTERLINK_DATA_DIR is set: nothing from the environment running the tests leaks in."""
    for name in list(os.environ):
        if name.startswith("INTERLINK_"):
            monkeypatch.delenv(name)
    directory = tmp_path / "data"
    monkeypatch.setenv("INTERLINK_DATA_DIR", str(directory))
    return directory


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def ok_json(*args: str) -> Any:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def settings_for(data_dir: Path) -> Settings:
    """An app's settings on the data dir the command used (its database and its key file)."""
    return make_settings(data_dir, f"sqlite:///{data_dir / 'interlink.db'}")


def api(data_dir: Path, key: str, method: str, path: str, **kwargs: Any) -> Any:
    """One request to an app started on the data dir; returns the response."""

    async def call() -> Any:
        application = create_app(settings_for(data_dir))
        async with (
            application.router.lifespan_context(application),
            client_for(application, key) as http,
        ):
            return await http.request(method, path, **kwargs)

    return asyncio.run(call())


def tables(database: Path) -> set[str]:
    with sqlite3.connect(database) as connection:
        found = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in found}


# -- db -------------------------------------------------------------------------------------------
def test_db_upgrade_makes_the_schema_and_can_run_again(data_dir: Path) -> None:
    first = run("db", "upgrade")
    again = run("db", "upgrade")

    assert (first.exit_code, again.exit_code) == (0, 0), first.output + again.output
    assert "database is up to date" in first.stdout
    assert {"workspaces", "credentials", "vault_key_checks"} <= tables(data_dir / "interlink.db")
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


def test_the_data_dir_option_wins_over_the_environment(data_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"

    result = run("db", "upgrade", "--data-dir", str(other))

    assert result.exit_code == 0, result.output
    assert (other / "interlink.db").exists()
    assert not data_dir.exists()


# -- workspaces -----------------------------------------------------------------------------------
def test_workspaces_create_prints_a_key_that_works_against_the_api(data_dir: Path) -> None:
    created = ok_json("workspaces", "create", "acme", "--json")
    second = ok_json("workspaces", "create", "beta", "--json")

    # The first command also started the database, which made the default workspace.
    assert set(created) == {
        "id", "name", "admin_key", "default_workspace_id", "default_admin_key"
    }  # fmt: skip
    assert set(second) == {"id", "name", "admin_key"}
    for made, name in ((created, "acme"), (second, "beta")):
        assert made["id"].startswith("ws_")
        assert made["name"] == name
        assert made["admin_key"].startswith("sk_")
        response = api(data_dir, made["admin_key"], "GET", f"/api/v1/workspaces/{made['id']}")
        assert response.status_code == 200, response.text
        assert data(response)["name"] == name
    default = api(data_dir, created["default_admin_key"], "GET", "/api/v1/workspaces")
    assert created["default_workspace_id"] in [w["id"] for w in data(default)["items"]]
    assert stat.S_IMODE((data_dir / "vault.key").stat().st_mode) == 0o600
    wrong = api(data_dir, created["admin_key"] + "x", "GET", "/api/v1/workspaces")
    assert wrong.status_code == 401


def test_workspaces_create_for_people_shows_the_id_and_the_key(data_dir: Path) -> None:
    result = run("workspaces", "create", "beta")

    assert result.exit_code == 0, result.output
    assert "(beta) created" in result.stdout
    assert "ws_" in result.stdout
    assert "admin API key (shown once, store it now): sk_" in result.stdout


@pytest.mark.parametrize("name", ["", "x" * 201])
def test_a_bad_workspace_name_exits_non_zero_with_the_code(data_dir: Path, name: str) -> None:
    result = run("workspaces", "create", name, "--json")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "INVALID_REQUEST: the name must be 1 to 200 characters" in result.stderr
    assert not data_dir.exists()  # refused before anything was made


# -- vault ----------------------------------------------------------------------------------------
def test_vault_rotate_key_prints_the_new_and_retired_key_ids(data_dir: Path) -> None:
    created = ok_json("workspaces", "create", "acme", "--json")
    credential = {"name": "Stripe", "type": "api_key", "data": {"username": "ops", "key": "s3"}}
    stored = api(data_dir, created["admin_key"], "POST", "/api/v1/credentials", json=credential)
    assert stored.status_code == 201, stored.text
    endpoint = {"url": "https://hooks.example.com/in", "events": ["*"]}
    hook = api(data_dir, created["admin_key"], "POST", "/api/v1/webhooks", json=endpoint)
    assert hook.status_code == 201, hook.text

    report = ok_json("vault", "rotate-key", "--json", "--grace-seconds", "0")

    assert report == {
        "new_key_id": "k2",
        "retired_key_ids": ["k1"],
        "resealed": 2,
        "key_file_updated": True,
    }  # fmt: skip  (the credential and the webhook's secret)
    assert list(json.loads((data_dir / "vault.key").read_text())["keys"]) == ["k2"]
    path = f"/api/v1/credentials/{data(stored)['id']}"
    after = api(data_dir, created["admin_key"], "GET", path)
    assert data(after)["data"]["username"] == "ops"
    assert ok_json("vault", "rotate-key", "--json", "--grace-seconds", "0")["new_key_id"] == "k3"


def test_vault_rotate_key_for_people_says_what_changed(data_dir: Path) -> None:
    assert run("db", "upgrade").exit_code == 0
    assert run("workspaces", "create", "acme").exit_code == 0

    result = run("vault", "rotate-key", "--grace-seconds", "0")

    assert result.exit_code == 0, result.output
    assert "active key is now k2" in result.stdout
    assert "retired: k1" in result.stdout


def test_rotate_key_with_the_key_file_missing_fails_and_makes_no_key(data_dir: Path) -> None:
    ok_json("workspaces", "create", "acme", "--json")
    key_file = data_dir / "vault.key"
    key_file.unlink()

    result = run("vault", "rotate-key", "--json", "--grace-seconds", "0")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("VAULT_ERROR: ")
    assert f"the vault key file {key_file} is missing" in result.stderr
    assert not key_file.exists()


def test_workspaces_create_with_the_key_file_missing_fails_to_start(data_dir: Path) -> None:
    ok_json("workspaces", "create", "acme", "--json")
    (data_dir / "vault.key").unlink()

    result = run("workspaces", "create", "beta", "--json")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("STARTUP_FAILED: ")
    assert "vault.key is missing" in result.stderr
    assert not (data_dir / "vault.key").exists()


def test_bad_environment_keys_fail_with_the_code_and_without_the_key(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTERLINK_VAULT_KEYS", "k1:c2hvcnQ=")  # base64 of "short"

    result = run("workspaces", "create", "acme", "--json")

    assert result.exit_code == 1
    assert "STARTUP_FAILED: vault key 'k1' must be 32 bytes (AES-256), got 5" in result.stderr
    assert "c2hvcnQ" not in result.output


def test_invalid_settings_fail_with_the_code(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTERLINK_API_RATE_LIMIT", "fast")

    result = run("db", "upgrade")

    assert result.exit_code == 1
    assert result.stderr.startswith("INVALID_SETTINGS: invalid settings: rate_limit")


def test_mock_refuses_an_unknown_type_and_lists_the_known_ones() -> None:
    from typer.testing import CliRunner

    from interlink.cli.main import app

    result = CliRunner().invoke(app, ["mock", "myspace"])

    assert result.exit_code == 1
    assert "INVALID_REQUEST" in result.output
    assert "github" in result.output
    assert "smtp" in result.output
