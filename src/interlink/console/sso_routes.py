"""Single sign-on in the console: OpenID Connect's start and callback, SAML's start and assertion
consumer service, and the LDAP sign-in form. Each ends in `ConsoleSessions.open`, as a sign-in
with an API key does. What a sign-in must come back with (OIDC's state, nonce and PKCE verifier;
SAML's request id) waits in a cookie sealed with the vault's keyring that only its return path
sees."""

from __future__ import annotations

import hmac
import json
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from jinja2 import pass_context

from interlink.api.deps import services
from interlink.auth.sso.errors import SsoRefused
from interlink.auth.sso.oidc import PendingLogin
from interlink.auth.sso.pending import PENDING_FOR_SECONDS, PendingSaml
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
SAML_COOKIE = "interlink_console_saml"
_SEALED_AS = "console-sso-oidc"
_SAML_SEALED_AS = "console-sso-saml"

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
    response = RedirectResponse(url, status_code=303)
    how = (PENDING_COOKIE, _SEALED_AS, _pending_path(request))
    _keep(response, request, deps, (pending.to_json(), next), how)
    return response


@router.get("/sso/oidc/callback", name="console:sso_oidc_callback")
async def oidc_callback(request: Request, deps: Deps, sessions: Sessions) -> Response:
    next, answer = "/", {k: v[:2000] for k, v in request.query_params.items()}
    try:
        kept, next = _kept(deps.keyring, request.cookies.get(PENDING_COOKIE, ""), _SEALED_AS)
        signed = await deps.sso.finish_oidc(deps.db, PendingLogin.from_json(kept), answer)
    except InterlinkError as exc:
        response = _sign_in_form(request, next, error=exc.message, status=exc.status_code)
    else:
        response = await _open(request, sessions, signed, next)
    response.delete_cookie(PENDING_COOKIE, path=_pending_path(request))
    return response


@router.get("/sso/saml/start", name="console:sso_saml_start")
async def saml_start(request: Request, deps: Deps, next: str = "/") -> Response:
    try:
        url, pending = await deps.sso.start_saml()
    except InterlinkError as exc:
        return _sign_in_form(request, next, error=exc.message, status=exc.status_code)
    response = RedirectResponse(url, status_code=303)
    how = (SAML_COOKIE, _SAML_SEALED_AS, link(request, "console:sso_saml_acs"))
    _keep(response, request, deps, (pending.to_json(), next), how)
    return response


@router.post("/sso/saml/acs", name="console:sso_saml_acs")
async def saml_acs(
    request: Request,
    deps: Deps,
    sessions: Sessions,
    saml_response: Annotated[str, Form(alias="SAMLResponse", max_length=500_000)],
) -> Response:
    next = "/"
    try:
        kept, next = _kept(deps.keyring, request.cookies.get(SAML_COOKIE, ""), _SAML_SEALED_AS)
        pending = PendingSaml.from_json(kept)
        signed = await deps.sso.finish_saml(deps.db, pending, saml_response)
    except InterlinkError as exc:
        response = _sign_in_form(request, next, error=exc.message, status=exc.status_code)
    else:
        response = await _open(request, sessions, signed, next)
    response.delete_cookie(SAML_COOKIE, path=link(request, "console:sso_saml_acs"))
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


def _kept(keyring: Keyring, sealed: str, aad: str) -> tuple[str, str]:
    """The pending sign-in this browser started here, and where it was going; refused when
    there is none (or it was altered)."""
    try:
        kept = json.loads(keyring.open(sealed, aad))
        return str(kept["pending"]), str(kept["next"])
    except (VaultError, ValueError, KeyError, TypeError):
        raise SsoRefused("this sign-in was not started in this browser: start it again") from None


def _keep(
    response: Response,
    request: Request,
    deps: SsoDeps,
    kept: tuple[str, str],
    how: tuple[str, str, str],
) -> None:
    """Seal what the sign-in must come back with in a cookie that only its return path sees;
    SameSite=None over TLS where the IdP comes back with a cross-site POST (SAML)."""
    cookie, aad, path = how
    sealed = deps.keyring.seal(
        json.dumps({"pending": kept[0], "next": kept[1][:500]}).encode(), aad
    )
    cross_site_post = cookie == SAML_COOKIE and is_secure(request)
    response.set_cookie(
        cookie, sealed, max_age=PENDING_FOR_SECONDS, path=path, secure=is_secure(request),
        httponly=True, samesite="none" if cross_site_post else "lax",
    )  # fmt: skip


def _pending_path(request: Request) -> str:
    return link(request, "console:sso_oidc_callback")


@pass_context
def _sso_ways(context: dict[str, Any]) -> dict[str, Any]:
    """What the sign-in page offers besides an API key."""
    found: SsoDeps = context["request"].app.state.services
    oidc, saml = found.sso.oidc, found.sso.saml
    return {
        "oidc": oidc.settings.display_name if oidc else None,
        "saml": saml.settings.display_name if saml else None,
        "ldap": found.sso.ldap is not None,
    }


TEMPLATES.env.globals["sso_ways"] = _sso_ways
