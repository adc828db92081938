"""How every command prints: Rich for people, JSON with --json, one way to fail.

Exit codes (also in docs/cli.md):

- 0: done.
- 1: the API answered with an error (its code, e.g. INTEGRATION_NOT_FOUND, and message go to
  stderr), or a local command failed (STARTUP_FAILED, VAULT_ERROR...).
- 2: bad usage: an unknown option, a missing argument, a bad `--param` or an unreadable file.
- 3: the server could not be reached at the URL given (CONNECTION_FAILED).
- 4: what was waited for (or tested) ended without success: a failed operation, a failed or
  cancelled execution, a failed connection test.
- 5: the wait gave up before the operation or execution finished (TIMED_OUT).
- 130: Ctrl-C while waiting (INTERRUPTED): the operation or execution goes on on the server.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

console = Console(soft_wrap=True)
errors = Console(stderr=True)

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_UNSUCCESSFUL = 4
EXIT_TIMEOUT = 5
EXIT_INTERRUPTED = 130

Json = Annotated[
    bool, typer.Option("--json", help="Print JSON (for scripts) instead of tables")
]  # fmt: skip
Limit = Annotated[int, typer.Option("--limit", min=1, help="Show at most this many items")]


def fail(message: str, code: str | None = None, exit_code: int = EXIT_ERROR) -> NoReturn:
    prefix = f"[bold red]{code}[/]: " if code else "[bold red]error[/]: "
    errors.print(prefix, end="", highlight=False)
    errors.out(message, highlight=False)
    raise typer.Exit(exit_code)


def plain(value: Any) -> Any:
    """A model (or a list of them) as JSON-ready data."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=False)
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(plain(data), indent=2, default=str))


def emit_json_line(data: Any) -> None:
    """One JSON document on one line (for streams: one line per item)."""
    typer.echo(json.dumps(plain(data), default=str))


def cell(value: Any) -> str:
    """A value as a table shows it."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(cell(item) for item in value) or "-"
    if isinstance(value, dict):
        return json.dumps(value, default=str) if value else "-"
    return str(value)


def _print_table(shown: Table) -> None:
    # Piped into a file or grep, a table keeps each row on one line instead of wrapping at 80.
    if console.is_terminal:
        console.print(shown)
    else:
        Console(file=console.file, width=10_000, no_color=console.no_color).print(shown)


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None) -> None:
    shown = Table(*columns, title=title, title_justify="left")
    for row in rows:
        shown.add_row(*(cell(value) for value in row))
    _print_table(shown)


def fields(values: Mapping[str, Any], title: str | None = None) -> None:
    """One record as a two-column table: field, value."""
    shown = Table("field", "value", title=title, title_justify="left", show_header=False)
    for name, value in values.items():
        shown.add_row(name, cell(value))
    _print_table(shown)
