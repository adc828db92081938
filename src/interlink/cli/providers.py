"""`interlink providers new KEY`: start a provider from the scaffold (see
docs/connectors/writing-a-connector.md); it works on this machine's files, not on a server."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from interlink.cli.output import EXIT_USAGE, Json, console, emit_json, fail
from interlink.providers.scaffold import (
    ScaffoldError,
    Written,
    new_provider,
    record_fixtures,
)

app = typer.Typer(help="Providers: start a new one from the scaffold.", no_args_is_help=True)


class Auth(StrEnum):
    api_key = "api_key"
    oauth = "oauth"
    basic = "basic"


@app.command("new")
def new(
    key: Annotated[
        str,
        typer.Argument(help="Its type: a lowercase identifier, stored and never renamed"),
    ],
    name: Annotated[
        str | None,
        typer.Option(help="Its display name (default: from KEY, Google Chat for google_chat)"),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(help="The base URL of its API (default: each integration gives one)"),
    ] = None,
    auth: Annotated[Auth, typer.Option(help="The auth method it takes")] = Auth.api_key,
    into: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            file_okay=False,
            help="Write a third-party provider package into DIR, not a built-in into this "
            "source checkout",
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """Write a new provider folder (an example action, its mock and recorded fixtures) and
    register it: a built-in in builtin.py, a third-party package by its entry point."""
    try:
        written = new_provider(key, name=name, base_url=base_url, auth=auth.value, into=into)
    except ScaffoldError as exc:
        fail(str(exc), "INVALID_INPUT", EXIT_USAGE)
    try:
        record_fixtures(written)
    except Exception as exc:  # a broken template: say so, the folder stays for a look
        fail(f"{written.folder} was written, but recording its fixtures failed: {exc!r}",
             "SCAFFOLD_FAILED")  # fmt: skip
    summary = _summary(written)
    if as_json:
        emit_json(summary)
    else:
        _show(summary)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _summary(written: Written) -> dict[str, Any]:
    new = written.new
    return {
        "type": new.key,
        "name": new.name,
        "package": new.package,
        "folder": _shown(written.folder),
        "files": [_shown(path) for path in written.files],
        "registered_in": _shown(written.registered_in) if written.registered_in else None,
        "pyproject": _shown(written.pyproject) if written.pyproject else None,
        "entry_point": written.entry_point,
        "next_steps": _next_steps(written),
    }


def _next_steps(written: Written) -> list[str]:
    key, folder = written.new.key, _shown(written.folder)
    steps = [
        f"Make {folder}/provider.py the provider's: its facts, its actions and its check "
        "(replace the example get_item and GET /me).",
        f"Make {folder}/mock.py answer as the provider does: its routes, seeded state and "
        "error bodies.",
    ]
    if written.registered_in is None:
        steps.append(
            f"Install the package (pip install -e {_shown(written.root)}) so that its entry "
            "point registers it; then the commands below know its type."
        )
    steps += [
        f"Record a fixture per action: python -m interlink.testing.contract record {key} --new "
        "--fixture NAME --action ACTION --parameters '{...}'; refresh them all after a change: "
        f"python -m interlink.testing.contract record {key}",
        f"Serve its mock: interlink mock {key}",
    ]
    if written.registered_in is None:
        steps.append(f"Run the contract suite on it: cd {_shown(written.root)} && pytest")
    else:
        steps += [
            f"Run the contract: .venv/bin/pytest tests/connectors/test_contract.py -k {key}",
            "Regenerate the docs (its page, and the mock types in docs/cli.md): "
            ".venv/bin/python scripts/gen_connector_docs.py && "
            ".venv/bin/python scripts/gen_cli_docs.py",
        ]
    return steps


def _show(summary: dict[str, Any]) -> None:
    console.print(
        f"[bold green]wrote[/] provider {summary['type']} ({summary['name']}) in "
        f"{summary['folder']}",
        highlight=False,
    )
    for path in summary["files"]:
        console.print(f"  {path}", highlight=False)
    if summary["registered_in"]:
        console.print(f"registered in {summary['registered_in']}", highlight=False)
    if summary["pyproject"]:
        console.print(f"wrote {summary['pyproject']}", highlight=False)
    if summary["entry_point"]:
        console.print("\nits entry point, in the package's pyproject.toml:\n", highlight=False)
        console.out(summary["entry_point"], highlight=False)
    console.print("\nnext steps:", highlight=False)
    for number, step in enumerate(summary["next_steps"], start=1):
        console.print(f"  {number}. {step}", highlight=False)
