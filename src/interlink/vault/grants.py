"""How a credential gets an access token from a token endpoint: the OAuth 2.0 grant its data
says, the fields that grant needs, and the form it posts.

- `refresh_token` (RFC 6749 6): a `refresh_token`, with `client_id`, `client_secret` and
  `scope` when given; the grant of any credential that holds a refresh token and says no other.
- `client_credentials` (RFC 6749 4.4): `client_id` and `client_secret` (Microsoft Graph's app
  access), with `scope`.
- `jwt_bearer` (RFC 7523): an assertion signed with the credential's RS256 `private_key`,
  issued by `issuer` (a Google service account's `client_email`, a Salesforce connected app's
  consumer key as `client_id`), for `subject` when given (the user a Google service account acts
  for, the Salesforce user), to `audience` (by default the token URL), with `scope`.

A Google service-account key file is such a credential as it is: its `client_email`,
`private_key` and `token_uri` are read as issuer, key and token URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key

Grant = Literal["refresh_token", "client_credentials", "jwt_bearer"]
FieldRule = tuple[tuple[str, ...], ...]  # alternatives, one of each inner tuple required
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = timedelta(minutes=3)  # Salesforce refuses a later `exp`; Google allows 1 h
TOKEN_URL_FIELDS = ("token_url", "token_uri")
ISSUER_FIELDS = ("issuer", "client_email", "client_id")

GRANT_FIELDS: Mapping[Grant, FieldRule] = {
    "refresh_token": (("refresh_token",),),
    "client_credentials": (("client_id",), ("client_secret",)),
    "jwt_bearer": (("private_key",), ISSUER_FIELDS),
}


def grant_of(data: Mapping[str, Any]) -> Grant | None:
    """The grant the credential says (`grant_type`), else `refresh_token` when it holds one;
    None: it has only the token it was given."""
    declared = data.get("grant_type")
    if declared in ("client_credentials", "jwt_bearer", "refresh_token"):
        return declared  # type: ignore[no-any-return]
    if declared is None and isinstance(data.get("private_key"), str) and data.get("client_email"):
        return "jwt_bearer"  # a Google service-account key file, as downloaded
    return "refresh_token" if data.get("refresh_token") else None


def missing_fields(grant: Grant, data: Mapping[str, Any]) -> list[str]:
    """The fields `grant` needs that `data` lacks, each as "a or b"."""
    return [
        " or ".join(alternatives)
        for alternatives in GRANT_FIELDS[grant]
        if not any(data.get(name) not in (None, "") for name in alternatives)
    ]


def own_token_url(data: Mapping[str, Any]) -> str | None:
    found = _first(data, TOKEN_URL_FIELDS)
    return found if isinstance(found, str) and found else None


def key_problem(data: Mapping[str, Any]) -> str | None:
    """Why the credential's `private_key` cannot sign an assertion; None when it can (or it
    has none)."""
    key = data.get("private_key")
    if key is None:
        return None
    try:
        load_pem_private_key(str(key).encode(), password=None)
    except (ValueError, TypeError):
        return "private_key is not an unencrypted PEM private key (RSA, for RS256)"
    return None


def token_form(grant: Grant, data: Mapping[str, Any], url: str, now: datetime) -> dict[str, str]:
    """The form the token endpoint at `url` is sent for `grant`."""
    if grant == "jwt_bearer":
        form = {"grant_type": JWT_BEARER, "assertion": _assertion(data, url, now)}
    elif grant == "client_credentials":
        form = {"grant_type": "client_credentials"}
        form |= _given(data, "client_id", "client_secret", "scope")
    else:
        form = {"grant_type": "refresh_token", "refresh_token": str(data["refresh_token"])}
        form |= _given(data, "client_id", "client_secret", "scope")
    return form


def _assertion(data: Mapping[str, Any], url: str, now: datetime) -> str:
    claims: dict[str, Any] = {
        "iss": str(_first(data, ISSUER_FIELDS)),
        "aud": str(data.get("audience") or url),
        "iat": int(now.timestamp()),
        "exp": int((now + ASSERTION_LIFETIME).timestamp()),
    }
    claims |= {name: str(data[name]) for name in ("scope",) if data.get(name)}
    if data.get("subject"):
        claims["sub"] = str(data["subject"])
    return jwt.encode(claims, str(data["private_key"]), algorithm="RS256")


def _given(data: Mapping[str, Any], *names: str) -> dict[str, str]:
    return {name: str(data[name]) for name in names if data.get(name)}


def _first(data: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    return next((data[name] for name in names if data.get(name) not in (None, "")), None)
