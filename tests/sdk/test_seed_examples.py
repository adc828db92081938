"""The seed's "Python API" examples, as written (with `from interlink import ...`), against a
live `interlink serve` on a loopback port and the GitHub mock, in both twins. The only changes:
URLs point at the mock instead of api.github.com, and the example ids are real ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from interlink import (
    AsyncIntegrationClient,
    AsyncIntegrationHealthMonitor,
    AsyncIntegrationManager,
    IntegrationClient,
    IntegrationConfig,
    IntegrationHealthMonitor,
    IntegrationManager,
    IntegrationNotFound,
)
from interlink.testing import GitHubMock, RunningMock
from tests.sdk.conftest import SEED_NEW_TOKEN, SEED_TOKEN

Mock = RunningMock[GitHubMock]


def seed_config(api_url: str) -> IntegrationConfig:
    return IntegrationConfig(
        name="GitHub Integration",
        description="Integration with GitHub API for repository data access",
        type="github",
        configuration={
            "api_url": api_url,
            "auth_method": "oauth",
            "request_timeout": 30,
            "rate_limit_per_hour": 5000,
        },
        credentials={"access_token": SEED_TOKEN, "token_type": "bearer"},
        metadata={"department": "engineering", "owner": "data-team", "version": "1.0"},
    )


def enterprise_url(github: Mock) -> str:
    """The seed's GitHub Enterprise URL, here the same mock under another host name."""
    return f"http://localhost:{github.port}"


# -- Integration Management -----------------------------------------------------------------------
def test_integration_management(
    live: str, github: Mock, capsys: pytest.CaptureFixture[str]
) -> None:
    access_token = live
    # The seed's example from here on, as written (the mock's URLs for GitHub's).

    # Initialize the integration manager
    integration_manager = IntegrationManager(access_token=access_token)

    # Create an integration
    integration_config = seed_config(github.api_url)

    integration = integration_manager.create_integration(integration_config)
    print(f"Created integration with ID: {integration.id}")

    # Get integration by ID
    integration = integration_manager.get_integration(integration.id)

    # List integrations
    integrations = integration_manager.list_integrations(
        status="active", type="github", department="engineering", page=1, page_size=10
    )

    for intg in integrations.items:
        print(f"{intg.id}: {intg.name} - Status: {intg.status}")

    # Update an integration
    integration.name = "GitHub Enterprise Integration"
    integration.description = "Integration with GitHub Enterprise API for repository data access"
    integration.configuration["api_url"] = enterprise_url(github)
    integration.configuration["request_timeout"] = 60
    integration.metadata["version"] = "1.1"

    updated_integration = integration_manager.update_integration(integration)

    # Update credentials
    integration_manager.update_credentials(
        integration_id=integration.id,
        credentials={"access_token": SEED_NEW_TOKEN, "token_type": "bearer"},
    )

    # Activate/deactivate an integration
    integration_manager.activate_integration(integration.id)
    integration_manager.deactivate_integration(integration.id)

    # Test an integration
    test_result = integration_manager.test_integration(integration.id)
    print(f"Test result: {test_result.success} - {test_result.message}")

    # Delete an integration
    integration_manager.delete_integration(integration.id)

    # What it did.
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"Created integration with ID: {integration.id}"
    assert integration.id.startswith("int_")
    assert all(line.endswith("Status: active") for line in printed[1:-1])
    assert printed[-1].startswith("Test result: True - ")
    assert updated_integration.name == "GitHub Enterprise Integration"
    assert updated_integration.configuration["api_url"] == enterprise_url(github)
    assert updated_integration.configuration["request_timeout"] == 60
    assert updated_integration.metadata == {
        "department": "engineering",
        "owner": "data-team",
        "version": "1.1",
    }
    assert github.mock.calls.count("/user") >= 1  # the test reached the (enterprise) mock
    assert SEED_TOKEN not in integration.model_dump_json()
    with pytest.raises(IntegrationNotFound) as raised:
        integration_manager.get_integration(integration.id)
    assert raised.value.code == "INTEGRATION_NOT_FOUND"
    assert raised.value.request_id


def test_the_seeds_listing_shows_active_integrations(live: str, github: Mock) -> None:
    with IntegrationManager(access_token=live) as manager:
        active = manager.create_integration(seed_config(github.api_url))
        manager.activate_integration(active.id)
        configured = manager.create_integration(seed_config(github.api_url))
        integrations = manager.list_integrations(
            status="active", type="github", department="engineering", page=1, page_size=10
        )
        ids = [intg.id for intg in integrations]

    assert active.id in ids
    assert configured.id not in ids
    assert {intg.status for intg in integrations.items} == {"active"}


async def test_integration_management_async(live: str, github: Mock) -> None:
    async with AsyncIntegrationManager(access_token=live) as integration_manager:
        integration = await integration_manager.create_integration(seed_config(github.api_url))
        integration = await integration_manager.get_integration(integration.id)
        await integration_manager.activate_integration(integration.id)
        integrations = await integration_manager.list_integrations(
            status="active", type="github", department="engineering", page=1, page_size=10
        )
        assert integration.id in [intg.id for intg in integrations.items]

        integration.name = "GitHub Enterprise Integration"
        integration.configuration["api_url"] = enterprise_url(github)
        integration.metadata["version"] = "1.1"
        updated = await integration_manager.update_integration(integration)
        assert (updated.name, updated.metadata["version"]) == (
            "GitHub Enterprise Integration",
            "1.1",
        )

        await integration_manager.update_credentials(
            integration_id=integration.id,
            credentials={"access_token": SEED_NEW_TOKEN, "token_type": "bearer"},
        )
        assert (await integration_manager.deactivate_integration(integration.id)).status == (
            "inactive"
        )
        test_result = await integration_manager.test_integration(integration.id)
        assert test_result.success, test_result.message
        await integration_manager.delete_integration(integration.id)
        with pytest.raises(IntegrationNotFound):
            await integration_manager.get_integration(integration.id)


