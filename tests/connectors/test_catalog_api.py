"""Seed 001's connectors API: the catalog, and connector instances that are integrations."""

from __future__ import annotations

import httpx

from interlink.providers.registry import default_registry
from tests.conftest import data, error


async def test_the_catalog_lists_every_type_with_its_actions_schemas(
    client: httpx.AsyncClient,
) -> None:
    catalog = data(await client.get("/api/v1/connectors?available=true&page_size=100"))

    by_type = {c["type"]: c for c in catalog["items"]}
    assert {"github", "http", "jira", "slack", "stripe", "discord", "smtp"} <= set(by_type)
    github = by_type["github"]
    assert github["name"] == "GitHub"
    assert github["default_api_url"] == "https://api.github.com"
    get_issues = next(a for a in github["actions"] if a["name"] == "get_issues")
    assert set(get_issues) == {"name", "description", "inputSchema", "outputSchema"}
    assert "repository" in get_issues["inputSchema"]["properties"]
    assert "total_count" in get_issues["outputSchema"]["properties"]
    assert catalog["pagination"]["total_items"] == len(by_type)


async def test_the_catalog_says_where_the_docs_are_how_a_custom_url_is_given_and_the_oauth_urls(
    client: httpx.AsyncClient,
) -> None:
    catalog = data(await client.get("/api/v1/connectors?available=true"))

    by_type = {c["type"]: c for c in catalog["items"]}
    github, jira, smtp = by_type["github"], by_type["jira"], by_type["smtp"]
    assert github["docs_url"] == "https://docs.github.com/rest"
    assert "GitHub Enterprise Server" in github["api_url_hint"]
    assert github["oauth"] == {
        "authorize_url": "https://github.com/login/oauth/authorize",
        "token_url": "https://github.com/login/oauth/access_token",
        "scopes": ["repo"],
    }
    assert "atlassian.net" in jira["api_url_hint"]
    assert jira["oauth"]["token_url"] == "https://auth.atlassian.com/oauth/token"
    assert "offline_access" in jira["oauth"]["scopes"]  # without it Atlassian gives no refresh
    assert (smtp["oauth"], smtp["docs_url"]) == (None, None)


async def test_the_catalog_answers_every_type_on_one_page_by_default(
    client: httpx.AsyncClient,
) -> None:
    """Seed 001 reads `?available=true` as the whole list: Stripe and SMTP are not on page 2."""
    catalog = data(await client.get("/api/v1/connectors?available=true"))

    types = [c["type"] for c in catalog["items"]]
    assert {"stripe", "smtp", "slack", "github"} <= set(types)
    assert len(types) == catalog["pagination"]["total_items"] == len(default_registry().types())
    assert catalog["pagination"]["total_pages"] == 1
    paged = data(await client.get("/api/v1/connectors?available=true&page_size=5&page=2"))
    assert [c["type"] for c in paged["items"]] == types[5:10]


async def test_a_connector_instance_is_an_integration(client: httpx.AsyncClient) -> None:
    credential = data(
        await client.post(
            "/api/v1/credentials",
            json={"name": "Slack Bot Token", "type": "oauth", "provider": "slack",
                  "data": {"bot_token": "xoxb-xxxxxxxxxxxxx"}},
        )
    )  # fmt: skip
    seed = {
        "name": "Production Slack",
        "type": "slack",
        "credentialId": credential["id"],
        "config": {"defaultChannel": "#general"},
    }

    created = await client.post("/api/v1/connectors", json=seed)

    assert created.status_code == 201
    instance = data(created)
    assert instance["id"].startswith("int_")
    assert instance["configuration"]["default_channel"] == "#general"  # stored snake_case
    assert instance["configuration"]["api_url"] == "https://slack.com/api"
    assert instance["credential_id"] == credential["id"]
    as_integration = data(await client.get(f"/api/v1/integrations/{instance['id']}"))
    assert as_integration["name"] == "Production Slack"
    instances = data(await client.get("/api/v1/connectors"))
    assert [i["id"] for i in instances["items"]] == [instance["id"]]


async def test_a_bad_instance_config_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/connectors",
        json={"name": "x", "type": "http", "config": {"api_url": "not a url"}},
    )

    assert response.status_code == 400
    assert error(response)["code"] == "INVALID_INTEGRATION_CONFIG"
    assert data(await client.get("/api/v1/integrations"))["pagination"]["total_items"] == 0
