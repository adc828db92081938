"""The console's Jinja2 templates (autoescaped) and the helpers they call: links are paths built
from the request, so they follow the prefix the service is served under."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from starlette.responses import Response

from interlink.console.assets import assets
from interlink.console.security import CSRF_FIELD

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")


_PATHS: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}  # routes are the same in every app
_MOST_PATHS = 4096


def link(request: Request, name: str, /, **params: Any) -> str:
    """The path of the console's route `name` (with the request's root path and prefix). A path
    is found once: the app's router looks through every route for it (about 0.6 ms, which had
    been most of a page's rendering)."""
    key = (name, tuple(sorted((k, str(v)) for k, v in params.items())))
    path = _PATHS.get(key)
    if path is None:
        path = str(request.scope["router"].url_path_for(name, **params))
        if len(_PATHS) < _MOST_PATHS:
            _PATHS[key] = path
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/") + path


@pass_context
def _url(context: dict[str, Any], name: str, /, **params: Any) -> str:
    return link(context["request"], name, **params)


@pass_context
def _asset(context: dict[str, Any], name: str) -> str:
    return link(context["request"], "console:asset", digest=assets()[name].digest, name=name)


TEMPLATES.env.globals.update(url=_url, asset=_asset, csrf_field=CSRF_FIELD)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A page: `template` with `context`, the signed-in session (if any) and the request."""
    context.setdefault("signed_in", getattr(request.state, "console", None))
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
