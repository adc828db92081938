"""docs/cli.md is generated from the Typer app: it must be what the app renders today."""

from __future__ import annotations

from pathlib import Path

from interlink.cli.docs import render

CLI_MD = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_docs_cli_md_is_up_to_date_with_the_app() -> None:
    assert CLI_MD.read_text(encoding="utf-8") == render(), (
        "docs/cli.md is out of date: run .venv/bin/python scripts/gen_cli_docs.py"
    )


def test_the_docs_list_every_command_group_and_the_exit_codes() -> None:
    text = render()

    groups = "keys integrations connectors ops credentials webhooks workflows executions events"
    for group in [*groups.split(), "serve", "worker", "init", "mock"]:
        assert f"`interlink {group}`" in text
    assert "- 3: the server could not be reached" in text
    assert "#### `interlink ops run`" in text
