"""Single sign-on in the console: OpenID Connect's start and callback, and the LDAP sign-in form.
Each ends in `ConsoleSessions.open`, as a sign-in with an API key does. What a sign-in must come
back with (state, nonce, PKCE verifier) waits in a cookie sealed with the vault's keyring."""

from __future__ import annotations

import hmac
import json
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from jinja2 import pass_context

from interlink.api.deps import services
from interlink.auth.sso.errors import SsoRefused
from interlink.auth.sso.oidc import PENDING_FOR_SECONDS, PendingLogin
from interlink.auth.sso.service import SsoService, SsoSignIn
from interlink.console.auth_routes import SIGN_IN_COOKIE, _landing, _sign_in_form
from interlink.console.deps import Sessions
from interlink.console.routing import ConsoleRoute
from interlink.console.sessions import is_secure
from interlink.console.templates import TEMPLATES, link
from interlink.core.db import Database
from interlink.core.errors import Forbidden, InterlinkError
from interlink.vault.keyring import Keyring, VaultError

PENDING_COOKIE = "interlink_console_oidc"
_SEALED_AS = "console-sso-oidc"

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)


class SsoDeps(Protocol):
    db: Database
    keyring: Keyring
    sso: SsoService


Deps = Annotated[SsoDeps, Depends(services)]


@router.get("/sso/oidc/start", name="console:sso_oidc_start")
async def oidc_start(request: Request, deps: Deps, next: str = "/") -> Response:
    try:
        url, pending = await deps.sso.start_oidc()
    except InterlinkError as exc:
        return _sign_in_form(request, next, error=exc.message, status=exc.status_code)
    kept = json.dumps({"pending": pending.to_json(), "next": next[:500]}).encode()
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        PENDING_COOKIE, deps.keyring.seal(kept, _SEALED_AS), max_age=PENDING_FOR_SECONDS,
        path=_pending_path(request), secure=is_secure(request), httponly=True, samesite="lax",
    )  # fmt: skip
    return response


@router.get("/sso/oidc/callback", name="console:sso_oidc_callback")
async def oidc_callback(request: Request, deps: Deps, sessions: Sessions) -> Response:
    next, answer = "/", {k: v[:2000] for k, v in request.query_params.items()}
    try:
        pending, next = _pending(deps.keyring, request.cookies.get(PENDING_COOKIE, ""))
        signed = await deps.sso.finish_oidc(deps.db, pending, answer)
    except InterlinkError as exc:
        response = _sign_in_form(request, next, error=exc.message, status=exc.status_code)
    else:
        response = await _open(request, sessions, signed, next)
    response.delete_cookie(PENDING_COOKIE, path=_pending_path(request))
    return response


@router.post("/sign-in/ldap", name="console:sso_ldap_sign_in")  # under the form's cookie
async def ldap_sign_in(
    request: Request,
    deps: Deps,
    sessions: Sessions,
    username: Annotated[str, Form(max_length=256)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        raise Forbidden("the sign-in form is out of date or came from another site: reload it")
    try:
        signed = await deps.sso.sign_in_ldap(deps.db, username, password)
    except InterlinkError as exc:
        return _sign_in_form(request, next, error=exc.message, status=exc.status_code)
    return await _open(request, sessions, signed, next)


async def _open(request: Request, sessions: Sessions, signed: SsoSignIn, next: str) -> Response:
    method = signed.identity.method
    opened = await sessions.open(signed.principal, method=method, name=signed.identity.name)
    response = RedirectResponse(_landing(request, next), status_code=303)
    sessions.set_cookie(response, request, opened)
    response.delete_cookie(SIGN_IN_COOKIE, path=link(request, "console:sign_in"))
    return response


def _pending(keyring: Keyring, sealed: str) -> tuple[PendingLogin, str]:
    """The sign-in this browser started here; refused when there is none (or it was altered)."""
    try:
        kept = json.loads(keyring.open(sealed, _SEALED_AS))
        return PendingLogin.from_json(kept["pending"]), str(kept["next"])
    except (VaultError, ValueError, KeyError, TypeError):
        raise SsoRefused("this sign-in was not started in this browser: start it again") from None


def _pending_path(request: Request) -> str:
    return link(request, "console:sso_oidc_callback")


@pass_context
def _sso_ways(context: dict[str, Any]) -> dict[str, Any]:
    """What the sign-in page offers besides an API key."""
    found: SsoDeps = context["request"].app.state.services
    oidc = found.sso.oidc
    return {
        "oidc": oidc.settings.display_name if oidc else None,
        "ldap": found.sso.ldap is not None,
    }


TEMPLATES.env.globals["sso_ways"] = _sso_ways
