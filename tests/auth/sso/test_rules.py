"""The rules of settings.sso: the first that matches gives the workspace and scopes."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from interlink.auth.sso.errors import SsoRefused
from interlink.auth.sso.rules import Identity, check_rules, principal_for
from interlink.config import SsoRule, SsoSettings

RULES = [
    SsoRule(claim="groups", equals="ops", workspace="ws_ops", scopes=["admin"]),
    SsoRule(claim="email", matches="*@Example.test", workspace="ws_b", scopes=["webhooks:read"]),
    SsoRule(claim="email_verified", equals="true", workspace="ws_c", scopes=["workflows:read"]),
]


def who(**claims: Any) -> Identity:
    return Identity("oidc", "sub-1", str(claims.get("email", "sub-1")), claims)


@pytest.mark.parametrize(
    ("claims", "workspace", "scopes"),
    [
        ({"groups": ["eng", "ops"], "email": "a@example.test"}, "ws_ops", {"admin"}),
        ({"groups": "ops"}, "ws_ops", {"admin"}),
        ({"groups": ["eng"], "email": "A@EXAMPLE.test"}, "ws_b", {"webhooks:read"}),
        ({"email": "a@example.test.evil"}, None, None),
        ({"email_verified": True}, "ws_c", {"workflows:read"}),
        ({"groups": ["Ops"]}, None, None),
        ({"groups": {"ops": True}}, None, None),
    ],
)
def test_the_first_matching_rule_wins(
    claims: dict[str, Any], workspace: str | None, scopes: set[str] | None
) -> None:
    if workspace is None:
        with pytest.raises(SsoRefused, match="no single sign-on rule"):
            principal_for(who(**claims), RULES)
        return

    principal = principal_for(who(**claims), RULES)

    assert (principal.workspace_id, principal.scopes) == (workspace, scopes)
    assert principal.subject == "oidc:sub-1"


def test_rules_from_the_environment_are_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "INTERLINK_SSO_RULES",
        '[{"claim": "groups", "equals": "ops", "workspace": "ws_1", "scopes": ["admin"]}]',
    )
    monkeypatch.setenv("INTERLINK_SSO_OIDC_ISSUER", "https://login.example.test")

    settings = SsoSettings()

    assert settings.rules[0].equals == "ops"
    assert settings.oidc.issuer == "https://login.example.test"


@pytest.mark.parametrize(
    "rule",
    [
        {"claim": "groups", "workspace": "ws_1", "scopes": ["admin"]},
        {
            "claim": "groups",
            "equals": "a",
            "matches": "b",
            "workspace": "ws_1",
            "scopes": ["admin"],
        },
        {"claim": "groups", "equals": "a", "workspace": "ops", "scopes": ["admin"]},
        {"claim": "groups", "equals": "a", "workspace": "ws_1", "scopes": []},
        {"claim": "groups", "equals": "a", "workspace": "ws_1", "scopes": ["admin"], "x": 1},
    ],
)
def test_a_malformed_rule_is_refused_at_start(rule: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SsoRule(**rule)


def test_a_rule_naming_an_unknown_scope_is_refused_at_start() -> None:
    rule = SsoRule(claim="groups", equals="a", workspace="ws_1", scopes=["admin", "root"])

    with pytest.raises(ValueError, match="unknown scopes: root"):
        check_rules([rule])
