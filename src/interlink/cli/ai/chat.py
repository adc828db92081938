"""`interlink ai chat` and `interlink ai models`: a prompt through the gateway, its answer
streamed to the terminal as it comes, and the models it may be sent to."""

from __future__ import annotations

import sys
from typing import Annotated, Any, NoReturn

import typer

from interlink.cli.output import EXIT_ERROR, Json, emit_json, errors, fail, table
from interlink.cli.remote import connect
from interlink.sdk import BudgetExceeded, ChatAnswer, ChatStream

Model = Annotated[
    str, typer.Argument(help="A route's name, or <integration>/<model> (see `interlink ai models`)")
]
Prompt = Annotated[str, typer.Argument(help="The prompt; - reads it from stdin")]


def _refused(exc: BudgetExceeded) -> NoReturn:
    """The 402 said plainly: which budget, its limit, what is used and held, what the call
    needed."""
    notes = [
        f"budget {d['budget_id']} per {d.get('period')}: limit {d.get('limit')} {d.get('unit')}, "
        f"used {d.get('used')}, held by calls under way {d.get('held_by_calls_under_way')}, "
        f"this call up to {d.get('this_call_at_most')}"
        for d in exc.details
        if isinstance(d, dict) and "budget_id" in d
    ]
    asked = f" [request {exc.request_id}]" if exc.request_id else ""
    fail("\n  ".join([exc.message + asked, *notes]), exc.code, EXIT_ERROR)


def _footer(answer: ChatAnswer) -> str:
    served, used = answer.served, answer.usage
    if served is None:
        return "(the stream did not say who served it)"
    route = f" via route {served.route}@{served.route_version}" if served.route else ""
    plural = "s" if served.fallbacks > 1 else ""
    fallbacks = f" after {served.fallbacks} fallback{plural}" if served.fallbacks else ""
    return (
        f"{served.integration or served.integration_id} / {served.model}{route}{fallbacks}: "
        f"{used.prompt_tokens} + {used.completion_tokens} tokens, ${served.cost}"
    )


def _follow(stream: ChatStream, show: bool) -> ChatAnswer:
    """Each piece of text printed as it comes (when `show`); the whole answer at the end."""
    printed = False
    try:
        for chunk in stream:
            if show and chunk.content:
                typer.echo(chunk.content, nl=False)
                printed = True
    finally:
        if printed:
            typer.echo()
    return stream.answer()


def chat(
    ctx: typer.Context,
    model: Model,
    prompt: Prompt,
    system: Annotated[str | None, typer.Option(help="A system prompt")] = None,
    max_tokens: Annotated[
        int | None, typer.Option("--max-tokens", min=1, help="At most this many tokens")
    ] = None,
    temperature: Annotated[float | None, typer.Option(min=0, max=2)] = None,
    quality: Annotated[
        str | None, typer.Option(help="A route's hint: economy, standard or high")
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the answer as JSON: text, integration, model, tokens, cost"
        ),
    ] = False,
) -> None:
    """Send a prompt to a route or a model; the answer streams to stdout as it comes.

    Who served it, its tokens and cost follow on stderr. A call over a budget is refused
    (BUDGET_EXCEEDED, exit 1) before it reaches the provider."""
    text = sys.stdin.read() if prompt == "-" else prompt
    options: dict[str, Any] = {
        "system": system, "max_tokens": max_tokens, "temperature": temperature,
        "quality": quality,
    }  # fmt: skip
    with connect(ctx) as client:
        try:
            with client.ai.stream_chat(model, text, **options) as stream:
                answer = _follow(stream, show=not as_json)
        except BudgetExceeded as exc:
            _refused(exc)
    if as_json:
        emit_json(answer)
        return
    errors.print(f"[dim]{_footer(answer)}[/]", highlight=False)


def models(ctx: typer.Context, as_json: Json = False) -> None:
    """List what `ai chat` takes as MODEL: the workspace's routes, then <integration>/<model>."""
    with connect(ctx) as client:
        found = client.ai.list_models()
    if as_json:
        emit_json(found)
        return
    table(("model",), [(name,) for name in found], f"{len(found)} models")
