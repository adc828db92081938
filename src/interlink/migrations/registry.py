"""Every domain's tables, imported so that one metadata holds them all."""

from __future__ import annotations


def import_models() -> None:
    import interlink.ai.routes.models
    import interlink.ai.usage.models
    import interlink.auth.models
    import interlink.console.models
    import interlink.custom_providers.models
    import interlink.events.models
    import interlink.hooks.models
    import interlink.idempotency.models
    import interlink.integrations.models
    import interlink.jobs.models
    import interlink.vault.models
    import interlink.webhooks.models
    import interlink.workflows.models  # noqa: F401
