"""`interlink ai`: language-model routes, budgets, spend, and chat through the gateway (see
docs/ai.md). One module per subgroup; this one puts them together."""

from __future__ import annotations

import typer

from interlink.cli.ai import budgets, chat, routes
from interlink.cli.ai.usage import usage

app = typer.Typer(
    help="AI: routes over language models, budgets, spend, and chat.", no_args_is_help=True
)
app.add_typer(routes.app, name="routes")
app.add_typer(budgets.app, name="budgets")
app.command("usage")(usage)
app.command("chat")(chat.chat)
app.command("models")(chat.models)
