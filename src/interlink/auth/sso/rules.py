"""The one mapping from an identity's claims to a workspace and scopes: the first rule of
`settings.sso.rules` that matches wins; none matching refuses the identity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from interlink.auth.scopes import ALL_SCOPES, Principal
from interlink.auth.sso.errors import SsoRefused
from interlink.config import SsoRule


@dataclass(frozen=True)
class Identity:
    """Who an identity provider or a directory says someone is."""

    method: str  # "oidc" or "ldap"
    subject: str  # the IdP's `sub`, or the user's DN
    name: str  # what to show: an email, a display name, the login
    claims: Mapping[str, Any]


def check_rules(rules: Sequence[SsoRule]) -> None:
    """Refuse, at start, rules naming scopes that do not exist."""
    unknown = sorted({s for rule in rules for s in rule.scopes} - ALL_SCOPES)
    if unknown:
        raise ValueError(f"settings.sso.rules name unknown scopes: {', '.join(unknown)}")


def principal_for(identity: Identity, rules: Sequence[SsoRule]) -> Principal:
    rule = next((r for r in rules if _matches(r, identity.claims.get(r.claim))), None)
    if rule is None:
        raise SsoRefused(
            f"{identity.name} signed in, but no single sign-on rule gives them access here"
        )
    return Principal(
        workspace_id=rule.workspace,
        subject=f"{identity.method}:{identity.subject}",
        scopes=frozenset(rule.scopes),
        via_token=True,
    )


def _matches(rule: SsoRule, value: Any) -> bool:
    return any(_value_matches(rule, v) for v in _values(value))


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list | tuple) else [value]
    return [text for text in map(_text, items) if text is not None]


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, str | int) else None


def _value_matches(rule: SsoRule, value: str) -> bool:
    if rule.equals is not None:
        return value == rule.equals
    assert rule.matches is not None
    return fnmatchcase(value.lower(), rule.matches.lower())
