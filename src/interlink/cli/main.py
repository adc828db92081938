from __future__ import annotations

import typer

from interlink.cli import db, mock, serve, vault, worker, workspaces

app = typer.Typer(
    name="interlink",
    help="Interlink: a self-hosted integration layer.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command("serve")(serve.serve)
app.command("mock")(mock.mock)
app.command("worker")(worker.worker)
app.add_typer(db.app, name="db")
app.add_typer(vault.app, name="vault")
app.add_typer(workspaces.app, name="workspaces")
