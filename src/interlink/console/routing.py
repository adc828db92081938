"""The console's route class: a page's failures become pages (sign-in, 403, 404...), not the
API's JSON envelope, and every response carries the console's security headers."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from interlink.config import Settings
from interlink.console.security import secure
from interlink.console.sessions import CONSOLE, ConsoleSessions
from interlink.console.templates import link, render
from interlink.core.errors import InterlinkError, NotFound, Unauthenticated

_PREFIX = re.compile(r"^(/[A-Za-z0-9._~-]+)*$")
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            settings: Settings = request.app.state.services.settings
            if not settings.console.enabled:
                return Response(status_code=404)
            _forwarded_prefix(request, settings)
            try:
                response = await handler(request)
            except Unauthenticated:
                response = _to_sign_in(request)
            except InterlinkError as exc:
                response = _error_page(request, exc.status_code, exc.message)
            except RequestValidationError:
                response = _error_page(request, 400, "the form is not filled in as it should be")
            secure(response)
            return response

        return handle


def _forwarded_prefix(request: Request, settings: Settings) -> None:
    """Links under the proxy's path: `X-Forwarded-Prefix`, when the operator trusts it."""
    prefix = request.headers.get("x-forwarded-prefix", "").rstrip("/")
    if settings.console.trust_forwarded_prefix and prefix and _PREFIX.match(prefix):
        request.scope["root_path"] = prefix + request.scope.get("root_path", "")


def _to_sign_in(request: Request) -> Response:
    target = link(request, "console:sign_in")
    if request.method == "GET":
        target += "?" + urlencode({"next": request.scope["path"].partition(CONSOLE)[2]})
    if request.headers.get("hx-request"):
        response: Response = Response(status_code=204, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    ConsoleSessions.clear_cookie(response, request)
    return response


def _error_page(request: Request, status: int, message: str) -> Response:
    title = {403: "Not allowed", 404: "Not found"}.get(status, "Something went wrong")
    if status == 404 and not message:
        message = NotFound.__doc__ or ""
    return render(request, "error.html", status, title=title, message=message, status=status)
