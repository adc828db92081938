"""The `interlink` command: one module per command group (see docs/cli.md, generated from
this app by scripts/gen_cli_docs.py)."""

from __future__ import annotations

import typer

from interlink.cli import (
    ai,
    connectors,
    credentials,
    custom_providers,
    db,
    events,
    executions,
    init,
    integrations,
    keys,
    mock,
    ops,
    providers,
    remote,
    serve,
    transfer,
    vault,
    webhooks,
    worker,
    workflows,
    workspaces,
)

app = typer.Typer(
    name="interlink",
    help="Interlink: a self-hosted integration layer.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.callback()(remote.remember)
app.command("serve")(serve.serve)
app.command("worker")(worker.worker)
app.command("init")(init.init)
app.command("mock")(mock.mock)
app.command("export")(transfer.export)
app.command("import")(transfer.import_)
app.add_typer(db.app, name="db")
app.add_typer(vault.app, name="vault")
app.add_typer(workspaces.app, name="workspaces")
app.add_typer(keys.app, name="keys")
app.add_typer(integrations.app, name="integrations")
app.add_typer(connectors.app, name="connectors")
app.add_typer(providers.app, name="providers")
app.add_typer(custom_providers.app, name="custom-providers")
app.add_typer(ops.app, name="ops")
app.add_typer(credentials.app, name="credentials")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(workflows.app, name="workflows")
app.add_typer(executions.app, name="executions")
app.add_typer(events.app, name="events")
app.add_typer(ai.app, name="ai")
