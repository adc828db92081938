"""Integration types that have no provider yet: an integration of one can be created and
configured, and says so when tested. Each leaves this list when its provider folder lands."""

from __future__ import annotations

from interlink.providers.kit.types import IntegrationType

DECLARED_TYPES: tuple[IntegrationType, ...] = ()
