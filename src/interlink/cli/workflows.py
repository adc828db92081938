"""`interlink workflows`: define workflows and run them (and follow a run step by step)."""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer

from interlink.cli import executions
from interlink.cli.output import Json, Limit, console, emit_json, fields, table
from interlink.cli.remote import File, bad_input, connect, pairs, read_document
from interlink.cli.waiting import PollInterval, Timeout
from interlink.sdk import Workflow

app = typer.Typer(help="Workflows: define, list, run.", no_args_is_help=True)

WorkflowId = Annotated[str, typer.Argument(help="The workflow's id (wf_...)")]
FIELDS = {"name", "description", "definition", "is_public", "enabled", "triggers"}


def _show(workflow: Workflow, title: str) -> None:
    fields(
        {
            "id": workflow.id, "name": workflow.name, "version": workflow.version,
            "description": workflow.description, "enabled": workflow.enabled,
            "steps": [f"{s.name} ({s.type})" for s in workflow.definition.steps],
            "triggers": workflow.triggers, "webhook URL": workflow.webhook_url,
        },
        title=title,
    )  # fmt: skip


@app.command("list")
def list_workflows(ctx: typer.Context, limit: Limit = 50, as_json: Json = False) -> None:
    """List workflows."""
    with connect(ctx) as client:
        items = list(islice(client.workflows.list_workflows(page_size=min(limit, 100)), limit))
    if as_json:
        emit_json(items)
        return
    rows = [(w.id, w.name, w.version, w.enabled, len(w.definition.steps)) for w in items]
    table(("id", "name", "version", "enabled", "steps"), rows, f"{len(rows)} workflows")


@app.command("get")
def get(ctx: typer.Context, workflow_id: WorkflowId, as_json: Json = False) -> None:
    """Show a workflow and its steps."""
    with connect(ctx) as client:
        workflow = client.workflows.get_workflow(workflow_id)
    if as_json:
        emit_json(workflow)
        return
    _show(workflow, f"workflow {workflow.id}")


@app.command("create")
def create(ctx: typer.Context, file: File, as_json: Json = False) -> None:
    """Create a workflow from a file: name, definition ({"steps": [...]}), and optionally
    description, triggers, enabled, is_public (see docs/workflows.md)."""
    body = read_document(file)
    unknown = set(body) - FIELDS
    if unknown:
        bad_input(f"{file}: unknown fields {', '.join(sorted(unknown))}")
    if "name" not in body or "definition" not in body:
        bad_input(f"{file}: a workflow needs a name and a definition")
    with connect(ctx) as client:
        workflow = client.workflows.create_workflow(
            body.pop("name"), body.pop("definition"), **body
        )
    if as_json:
        emit_json(workflow)
        return
    _show(workflow, f"workflow {workflow.id} created")
    if workflow.trigger_token:
        console.print(f"webhook trigger token (shown once): [bold]{workflow.trigger_token}[/]")


def _input(values: list[str] | None, file: Path | None) -> dict[str, Any]:
    given: dict[str, Any] = read_document(file) if file else {}
    return given | pairs(values, "--input")


@app.command("run")
def run(
    ctx: typer.Context,
    workflow_id: WorkflowId,
    input: Annotated[
        list[str] | None,
        typer.Option("--input", "-i", help="An input field as key=value (repeat it)"),
    ] = None,
    input_file: Annotated[
        Path | None, typer.Option("--input-file", help="The input as a JSON (or YAML) file")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow the execution, each step as it finishes")
    ] = False,
    timeout: Timeout = 300.0,
    poll_interval: PollInterval = 0.5,
    as_json: Json = False,
) -> None:
    """Start an execution of the workflow's current version. With --wait, exits 4 when the
    execution failed or was cancelled."""
    data = _input(input, input_file)
    with connect(ctx) as client:
        started = client.workflows.execute(workflow_id, data)
        if not wait:
            execution = client.workflows.get_execution(started.execution_id)
        else:
            total = len(client.workflows.get_workflow(workflow_id).definition.steps)
            if not as_json:
                console.print(f"execution [bold]{started.execution_id}[/] started")
            execution = executions.follow(
                client, started.execution_id, total, timeout, poll_interval, as_json
            )
    if as_json:
        emit_json(execution)
    elif wait:
        console.print(f"execution [bold]{execution.id}[/] [bold]{execution.status}[/]")
        if execution.output is not None:
            console.print_json(data=execution.output, default=str)
    else:
        console.print(f"execution [bold]{execution.id}[/] {execution.status}")
        console.print(f"follow it: interlink executions get {execution.id}")
    executions.end_with(execution)


@app.command("delete")
def delete(
    ctx: typer.Context,
    workflow_id: WorkflowId,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first")] = False,
    as_json: Json = False,
) -> None:
    """Delete a workflow, its versions and its finished executions."""
    if not yes:
        typer.confirm(f"Delete workflow {workflow_id}?", abort=True)
    with connect(ctx) as client:
        deleted = client.workflows.delete_workflow(workflow_id)
    if as_json:
        emit_json(deleted)
        return
    console.print(f"workflow [bold]{deleted.id}[/] deleted")
