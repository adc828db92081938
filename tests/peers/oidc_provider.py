"""panva's `oidc-provider` (a certified OpenID Connect provider) on a loopback port, with the
clients and users a test gives, and `sign_in`, which goes through its login and consent forms."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx

from tests.peers.process import accepts, free_port, running

SERVER = Path(__file__).parent / "oidc" / "server.mjs"
INSTALLED = Path(__file__).parent / "oidc" / "node_modules" / "oidc-provider"
CLIENT_ID = "interlink-console"
CLIENT_SECRET = "oidc-client-secret-for-tests"
MAX_HOPS = 12


def skip_reason() -> str | None:
    if shutil.which("node") is None:
        return "no Node.js on this machine: the OpenID Connect provider cannot run"
    if not INSTALLED.exists():
        return "oidc-provider is not installed: run scripts/install_test_peers.sh"
    return None


@dataclass(frozen=True)
class User:
    password: str
    claims: dict[str, Any]


@dataclass
class OidcPeer:
    issuer: str
    redirect_url: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    users: dict[str, User] = field(default_factory=dict)


@contextmanager
def oidc_provider(
    workdir: Path, redirect_url: str, users: dict[str, User], id_token_ttl: int = 3600
) -> Iterator[OidcPeer]:
    port = free_port()
    client = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [redirect_url],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
    }
    config = {
        "port": port,
        "clients": [client],
        "users": {
            login: {"password": u.password, "claims": u.claims} for login, u in users.items()
        },
        "id_token_ttl": id_token_ttl,
    }
    path = workdir / "oidc-provider.json"
    path.write_text(json.dumps(config))
    command = ["node", str(SERVER), str(path)]
    with running(command, workdir / "oidc-provider.log", lambda: accepts(port)):
        yield OidcPeer(f"http://127.0.0.1:{port}", redirect_url, users=users)


class LoginRefused(Exception):
    """The provider's login form answered with an error instead of moving on."""


_ACTION = re.compile(r'<form method="post" action="([^"]+)"')


async def sign_in(
    http: httpx.AsyncClient, authorize_url: str, redirect_url: str, login: str, password: str
) -> dict[str, str]:
    """Follow the provider's pages as a browser would, filling the login form and allowing
    access, up to the redirect to `redirect_url`; return that redirect's query."""
    response = await http.get(authorize_url)
    for _ in range(MAX_HOPS):
        location = response.headers.get("location")
        if location:
            target = urljoin(str(response.url), location)
            if target.startswith(redirect_url):
                return dict(parse_qsl(urlsplit(target).query))
            response = await http.get(target)
            continue
        response = await _submit(http, response, login, password)
    raise AssertionError("the provider never redirected back")


async def _submit(
    http: httpx.AsyncClient, page: httpx.Response, login: str, password: str
) -> httpx.Response:
    match = _ACTION.search(page.text)
    if match is None:
        raise AssertionError(
            f"no form on the provider's page: {page.status_code} {page.text[:300]}"
        )
    action = urljoin(str(page.url), match.group(1))
    if action.endswith("/login"):
        if "Invalid login or password" in page.text:
            raise LoginRefused(page.text)
        return await http.post(action, data={"login": login, "password": password})
    return await http.post(action)
