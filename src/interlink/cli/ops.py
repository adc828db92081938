"""`interlink ops`: the operations of an integration: list them, run one (now, or queued for a
worker and followed until it ends), read the history."""

from __future__ import annotations

from functools import partial
from itertools import islice
from typing import Annotated

import typer

from interlink.cli.output import EXIT_UNSUCCESSFUL, Json, Limit, console, emit_json, errors, table
from interlink.cli.remote import RETRY, Pairs, Remote, connect, pairs
from interlink.cli.waiting import (
    OperationProgress,
    PollInterval,
    Timeout,
    operation_progress,
    wait_until,
)
from interlink.sdk import AsyncInterlink, IntegrationOperations, OperationResult, OperationStatus

app = typer.Typer(help="Operations: list, run, follow, history.", no_args_is_help=True)

IntegrationId = Annotated[str, typer.Argument(help="The integration's id (int_...)")]
Operation = Annotated[str, typer.Argument(help="The operation, e.g. get_repository")]
FINISHED = {"completed", "failed"}


@app.command("list")
def list_operations(
    ctx: typer.Context, integration_id: IntegrationId, as_json: Json = False
) -> None:
    """List the operations an integration offers, with their parameters."""
    with connect(ctx) as client:
        operations = client.get_integration_client(integration_id).list_operations()
    if as_json:
        emit_json(operations)
        return
    rows = [
        (
            op.id,
            ", ".join(p.name + ("" if p.required else "?") for p in op.parameters),
            op.description,
        )
        for op in operations
    ]
    table(("operation", "parameters (? optional)", "description"), rows, f"{len(rows)} operations")


def _follow(
    operations: IntegrationOperations,
    started: OperationResult,
    timeout: float,
    poll_interval: float,
    shown: OperationProgress | None,
) -> OperationStatus:
    latest = operations.get_operation_status(started.operation, started.operation_id)

    def look() -> bool:
        nonlocal latest
        latest = operations.get_operation_status(started.operation, started.operation_id)
        if shown is not None:
            shown.describe(f"operation {latest.operation_id} {latest.status}")
        return latest.status in FINISHED

    if latest.status not in FINISHED:
        wait_until(
            look, lambda: f"operation {latest.operation_id} is still {latest.status}",
            timeout, poll_interval,
        )  # fmt: skip
    return latest


def _report(result: OperationResult) -> None:
    took = f" in {result.duration_ms} ms" if result.duration_ms is not None else ""
    console.print(
        f"operation [bold]{result.operation}[/] ({result.operation_id}) {result.status}{took}"
    )
    if result.status == "queued":
        console.print(
            f"follow it: interlink ops get {result.integration_id} {result.operation} "
            f"{result.operation_id}"
        )
    if result.result is not None:
        console.print_json(data=result.result, default=str)


def _failed(result: OperationResult) -> None:
    error = getattr(result, "error", None) or {}
    code = error.get("code", "OPERATION_FAILED")
    errors.print(f"[bold red]{code}[/]: ", end="", highlight=False)
    errors.out(str(error.get("message", "the operation failed")), highlight=False)
    raise typer.Exit(EXIT_UNSUCCESSFUL)


@app.command("run")
def run(
    ctx: typer.Context,
    integration_id: IntegrationId,
    operation: Operation,
    param: Pairs = None,
    run_async: Annotated[
        bool, typer.Option("--async", help="Queue it for a worker instead of running it now")
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="With --async: follow it until it has finished")
    ] = False,
    timeout: Timeout = 300.0,
    poll_interval: PollInterval = 0.5,
    as_json: Json = False,
) -> None:
    """Run an operation with `--param key=value` parameters. While it runs (now, or queued
    with --wait) a bar shows the progress it reports (the steps and bytes of an Ollama
    pull), read from the event stream; out of a terminal, a line a report; nothing with
    --json. Exits 4 when a followed operation failed (an operation run now that fails is an
    API error: exit 1)."""
    parameters = pairs(param)
    quiet = as_json or (run_async and not wait)
    remote = ctx.find_object(Remote) or Remote()
    events = partial(AsyncInterlink, remote.api_key, base_url=remote.url, retry=RETRY)
    with connect(ctx) as client:
        operations = client.get_integration_client(integration_id)
        with operation_progress(events, quiet, f"{operation} running") as shown:
            result: OperationResult = operations.execute_operation(
                operation, parameters, run_async=run_async,
                request_id=shown.request_id if shown else None,
            )  # fmt: skip
            if run_async and wait:
                if shown is not None:
                    shown.follow(result.operation_id)
                result = _follow(operations, result, timeout, poll_interval, shown)
            if shown is not None:
                shown.wait_for_end(result.operation_id)
    if as_json:
        emit_json(result)
    else:
        _report(result)
    if result.status == "failed":
        _failed(result)


@app.command("get")
def get(
    ctx: typer.Context,
    integration_id: IntegrationId,
    operation: Operation,
    operation_id: Annotated[str, typer.Argument(help="The operation run's id (op_...)")],
    as_json: Json = False,
) -> None:
    """Show one run of an operation: status, parameters (secrets masked), result or error."""
    with connect(ctx) as client:
        status = client.get_integration_client(integration_id).get_operation_status(
            operation, operation_id
        )
    if as_json:
        emit_json(status)
        return
    _report(status)
    if status.error:
        console.print(f"error: {status.error}", highlight=False)


@app.command("history")
def history(
    ctx: typer.Context,
    integration_id: IntegrationId,
    operation: Annotated[str | None, typer.Option(help="Only this operation")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status, e.g. failed")] = None,
    limit: Limit = 50,
    as_json: Json = False,
) -> None:
    """List the operations an integration ran, newest first."""
    with connect(ctx) as client:
        pager = client.get_integration_client(integration_id).list_operation_history(
            operation=operation, status=status, page_size=min(limit, 100)
        )
        runs = list(islice(pager, limit))
    if as_json:
        emit_json(runs)
        return
    rows = [(r.operation_id, r.operation, r.status, r.duration_ms, r.started_at) for r in runs]
    table(("id", "operation", "status", "ms", "started"), rows, f"{len(rows)} runs")
