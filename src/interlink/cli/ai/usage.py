"""`interlink ai usage`: language-model calls, tokens and dollars over a time range."""

from __future__ import annotations

from typing import Annotated

import typer

from interlink.cli.output import Json, emit_json, table
from interlink.cli.remote import connect
from interlink.sdk import Spend


def _numbers(spend: Spend) -> tuple[int, int, int, str]:
    return (spend.calls, spend.prompt_tokens, spend.completion_tokens, spend.cost_usd)


def usage(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option(help="From (RFC 3339; default: 30 days before --until)")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Until, excluded (default: now)")] = None,
    integration: Annotated[
        str | None, typer.Option(help="Only this integration's calls (int_...)")
    ] = None,
    as_json: Json = False,
) -> None:
    """Show language-model spend: in all, per integration and per model (with each model's
    failed calls, mean latency, time to first token and tokens per second)."""
    with connect(ctx) as client:
        report = client.usage.get_usage(since=since, until=until, integration_id=integration)
    if as_json:
        emit_json(report)
        return
    columns = ("calls", "prompt tokens", "completion tokens", "dollars")
    period = f"{report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC"
    table(columns, [_numbers(report.total)], f"spend from {period}")
    per_integration = [(i.integration_id, *_numbers(i)) for i in report.by_integration]
    table(("integration", *columns), per_integration, "per integration")
    per_model = [
        (f"{m.provider}/{m.model}", *_numbers(m), m.errors, m.latency_ms,
         m.time_to_first_token_ms, m.tokens_per_second)
        for m in report.by_model
    ]  # fmt: skip
    watched = ("errors", "latency ms", "first token ms", "tokens/s")
    table(("model", *columns, *watched), per_model, "per model")
