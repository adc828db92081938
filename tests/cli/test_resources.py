"""The resource commands against a live server, as a user runs them: tables for people, --json
parsed and checked, and what the API then holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from interlink.testing import GitHubMock, RunningMock
from tests.cli.conftest import GITHUB_TOKEN, Cli


def integration_file(tmp_path: Path, github: RunningMock[GitHubMock], name: str) -> Path:
    path = tmp_path / f"{name}.json"
    config = {
        "name": name,
        "type": "github",
        "description": "made by the CLI tests",
        "configuration": {"api_url": github.api_url},
        "credentials": {"access_token": GITHUB_TOKEN},
        "metadata": {"team": "cli"},
    }
    path.write_text(json.dumps(config))
    return path


def created_integration(
    cli: Cli, tmp_path: Path, github: RunningMock[GitHubMock], name: str
) -> str:
    made = cli.json("integrations", "create", "-f", str(integration_file(tmp_path, github, name)))
    integration_id: str = made["id"]
    return integration_id


# -- keys -----------------------------------------------------------------------------------------
def test_keys_create_list_and_revoke(cli: Cli) -> None:
    made = cli.json("keys", "create", "reader", "--scope", "integrations:read")
    listed = cli.json("keys", "list")
    as_reader = cli.run("--api-key", made["key"], "integrations", "list", "--json")
    refused = cli.run("--api-key", made["key"], "keys", "list")
    table = cli.ok("keys", "list").stdout
    revoked = cli.json("keys", "revoke", made["id"])
    after = cli.run("--api-key", made["key"], "integrations", "list")

    assert made["key"].startswith("sk_")
    assert made["scopes"] == ["integrations:read"]
    assert made["id"] in [k["id"] for k in listed]
    assert all("key" not in k for k in listed)  # never the keys themselves
    assert as_reader.exit_code == 0, as_reader.stderr
    assert (refused.exit_code, refused.stderr.split(":")[0]) == (1, "FORBIDDEN")
    assert "reader" in table
    assert made["prefix"] in table
    assert revoked == {"id": made["id"], "revoked": True, "revoked_at": revoked["revoked_at"]}
    assert after.exit_code == 1
    assert after.stderr.startswith("UNAUTHENTICATED: ")


def test_keys_create_for_people_shows_the_key_once(cli: Cli) -> None:
    result = cli.ok("keys", "create", "deploy", "-s", "workflows:write", "-s", "workflows:read")

    assert "created, scopes workflows:read, workflows:write" in result.stdout
    assert "key (shown once, store it now): sk_" in result.stdout


# -- integrations ---------------------------------------------------------------------------------
def test_integrations_lifecycle_with_json(
    cli: Cli, tmp_path: Path, github: RunningMock[GitHubMock]
) -> None:
    integration_id = created_integration(cli, tmp_path, github, "cli gh")
    got = cli.json("integrations", "get", integration_id)
    listed = cli.json("integrations", "list", "--type", "github")
    changes = tmp_path / "changes.json"
    changes.write_text(json.dumps({"metadata": {"owner": "ops"}}))
    updated = cli.json(
        "integrations", "update", integration_id, "-f", str(changes), "--name", "renamed"
    )
    activated = cli.json("integrations", "activate", integration_id)
    tested = cli.json("integrations", "test", integration_id)
    checked = cli.json("integrations", "health", integration_id, "--check")
    health = cli.json("integrations", "health", integration_id)
    deactivated = cli.json("integrations", "deactivate", integration_id)
    deleted = cli.json("integrations", "delete", integration_id, "--yes")
    gone = cli.run("integrations", "get", integration_id, "--json")

    assert got["name"] == "cli gh"
    assert got["type"] == "github"
    assert GITHUB_TOKEN not in json.dumps(got)  # credentials come back masked
    assert integration_id in [i["id"] for i in listed]
    assert updated["name"] == "renamed"
    assert updated["metadata"] == {"team": "cli", "owner": "ops"}  # merged
    assert (activated["status"], deactivated["status"]) == ("active", "inactive")
    assert tested["success"] is True
    assert tested["latency_ms"] >= 0
    assert checked["integration_id"] == health["integration_id"] == integration_id
    assert checked["status"] == "healthy"
    assert deleted == {"id": integration_id, "deleted": True}
    assert gone.exit_code == 1
    assert gone.stdout == ""
    assert gone.stderr.startswith("INTEGRATION_NOT_FOUND: ")


def test_integrations_for_people_are_tables(
    cli: Cli, tmp_path: Path, github: RunningMock[GitHubMock]
) -> None:
    integration_id = created_integration(cli, tmp_path, github, "table gh")

    listed = cli.ok("integrations", "list").stdout
    shown = cli.ok("integrations", "get", integration_id).stdout
    activated = cli.ok("integrations", "activate", integration_id).stdout
    tested = cli.ok("integrations", "test", integration_id).stdout
    health = cli.ok("integrations", "health", integration_id, "--check").stdout

    assert "integrations" in listed
    assert integration_id in listed
    assert "table gh" in listed
    assert f"integration {integration_id}" in shown
    assert "github" in shown
    assert f"integration {integration_id} is now active" in activated
    assert "connection test succeeded in" in tested
    assert f"health of {integration_id}: healthy" in health


def test_integrations_create_reads_yaml(
    cli: Cli, tmp_path: Path, github: RunningMock[GitHubMock]
) -> None:
    pytest.importorskip("yaml")
    path = tmp_path / "gh.yaml"
    path.write_text(
        "name: yaml gh\ntype: github\n"
        f"configuration:\n  api_url: {github.api_url}\n"
        f"credentials:\n  access_token: {GITHUB_TOKEN}\n"
    )

    made = cli.json("integrations", "create", "-f", str(path))

    assert (made["name"], made["configuration"]["api_url"]) == ("yaml gh", github.api_url)


def test_delete_asks_first_and_keeps_it_when_told_no(
    cli: Cli, tmp_path: Path, github: RunningMock[GitHubMock]
) -> None:
    integration_id = created_integration(cli, tmp_path, github, "keep me")

    result = cli.run("integrations", "delete", integration_id, input="n\n")

    assert result.exit_code == 1
    assert "Aborted" in result.stdout + result.stderr
    assert cli.json("integrations", "get", integration_id)["id"] == integration_id


# -- connectors -----------------------------------------------------------------------------------
def test_connectors_list_and_show(cli: Cli) -> None:
    catalog = cli.json("connectors", "list")
    github = cli.json("connectors", "show", "github")
    shown = cli.ok("connectors", "show", "github").stdout
    missing = cli.run("connectors", "show", "no-such-type")

    assert {"github", "slack", "http"} <= {c["type"] for c in catalog}
    assert "get_repository" in {a["name"] for a in github["actions"]}
    assert "connector github" in shown
    assert "get_repository" in shown
    assert "https://docs.github.com/rest" in shown
    assert github["api_url_hint"].startswith("GitHub Enterprise Server")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("NOT_FOUND: No connector of type 'no-such-type'")


# -- credentials ----------------------------------------------------------------------------------
def test_credentials_round_trip_with_the_secret_masked(cli: Cli, tmp_path: Path) -> None:
    secret = "sk_live_cli_canary_0123456789"
    made = cli.json(
        "credentials", "create", "--name", "stripe", "--type", "api_key",
        "--provider", "stripe", "--data", f"api_key={secret}",
    )  # fmt: skip
    changes = tmp_path / "cred.json"
    changes.write_text(json.dumps({"description": "billing"}))
    updated = cli.json(
        "credentials", "update", made["id"], "-f", str(changes), "--name", "stripe 2"
    )
    got = cli.json("credentials", "get", made["id"])
    listed = cli.json("credentials", "list", "--provider", "stripe")
    table = cli.ok("credentials", "list").stdout
    deleted = cli.json("credentials", "delete", made["id"], "-y")
    gone = cli.run("credentials", "get", made["id"])

    outputs = json.dumps([made, updated, got, listed]) + table
    assert secret not in outputs
    assert (made["type"], made["provider"]) == ("api_key", "stripe")
    assert (got["name"], got["description"]) == ("stripe 2", "billing")
    assert made["id"] in [c["id"] for c in listed]
    assert made["id"] in table
    assert deleted == {"id": made["id"], "deleted": True}
    assert (gone.exit_code, gone.stderr.split(":")[0]) == (1, "CREDENTIAL_NOT_FOUND")


def test_credentials_create_needs_name_type_and_data(cli: Cli) -> None:
    result = cli.run("credentials", "create", "--name", "x")

    assert result.exit_code == 2
    assert result.stderr.startswith("INVALID_INPUT: missing type, data")


# -- webhooks -------------------------------------------------------------------------------------
def test_webhooks_create_list_deliveries_retry_and_recover(
    cli: Cli, tmp_path: Path, github: RunningMock[GitHubMock]
) -> None:
    # Nothing listens on the mock's /nowhere path: deliveries fail with a 404 and stay retryable.
    made = cli.json(
        "webhooks", "create", f"{github.url}/nowhere", "-e", "integration.created", "--name", "cli"
    )
    integration_id = created_integration(cli, tmp_path, github, "hooked")
    listed = cli.json("webhooks", "list")
    deliveries = cli.json("webhooks", "deliveries", made["id"])
    retried = cli.json("webhooks", "retry", made["id"], deliveries[0]["id"])
    recovered = cli.json("webhooks", "recover", made["id"], "--since", "2020-01-01T00:00:00Z")
    table = cli.ok("webhooks", "deliveries", made["id"]).stdout
    missing = cli.run("webhooks", "retry", made["id"], "dlv_nope")
    deleted = cli.json("webhooks", "delete", made["id"], "--yes")

    assert made["secret"].startswith("whsec_")
    assert made["events"] == ["integration.created"]
    assert made["id"] in [w["id"] for w in listed]
    assert [d["event"] for d in deliveries] == ["integration.created"]
    assert retried["id"] == deliveries[0]["id"]
    assert recovered["webhook_id"] == made["id"]
    assert recovered["requeued"] >= 0
    assert "deliveries" in table
    assert "integration.created" in table
    assert missing.exit_code == 1
    assert missing.stderr.split(":")[0] in {"DELIVERY_NOT_FOUND", "NOT_FOUND"}
    assert deleted["deleted"] is True
    assert integration_id


def test_webhooks_create_for_people_shows_the_secret_once(cli: Cli) -> None:
    result = cli.ok("webhooks", "create", "https://example.com/in")

    assert "signing secret (shown once, store it now): whsec_" in result.stdout
    assert "*" in result.stdout  # every event by default


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]
