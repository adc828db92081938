"""`interlink export` and `interlink import` (docs/export-import.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from interlink.cli.output import Json, console, emit_json, table
from interlink.cli.remote import bad_input, connect, read_document
from interlink.sdk import ImportResult

Passphrase = Annotated[
    Path | None,
    typer.Option(
        "--passphrase-file",
        help="A file whose first line is the passphrase (12 characters or more)",
        show_default=False,
    ),
]
Output = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write here (default: standard output)")
]
Filters = Annotated[
    list[str] | None,
    typer.Option("--filter", help="With --csv: a filter of the list, name=value (repeat it)"),
]
CsvKind = Literal["integrations", "operations", "deliveries", "executions", "events"]


def export(
    ctx: typer.Context,
    include_secrets: Annotated[
        bool, typer.Option("--include-secrets", help="Seal every secret under a passphrase")
    ] = False,
    passphrase_file: Passphrase = None,
    output: Output = None,
    csv: Annotated[
        CsvKind | None, typer.Option("--csv", help="Export this list as CSV instead")
    ] = None,
    filters: Filters = None,
    as_json: Json = False,
) -> None:
    """Export the workspace as a bundle (secrets left out unless --include-secrets), or a list
    as CSV with --csv. With -o, says what it wrote (--json: as JSON)."""
    if csv is not None:
        with connect(ctx) as client:
            text = client.transfer.export_csv(csv, **_pairs(filters or []))
        _write(output, text)
        _wrote(output, {"list": csv, "rows": max(len(text.splitlines()) - 1, 0)}, as_json)
        return
    passphrase = None
    if include_secrets:
        if passphrase_file is None:
            bad_input("--include-secrets needs --passphrase-file")
        passphrase = _passphrase(passphrase_file)
    with connect(ctx) as client:
        bundle = client.transfer.export_bundle(passphrase=passphrase)
    _write(output, json.dumps(bundle, indent=2, ensure_ascii=False) + "\n")
    counts = {kind: len(v) for kind, v in bundle.items() if isinstance(v, list)}
    _wrote(output, {"format_version": bundle["format_version"], "items": counts,
                    "secrets": "sealed" if bundle["secrets"] else "left out"}, as_json)  # fmt: skip


def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A bundle made by `interlink export`")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would change")] = False,
    on_conflict: Annotated[
        Literal["skip", "overwrite", "rename"],
        typer.Option("--on-conflict", help="An item here that differs from the bundle's"),
    ] = "skip",
    passphrase_file: Passphrase = None,
    as_json: Json = False,
) -> None:
    """Import a bundle: all of it or nothing. Shows, per item, create, update, skip or
    conflict."""
    bundle = read_document(file)
    passphrase = _passphrase(passphrase_file) if passphrase_file else None
    with connect(ctx) as client:
        result = client.transfer.import_bundle(
            bundle, passphrase=passphrase, dry_run=dry_run, on_conflict=on_conflict
        )
    if as_json:
        emit_json(result)
        return
    _show(result)


def _show(result: ImportResult) -> None:
    rows = [
        (i.kind, i.target_name or i.name, i.action, ", ".join(i.changes), ", ".join(i.needs_secret))
        for i in result.items
    ]
    counts = ", ".join(f"{n} {action}" for action, n in result.counts.items())
    title = f"{'dry run: ' if result.dry_run else ''}{counts}"
    table(("kind", "name", "action", "changes", "needs a secret"), rows, title)
    if result.dry_run:
        console.print("Nothing was changed (a dry run).")


def _passphrase(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        bad_input(f"cannot read {path}: {exc.strerror or exc}")
    if not lines or len(lines[0]) < 12:
        bad_input(f"{path}: the passphrase (its first line) needs 12 characters or more")
    return lines[0]


def _pairs(filters: list[str]) -> dict[str, Any]:
    found = {}
    for pair in filters:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            bad_input(f"--filter {pair!r}: give name=value")
        found[name] = value
    return found


def _wrote(output: Path | None, summary: dict[str, Any], as_json: bool) -> None:
    """What went to the file (nothing more when the data went to standard output)."""
    if output is None:
        return
    if as_json:
        emit_json({"file": str(output), **summary})
        return
    shown = ", ".join(f"{k}: {v}" for k, v in summary.items())
    console.print(f"wrote {output} ({shown})")


def _write(output: Path | None, text: str) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        bad_input(f"cannot write {output}: {exc.strerror or exc}")
