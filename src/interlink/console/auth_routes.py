"""Signing in with an API key, signing out, and the console's static files."""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from interlink.console.assets import find
from interlink.console.deps import Console, Deps, Sessions
from interlink.console.routing import ConsoleRoute
from interlink.console.security import CSRF_FIELD
from interlink.console.sessions import COOKIE, is_secure
from interlink.console.templates import link, render
from interlink.core.errors import Forbidden, Unauthenticated

SIGN_IN_COOKIE = "interlink_console_sign_in"  # the sign-in form's CSRF token (double submit)
_NEXT = re.compile(r"^(/[A-Za-z0-9._~-]+)*/?$")

public = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
signed = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)


@public.get("/static/{digest}/{name:path}", name="console:asset")
async def asset(request: Request, digest: str, name: str) -> Response:
    found = find(digest, name)
    if found is None:
        return Response(status_code=404)
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(found.gzipped, media_type=found.media_type, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)


@public.get("/sign-in", name="console:sign_in")
async def sign_in_page(request: Request, next: str = "/") -> Response:
    return _sign_in_form(request, next)


@public.post("/sign-in", name="console:sign_in_submit")
async def sign_in(
    request: Request,
    deps: Deps,
    sessions: Sessions,
    api_key: Annotated[str, Form(max_length=500)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        raise Forbidden("the sign-in form is out of date or came from another site: reload it")
    try:
        principal = await deps.auth.authenticate(deps.db, api_key.strip())
    except Unauthenticated as exc:
        return _sign_in_form(request, next, error=exc.message, status=401)
    opened = await sessions.open(principal, method="api_key", name=f"API key {principal.subject}")
    response = RedirectResponse(_landing(request, next), status_code=303)
    sessions.set_cookie(response, request, opened)
    response.delete_cookie(SIGN_IN_COOKIE, path=_path(request))
    return response


@signed.post("/sign-out", name="console:sign_out")
async def sign_out(request: Request, _: Console, sessions: Sessions) -> Response:
    await sessions.close(request.cookies.get(COOKIE, ""))
    response = RedirectResponse(link(request, "console:sign_in"), status_code=303)
    sessions.clear_cookie(response, request)
    return response


def _sign_in_form(request: Request, next: str, error: str = "", status: int = 200) -> Response:
    token = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request, "sign_in.html", status, next=next, error=error, sign_in_token=token,
        csrf_field=CSRF_FIELD,
    )  # fmt: skip
    response.set_cookie(
        SIGN_IN_COOKIE, token, path=_path(request), secure=is_secure(request), httponly=True,
        samesite="strict",
    )  # fmt: skip
    return response


def _landing(request: Request, next: str) -> str:
    """Where a sign-in goes: a page of the console, never another site."""
    base = link(request, "console:overview").rstrip("/")
    return base + next if _NEXT.match(next) else base + "/"


def _path(request: Request) -> str:
    return link(request, "console:sign_in")
