"""`interlink executions`: workflow executions: show, list, cancel, retry; and the display
`workflows run --wait` follows one with."""

from __future__ import annotations

from itertools import islice
from typing import Annotated

import typer

from interlink.cli.output import (
    EXIT_UNSUCCESSFUL,
    Json,
    Limit,
    console,
    emit_json,
    errors,
    fields,
    table,
)
from interlink.cli.remote import connect
from interlink.cli.waiting import progress, wait_until
from interlink.sdk import Execution, ExecutionStep, Interlink

app = typer.Typer(help="Workflow executions: show, list, cancel, retry.", no_args_is_help=True)

ExecutionId = Annotated[str, typer.Argument(help="The execution's id (exec_...)")]
STEP_DONE = {"completed", "failed", "skipped", "cancelled"}
MARKS = {"completed": "[green]✓[/]", "failed": "[red]✗[/]", "skipped": "-", "cancelled": "-"}


def _took(step: ExecutionStep) -> str:
    if step.started_at and step.completed_at:
        return f", {(step.completed_at - step.started_at).total_seconds() * 1000:.0f} ms"
    return ""


def step_line(step: ExecutionStep) -> str:
    attempts = f"{step.attempts} attempt{'s' if step.attempts != 1 else ''}"
    kind = f" ({step.type})" if step.type else ""
    mark = MARKS.get(step.status, "·")
    return f"{mark} step [bold]{step.name}[/]{kind} {step.status}, {attempts}{_took(step)}"


def show(execution: Execution) -> None:
    fields(
        {
            "id": execution.id, "workflow": execution.workflow_id,
            "version": execution.workflow_version, "status": execution.status,
            "trigger": execution.trigger, "input": execution.input, "output": execution.output,
            "error": execution.error, "started": execution.started_at,
            "completed": execution.completed_at,
        },
        title=f"execution {execution.id}",
    )  # fmt: skip
    rows = [(s.name, s.type, s.status, s.attempts, s.output, s.error) for s in execution.steps]
    if rows:
        table(("step", "type", "status", "attempts", "output", "error"), rows)


def end_with(execution: Execution) -> None:
    """Exit 4 when the execution failed or was cancelled, its error on stderr."""
    if execution.status in {"failed", "cancelled"}:
        detail = execution.error if execution.error else "no error recorded"
        errors.print(
            f"[bold red]EXECUTION_{execution.status.upper()}[/]: execution {execution.id} "
            f"{execution.status}: {detail}",
            highlight=False,
        )
        raise typer.Exit(EXIT_UNSUCCESSFUL)


def follow(
    client: Interlink,
    execution_id: str,
    total: int | None,
    timeout: float,
    poll_interval: float,
    quiet: bool,
) -> Execution:
    """Poll an execution until it has finished, printing each step as it finishes."""
    latest = client.workflows.get_execution(execution_id)
    printed: set[tuple[int, str]] = set()
    with progress(quiet, f"execution {execution_id} {latest.status}", total) as bar:

        def look() -> bool:
            nonlocal latest
            latest = client.workflows.get_execution(execution_id)
            for index, step in enumerate(latest.steps):
                if step.status in STEP_DONE and (index, step.name) not in printed:
                    printed.add((index, step.name))
                    if not quiet:
                        console.print(step_line(step), highlight=False)
            description = f"execution {execution_id} {latest.status}"
            bar.update(bar.task_ids[0], description=description, completed=len(printed))
            return latest.finished

        wait_until(look, lambda: f"execution {execution_id} is still {latest.status}",
                   timeout, poll_interval)  # fmt: skip
    return latest


@app.command("get")
def get(ctx: typer.Context, execution_id: ExecutionId, as_json: Json = False) -> None:
    """Show an execution and each of its steps."""
    with connect(ctx) as client:
        execution = client.workflows.get_execution(execution_id)
    if as_json:
        emit_json(execution)
        return
    show(execution)


@app.command("list")
def list_executions(
    ctx: typer.Context,
    workflow: Annotated[str | None, typer.Option(help="Only this workflow's (wf_...)")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status, e.g. failed")] = None,
    limit: Limit = 50,
    as_json: Json = False,
) -> None:
    """List executions, newest first."""
    with connect(ctx) as client:
        pager = client.workflows.list_executions(workflow, status=status, page_size=min(limit, 100))
        items = list(islice(pager, limit))
    if as_json:
        emit_json(items)
        return
    rows = [(e.id, e.workflow_id, e.status, e.trigger, e.started_at, e.completed_at) for e in items]
    columns = ("id", "workflow", "status", "trigger", "started", "completed")
    table(columns, rows, f"{len(rows)} executions")


@app.command("cancel")
def cancel(ctx: typer.Context, execution_id: ExecutionId, as_json: Json = False) -> None:
    """Cancel an execution that has not finished."""
    with connect(ctx) as client:
        execution = client.workflows.cancel_execution(execution_id)
    if as_json:
        emit_json(execution)
        return
    console.print(f"execution [bold]{execution.id}[/] is [bold]{execution.status}[/]")


@app.command("retry")
def retry(ctx: typer.Context, execution_id: ExecutionId, as_json: Json = False) -> None:
    """Run a failed execution again from its failed step."""
    with connect(ctx) as client:
        execution = client.workflows.retry_execution(execution_id)
    if as_json:
        emit_json(execution)
        return
    console.print(f"execution [bold]{execution.id}[/] is [bold]{execution.status}[/]")
