"""`interlink ai routes`: named, versioned policies over language-model integrations."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer

from interlink.cli.output import Json, Limit, console, emit_json, fields, table
from interlink.cli.remote import bad_input, connect, read_document
from interlink.sdk import AiRoute

app = typer.Typer(
    help="Routes: a name to give as `model`, over several integrations' models.",
    no_args_is_help=True,
)

Name = Annotated[str, typer.Argument(help="The route's name (what callers give as `model`)")]
FromFile = Annotated[
    Path | None,
    typer.Option(
        "-f", "--file", help="A JSON (or YAML) file: name, targets, strategy, rules, description"
    ),
]
Targets = Annotated[
    list[str] | None,
    typer.Option(
        "--target",
        "-t",
        help="<integration>/<model>, or a target as a JSON object (repeat it, in order)",
    ),
]
Strategy = Annotated[
    str | None, typer.Option(help="fallback (as listed), weighted or cheapest")
]  # fmt: skip
Description = Annotated[str | None, typer.Option(help="What the route is for")]
POLICY = {"targets", "strategy", "rules", "description"}


def _show(route: AiRoute, title: str) -> None:
    fields(
        {
            "name": route.name, "version": route.version, "description": route.description,
            "strategy": route.strategy,
            "targets": [f"{t.integration}/{t.model}" for t in route.targets],
            "rules": len(route.rules), "saved": route.created_at, "saved by": route.created_by,
        },
        title=title,
    )  # fmt: skip


def _target(value: str) -> dict[str, Any]:
    if value.lstrip().startswith("{"):
        try:
            found = json.loads(value)
        except ValueError as exc:
            bad_input(f"--target {value!r} is not valid JSON: {exc}")
        if not isinstance(found, dict):
            bad_input(f"--target {value!r} must be an object")
        return found
    integration, slash, model = value.partition("/")
    if not slash or not integration or not model:
        bad_input(f"--target takes <integration>/<model>, got {value!r}")
    return {"integration": integration, "model": model}


def _policy(
    file: Path | None, targets: list[str] | None, strategy: str | None, description: str | None
) -> dict[str, Any]:
    """The file's fields (a route's name among them), with the options given over them."""
    body: dict[str, Any] = read_document(file) if file else {}
    unknown = set(body) - POLICY - {"name"}
    if unknown:
        bad_input(f"{file}: unknown fields {', '.join(sorted(unknown))}")
    given: dict[str, Any] = {"strategy": strategy, "description": description}
    if targets:
        given["targets"] = [_target(t) for t in targets]
    return body | {k: v for k, v in given.items() if v is not None}


@app.command("list")
def list_routes(ctx: typer.Context, limit: Limit = 50, as_json: Json = False) -> None:
    """List the workspace's routes, each at its current version."""
    with connect(ctx) as client:
        found = list(islice(client.ai_routes.list_routes(page_size=min(limit, 100)), limit))
    if as_json:
        emit_json(found)
        return
    rows = [
        (r.name, r.version, r.strategy, [f"{t.integration}/{t.model}" for t in r.targets])
        for r in found
    ]
    table(("name", "version", "strategy", "targets"), rows, f"{len(rows)} routes")


@app.command("show")
def show(
    ctx: typer.Context,
    name: Name,
    version: Annotated[int | None, typer.Option(min=1, help="An older version")] = None,
    as_json: Json = False,
) -> None:
    """Show a route (its current version, or the one asked)."""
    with connect(ctx) as client:
        route = client.ai_routes.get_route(name, version=version)
    if as_json:
        emit_json(route)
        return
    _show(route, f"route {route.name}")
    rows = [
        (f"{t.integration}/{t.model}", t.weight, t.quality, t.context_window, t.price)
        for t in route.targets
    ]
    table(("target", "weight", "quality", "context", "price $/M"), rows, "targets")


@app.command("versions")
def versions(ctx: typer.Context, name: Name, as_json: Json = False) -> None:
    """List every version of a route, newest first."""
    with connect(ctx) as client:
        found = client.ai_routes.list_route_versions(name)
    if as_json:
        emit_json(found)
        return
    rows = [
        (r.version, r.strategy, [f"{t.integration}/{t.model}" for t in r.targets], r.created_at)
        for r in found
    ]
    table(("version", "strategy", "targets", "saved"), rows, f"route {name}")


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="The route's name (else the file's)")] = None,
    file: FromFile = None,
    target: Targets = None,
    strategy: Strategy = None,
    description: Description = None,
    as_json: Json = False,
) -> None:
    """Create a route (its version 1) from a file, or from --target options (weights,
    qualities, prices and rules: in a file, see docs/ai.md)."""
    body = _policy(file, target, strategy, description)
    route_name = name or body.pop("name", None)
    body.pop("name", None)
    if not route_name:
        bad_input("give the route's name (as an argument or the file's `name`)")
    if not body.get("targets"):
        bad_input("give the route's targets (--target <integration>/<model>, or a file)")
    with connect(ctx) as client:
        route = client.ai_routes.create_route(route_name, **body)
    if as_json:
        emit_json(route)
        return
    _show(route, f"route {route.name} created")


@app.command("update")
def update(
    ctx: typer.Context,
    name: Name,
    file: FromFile = None,
    target: Targets = None,
    strategy: Strategy = None,
    description: Description = None,
    as_json: Json = False,
) -> None:
    """Change a route: its current version with the file's fields and the options given over
    it, saved as its next version (a call in flight keeps its own)."""
    changes = _policy(file, target, strategy, description)
    changes.pop("name", None)
    if not changes:
        bad_input("nothing to change: give a file, --target, --strategy or --description")
    with connect(ctx) as client:
        current = client.ai_routes.get_route(name)
        body = current.model_dump(include=POLICY, exclude_none=True) | changes
        route = client.ai_routes.update_route(name, **body)
    if as_json:
        emit_json(route)
        return
    _show(route, f"route {route.name} saved as version {route.version}")


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: Name,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first")] = False,
    as_json: Json = False,
) -> None:
    """Delete a route and all its versions."""
    if not yes:
        typer.confirm(f"Delete route {name} and all its versions?", abort=True)
    with connect(ctx) as client:
        deleted = client.ai_routes.delete_route(name)
    if as_json:
        emit_json(deleted)
        return
    console.print(f"route {deleted.name} deleted")
