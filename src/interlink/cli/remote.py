"""How the resource commands reach a server: the root options `--url` and `--api-key` (or
INTERLINK_URL and INTERLINK_API_KEY, as in the SDK), one SDK client per command, and the
SDK's exceptions turned into a message on stderr and an exit code (see `output.py`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from interlink.cli.output import EXIT_ERROR, EXIT_TIMEOUT, EXIT_UNREACHABLE, EXIT_USAGE, fail
from interlink.sdk import (
    ExecutionTimeout,
    Interlink,
    InterlinkAPIError,
    InterlinkConnectionError,
    RetryPolicy,
)

# A command line answers fast when the URL is wrong: two more tries, 0.25 s then 0.5 s apart.
RETRY = RetryPolicy(max_attempts=3, backoff_seconds=0.25)

Url = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="INTERLINK_URL",
        help="The server's base URL (default http://127.0.0.1:8080)",
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option("--api-key", envvar="INTERLINK_API_KEY", help="The API key to call with"),
]
File = Annotated[
    Path, typer.Option("-f", "--file", help="A JSON (or YAML) file", show_default=False)
]  # fmt: skip
Pairs = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="key=value (repeat it); a value that is JSON is parsed"),
]


@dataclass(frozen=True)
class Remote:
    url: str | None = None
    api_key: str | None = None


def remember(ctx: typer.Context, url: Url = None, api_key: ApiKey = None) -> None:
    """Interlink: a self-hosted integration layer."""
    ctx.obj = Remote(url=url, api_key=api_key)


def _error_message(exc: InterlinkAPIError) -> str:
    """The message, the details it does not already say, and the request id to quote."""
    notes = [
        f"{d['field']}: {d.get('message')}" if d.get("field") else str(d.get("message", d))
        for d in exc.details
    ]
    extra = "; ".join(note for note in notes if note not in exc.message)
    message = f"{exc.message} ({extra})" if extra else exc.message
    return f"{message} [request {exc.request_id}]" if exc.request_id else message


@contextmanager
def connect(ctx: typer.Context) -> Iterator[Interlink]:
    """An SDK client on the URL and key of the command line; an SDK error ends the command."""
    remote = ctx.find_object(Remote) or Remote()
    try:
        with Interlink(remote.api_key, base_url=remote.url, retry=RETRY) as client:
            yield client
    except InterlinkAPIError as exc:
        fail(_error_message(exc), exc.code, EXIT_ERROR)
    except InterlinkConnectionError as exc:
        fail(str(exc), "CONNECTION_FAILED", EXIT_UNREACHABLE)
    except ExecutionTimeout as exc:
        fail(str(exc), "TIMED_OUT", EXIT_TIMEOUT)


def bad_input(message: str) -> NoReturn:
    """A usage error found by the command itself: INVALID_INPUT, exit 2."""
    fail(message, "INVALID_INPUT", EXIT_USAGE)


def read_document(path: Path) -> dict[str, Any]:
    """The object in a JSON file, or a YAML one (.yaml/.yml, when PyYAML is installed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        bad_input(f"cannot read {path}: {exc.strerror or exc}")
    data = _parse_yaml(path, text) if path.suffix in {".yaml", ".yml"} else _parse_json(path, text)
    if not isinstance(data, dict):
        bad_input(f"{path} must hold an object (a mapping of fields)")
    return data


def _parse_json(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        bad_input(f"{path} is not valid JSON: {exc}")


def _parse_yaml(path: Path, text: str) -> Any:
    try:
        import yaml  # type: ignore[import-untyped,unused-ignore]  # with uvicorn[standard]
    except ImportError:
        bad_input(f"{path}: reading YAML needs PyYAML; give the file as JSON")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        bad_input(f"{path} is not valid YAML: {exc}")


def pairs(values: list[str] | None, option: str = "--param") -> dict[str, Any]:
    """`key=value` options as a mapping; a value that parses as JSON (42, true, [1]) is kept
    as that JSON, any other value is a string."""
    parsed: dict[str, Any] = {}
    for item in values or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            bad_input(f"{option} takes key=value, got {item!r}")
        try:
            parsed[key] = json.loads(raw)
        except ValueError:
            parsed[key] = raw
    return parsed
