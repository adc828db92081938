"""`interlink ai budgets`: limits of tokens or dollars per day or month, enforced before a
language-model call."""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer

from interlink.cli.output import Json, Limit, console, emit_json, fields, table
from interlink.cli.remote import bad_input, connect, read_document
from interlink.sdk import Budget

app = typer.Typer(
    help="Budgets: tokens or dollars per day or month, on an integration or the workspace.",
    no_args_is_help=True,
)

BudgetId = Annotated[str, typer.Argument(help="The budget's id (bud_...)")]
LimitTokens = Annotated[int | None, typer.Option("--limit-tokens", min=1, help="Tokens a period")]
LimitUsd = Annotated[
    str | None, typer.Option("--limit-usd", help='Dollars a period, e.g. "25.00"')
]  # fmt: skip
Threshold = Annotated[
    int | None,
    typer.Option(
        "--threshold", min=1, max=100, help="budget.threshold_reached at this percent (80)"
    ),
]
FIELDS = {"integration_id", "period", "limit_tokens", "limit_usd", "threshold_percent"}


def _show(budget: Budget, title: str) -> None:
    fields(
        {
            "id": budget.id, "integration": budget.integration_id or "(the whole workspace)",
            "period": budget.period, "unit": budget.unit, "limit": budget.limit,
            "used": budget.used, "held": budget.held,
            "threshold": f"{budget.threshold_percent}%", "period start": budget.period_start,
        },
        title=title,
    )  # fmt: skip


def _body(file: Path | None, options: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = read_document(file) if file else {}
    unknown = set(body) - FIELDS
    if unknown:
        bad_input(f"{file}: unknown fields {', '.join(sorted(unknown))}")
    return body | {k: v for k, v in options.items() if v is not None}


@app.command("list")
def list_budgets(ctx: typer.Context, limit: Limit = 50, as_json: Json = False) -> None:
    """List the workspace's budgets, each with its current period's use."""
    with connect(ctx) as client:
        found = list(islice(client.budgets.list_budgets(page_size=min(limit, 100)), limit))
    if as_json:
        emit_json(found)
        return
    rows = [
        (b.id, b.integration_id or "workspace", b.period, b.unit, b.limit, b.used, b.held)
        for b in found
    ]
    columns = ("id", "on", "period", "unit", "limit", "used", "held")
    table(columns, rows, f"{len(rows)} budgets")


@app.command("show")
def show(ctx: typer.Context, budget_id: BudgetId, as_json: Json = False) -> None:
    """Show a budget and its current period's use."""
    with connect(ctx) as client:
        budget = client.budgets.get_budget(budget_id)
    if as_json:
        emit_json(budget)
        return
    _show(budget, f"budget {budget.id}")


@app.command("create")
def create(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Option(
            "-f", "--file", help="A JSON (or YAML) file: period, limit_tokens or limit_usd..."
        ),
    ] = None,
    period: Annotated[str | None, typer.Option(help="day or month (UTC)")] = None,
    limit_tokens: LimitTokens = None,
    limit_usd: LimitUsd = None,
    integration: Annotated[
        str | None, typer.Option(help="Only this integration's calls (int_...)")
    ] = None,
    threshold: Threshold = None,
    as_json: Json = False,
) -> None:
    """Set a budget: exactly one of --limit-tokens and --limit-usd, per --period; on one
    --integration, or without it on every language-model call of the workspace."""
    options = {
        "period": period, "limit_tokens": limit_tokens, "limit_usd": limit_usd,
        "integration_id": integration, "threshold_percent": threshold,
    }  # fmt: skip
    body = _body(file, options)
    if "period" not in body:
        bad_input("give the budget's --period (day or month)")
    with connect(ctx) as client:
        budget = client.budgets.create_budget(body.pop("period"), **body)
    if as_json:
        emit_json(budget)
        return
    _show(budget, f"budget {budget.id} created")


@app.command("update")
def update(
    ctx: typer.Context,
    budget_id: BudgetId,
    limit_tokens: LimitTokens = None,
    limit_usd: LimitUsd = None,
    threshold: Threshold = None,
    as_json: Json = False,
) -> None:
    """Change a budget's limit (in its own unit) or threshold; its period's use is kept."""
    if limit_tokens is None and limit_usd is None and threshold is None:
        bad_input("nothing to change: give --limit-tokens, --limit-usd or --threshold")
    with connect(ctx) as client:
        budget = client.budgets.update_budget(
            budget_id, limit_tokens=limit_tokens, limit_usd=limit_usd, threshold_percent=threshold
        )
    if as_json:
        emit_json(budget)
        return
    _show(budget, f"budget {budget.id} changed")


@app.command("delete")
def delete(
    ctx: typer.Context,
    budget_id: BudgetId,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first")] = False,
    as_json: Json = False,
) -> None:
    """Delete a budget."""
    if not yes:
        typer.confirm(f"Delete budget {budget_id}?", abort=True)
    with connect(ctx) as client:
        deleted = client.budgets.delete_budget(budget_id)
    if as_json:
        emit_json(deleted)
        return
    console.print(f"budget {deleted.id} deleted")
