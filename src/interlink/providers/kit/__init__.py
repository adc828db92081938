"""What providers build on: the provider class and action decorator, the action context,
integration-type facts, fixtures and webhook verifier building blocks."""

from __future__ import annotations

from interlink.providers.kit.action import Action, CheckResult, Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.fixtures import Fixture, load_fixtures
from interlink.providers.kit.types import IntegrationType, OAuthFacts, with_fields

__all__ = [
    "Action",
    "ActionContext",
    "CheckResult",
    "Connector",
    "Fixture",
    "IntegrationType",
    "OAuthFacts",
    "action",
    "load_fixtures",
    "with_fields",
]