# -- Integration Operations -----------------------------------------------------------------------
@pytest.fixture
def integration_id(live: str, github: Mock) -> str:
    with IntegrationManager(access_token=live) as manager:
        created = manager.create_integration(seed_config(github.api_url))
        manager.activate_integration(created.id)
        return created.id


def test_integration_operations(
    live: str, integration_id: str, github: Mock, capsys: pytest.CaptureFixture[str]
) -> None:
    access_token = live
    # The seed's example from here on, as written (a real integration id for "int_123456789").

    # Initialize the integration client
    client = IntegrationClient(access_token=access_token)

    # Get a specific integration client
    github_client = client.get_integration_client(integration_id)

    # List available operations
    operations = github_client.list_operations()
    for op in operations:
        print(f"{op.id}: {op.name} - {op.description}")

    # Execute an operation
    result = github_client.execute_operation(
        operation="get_issues",
        parameters={"repository": "owner/repo", "since": "2023-01-01T00:00:00Z", "per_page": 100},
    )

    print(f"Operation ID: {result.operation_id}")
    print(f"Status: {result.status}")
    print(f"Total issues: {result.result['total_count']}")

    # Get operation status
    operation_status = github_client.get_operation_status(
        operation="get_issues", operation_id=result.operation_id
    )

    print(f"Operation status: {operation_status.status}")

    # What it did.
    printed = capsys.readouterr().out.splitlines()
    assert any(line.startswith("get_issues: ") for line in printed)
    assert f"Operation ID: {result.operation_id}" in printed
    assert "Status: completed" in printed
    assert result.result["total_count"] > 0
    assert f"Total issues: {result.result['total_count']}" in printed
    assert printed[-1] == "Operation status: completed"
    assert github.mock.calls.count("/repos/owner/repo/issues") >= 1
    assert operation_status.parameters["repository"] == "owner/repo"


async def test_integration_operations_async(live: str, integration_id: str) -> None:
    async with AsyncIntegrationClient(access_token=live) as client:
        github_client = client.get_integration_client(integration_id)
        assert "get_issues" in {op.id for op in await github_client.list_operations()}
        result = await github_client.execute_operation(
            operation="get_issues", parameters={"repository": "owner/repo", "per_page": 100}
        )
        assert result.result["total_count"] > 0
        status = await github_client.get_operation_status("get_issues", result.operation_id)
        assert status.status == "completed"


def test_an_operation_queued_for_a_worker_reads_back_as_queued(
    live: str, integration_id: str
) -> None:
    github_client = IntegrationClient(access_token=live).get_integration_client(integration_id)

    queued = github_client.execute_operation(
        "get_issues", {"repository": "owner/repo"}, run_async=True
    )
    status = github_client.get_operation_status("get_issues", queued.operation_id)
    history = github_client.list_operation_history(operation="get_issues", status="queued")

    assert queued.status == status.status == "queued"  # no worker runs in this server
    assert queued.result is None
    assert queued.operation_id in [op.operation_id for op in history]


def test_get_integration_client_on_its_own(live: str, integration_id: str) -> None:
    from interlink import get_integration_client

    github_client = get_integration_client(integration_id, access_token=live)
    result = github_client.execute_operation("get_repository", {"owner": "owner", "repo": "repo"})

    assert result.status == "completed"
    assert result.result["full_name"] == "owner/repo"


# -- Integration Health Monitoring ----------------------------------------------------------------
def test_health_monitoring(
    live: str, integration_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    access_token = live
    operations = IntegrationClient(access_token=access_token).get_integration_client(integration_id)
    operations.execute_operation("get_repository", {"owner": "owner", "repo": "repo"})
    # The seed's example from here on, as written (a real integration id for "int_123456789").

    # Initialize the health monitor
    health_monitor = IntegrationHealthMonitor(access_token=access_token)

    # Get health status
    health = health_monitor.get_health_status(integration_id)
    print(f"Health status: {health.status} - {health.message}")
    print(f"Success rate (24h): {health.metrics.success_rate_24h}%")

    # Perform a health check
    check_result = health_monitor.check_health(integration_id)
    for check in check_result.checks:
        print(f"{check.name}: {check.status} - {check.message}")

    # What it did.
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"Health status: {health.status} - {health.message}"
    assert printed[1] == "Success rate (24h): 100.0%"
    assert health.metrics.total_calls_24h == 1
    assert len(printed) == len(check_result.checks) + 2
    assert check_result.checks
    assert check_result.timestamp <= datetime.now(UTC)
    after = health_monitor.get_health_status(integration_id)
    assert (after.status, after.last_check) == (check_result.status, check_result.timestamp)


async def test_health_monitoring_async(live: str, integration_id: str) -> None:
    async with AsyncIntegrationHealthMonitor(access_token=live) as health_monitor:
        check_result = await health_monitor.check_health(integration_id)
        health = await health_monitor.get_health_status(integration_id)

    assert check_result.checks
    assert health.status == check_result.status
