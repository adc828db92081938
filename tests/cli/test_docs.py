"""docs/cli.md is generated from the Typer app: it must be what the app renders today."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.main import get_command

from interlink.cli.docs import render
from interlink.cli.main import app

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


def _leaves(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The commands (as paths) below `command` that have no --json option."""
    subcommands: dict[str, Any] = getattr(command, "commands", {})
    if subcommands:
        return [leaf for name, sub in subcommands.items() for leaf in _leaves(sub, (*path, name))]
    return [] if any("--json" in getattr(o, "opts", []) for o in command.params) else [path]


def test_every_command_that_prints_data_takes_json() -> None:
    without_json = _leaves(get_command(app))

    # These print a banner or a status line, not data.
    assert sorted(without_json) == [("db", "upgrade"), ("serve",), ("worker",)]
