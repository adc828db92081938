"""`interlink init` on a fresh data dir: what it makes, what it prints, and that running it
again changes nothing."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interlink.cli.main import app


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("INTERLINK_"):
            monkeypatch.delenv(name)


def env_file_values(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_init_prepares_the_data_dir_and_writes_the_cli_settings(
    tmp_path: Path, clean_env: None
) -> None:
    data_dir = tmp_path / "data"

    first = CliRunner().invoke(
        app, ["init", "--data-dir", str(data_dir), "--port", "9099", "--json"]
    )
    again = CliRunner().invoke(app, ["init", "--data-dir", str(data_dir), "--json"])

    assert (first.exit_code, again.exit_code) == (0, 0), first.output + again.output
    made, repeat = json.loads(first.stdout), json.loads(again.stdout)
    env_file = data_dir / "interlink.env"
    assert made["admin_key"].startswith("sk_")
    assert made["workspace_id"].startswith("ws_")
    assert made["env_file"] == repeat["env_file"] == str(env_file)
    assert made["vault_key_file"] == str((data_dir / "vault.key").resolve())
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert env_file_values(env_file) == {
        "INTERLINK_DATA_DIR": str(data_dir.resolve()),
        "INTERLINK_URL": "http://127.0.0.1:9099",
        "INTERLINK_API_KEY": made["admin_key"],
    }
    assert (repeat["admin_key"], repeat["vault_key_file"]) == (None, None)  # nothing new
    assert env_file_values(env_file)["INTERLINK_API_KEY"] == made["admin_key"]


def test_init_for_people_says_what_to_do_next(tmp_path: Path, clean_env: None) -> None:
    data_dir = tmp_path / "data"

    first = CliRunner().invoke(app, ["init", "--data-dir", str(data_dir)])
    again = CliRunner().invoke(app, ["init", "--data-dir", str(data_dir)])

    assert "admin API key (shown once, store it now): sk_" in first.stdout
    assert f"next: set -a; . {data_dir / 'interlink.env'}; set +a; interlink serve" in first.stdout
    assert "already set up" in again.stdout
    assert "sk_" not in again.stdout
