"""Credentials, connectors and webhooks through the SDK against the live server, through the
one-client `Interlink` and its async twin."""

from __future__ import annotations

import pytest

from interlink import (
    AsyncInterlink,
    CredentialNotFound,
    IntegrationConfig,
    Interlink,
    NotFound,
    WebhookNotFound,
)
from interlink.testing import GitHubMock, RunningMock
from tests.sdk.conftest import SEED_TOKEN


def test_credentials_round_trip_with_the_secret_masked(live: str) -> None:
    with Interlink(live) as client:
        made = client.credentials.create_credential(
            "stripe key", "api_key", {"api_key": "sk_live_canary_0123456789"}, provider="stripe"
        )
        changed = client.credentials.update_credential(made.id, name="stripe key 2")
        got = client.credentials.get_credential(made.id)
        assert client.credentials.delete_credential(made.id).deleted
        with pytest.raises(CredentialNotFound):
            client.credentials.get_credential(made.id)

    assert "sk_live_canary_0123456789" not in made.model_dump_json()
    assert (changed.name, got.name, got.provider) == ("stripe key 2", "stripe key 2", "stripe")


def test_connectors_catalog_and_instances(live: str, github: RunningMock[GitHubMock]) -> None:
    with Interlink(live) as client:
        catalog = list(client.connectors.list_connectors())
        gh = client.connectors.get_connector("github")
        credential = client.credentials.create_credential(
            "gh token", "oauth", {"access_token": SEED_TOKEN}, provider="github"
        )
        instance = client.connectors.create_connector(
            "gh via connectors",
            "github",
            {"api_url": github.api_url},
            credential_id=credential.id,
        )
        with pytest.raises(NotFound):
            client.connectors.get_connector("no-such-type")
        listed = client.integrations.get_integration(instance.id)

    assert {"github", "slack", "http"} <= {c.type for c in catalog}
    assert "get_issues" in {a.name for a in gh.actions}
    assert (listed.type, listed.name) == ("github", "gh via connectors")


def test_webhooks_round_trip(live: str) -> None:
    with Interlink(live) as client:
        hook = client.webhooks.create_webhook(
            "https://example.com/hook", ["integration.created"], name="sdk"
        )
        rotated = client.webhooks.rotate_secret(hook.id)
        updated = client.webhooks.update_webhook(
            hook.id, events=["integration.created", "integration.deleted"]
        )
        listed = [w.id for w in client.webhooks.list_webhooks(page_size=1)]
        deliveries = client.webhooks.list_deliveries(hook.id)
        client.webhooks.delete_webhook(hook.id)
        with pytest.raises(WebhookNotFound):
            client.webhooks.get_webhook(hook.id)

    assert hook.secret.startswith("whsec_")
    assert rotated.secret != hook.secret
    assert rotated.previous_secret_expires_at is not None
    assert updated.events == ["integration.created", "integration.deleted"]
    assert hook.id in listed
    assert deliveries.items == []


async def test_the_async_client_drives_the_same_resources(live: str) -> None:
    async with AsyncInterlink(live) as client:
        made = await client.credentials.create_credential("k", "api_key", {"api_key": "x" * 12})
        got = await client.credentials.get_credential(made.id)
        hook = await client.webhooks.create_webhook("https://example.com/a", ["credential.created"])
        hooks = [w.id async for w in await client.webhooks.list_webhooks()]
        gh = await client.connectors.get_connector("github")
        await client.webhooks.delete_webhook(hook.id)
        await client.credentials.delete_credential(made.id)

    assert got.id == made.id
    assert hook.id in hooks
    assert gh.type == "github"


def test_patch_merges_and_the_one_client_runs_operations(
    live: str, github: RunningMock[GitHubMock]
) -> None:
    with Interlink(live) as client:
        made = client.integrations.create_integration(
            IntegrationConfig(
                name="gh",
                type="github",
                configuration={"api_url": github.api_url},
                credentials={"access_token": SEED_TOKEN},
                metadata={"department": "engineering"},
            )
        )
        patched = client.integrations.patch_integration(made.id, metadata={"owner": "data-team"})
        client.integrations.activate_integration(made.id)
        result = client.get_integration_client(made.id).execute_operation(
            "get_repository", {"owner": "owner", "repo": "repo"}
        )

    assert patched.metadata == {"department": "engineering", "owner": "data-team"}
    assert result.result["full_name"] == "owner/repo"
