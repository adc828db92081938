"""How every command prints: Rich for people, JSON with --json, one way to fail."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import typer
from rich.console import Console

console = Console(soft_wrap=True)
errors = Console(stderr=True)


def fail(message: str, code: str | None = None) -> NoReturn:
    prefix = f"[bold red]{code}[/]: " if code else "[bold red]error[/]: "
    errors.print(prefix + message, highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))
