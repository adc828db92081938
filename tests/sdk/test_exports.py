"""The SDK's public names: all re-exported from `interlink`, twins with the same methods, and
`import interlink` (and the SDK) loading nothing of the server."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import interlink
import interlink.sdk
from interlink.sdk import client as sdk_client

TWINS = [
    ("IntegrationManager", "AsyncIntegrationManager"),
    ("IntegrationClient", "AsyncIntegrationClient"),
    ("IntegrationOperations", "AsyncIntegrationOperations"),
    ("IntegrationHealthMonitor", "AsyncIntegrationHealthMonitor"),
    ("CredentialClient", "AsyncCredentialClient"),
    ("ConnectorClient", "AsyncConnectorClient"),
    ("WebhookClient", "AsyncWebhookClient"),
    ("WorkflowClient", "AsyncWorkflowClient"),
    ("ApiKeyClient", "AsyncApiKeyClient"),
    ("EventClient", "AsyncEventClient"),
    ("Interlink", "AsyncInterlink"),
    ("SyncPager", "AsyncPager"),
]


def test_all_is_complete_and_re_exported_from_interlink() -> None:
    public = {
        name
        for module in vars(interlink.sdk).values()
        if inspect.ismodule(module) and module.__name__.startswith("interlink.sdk.")
        for name, value in vars(module).items()
        if (inspect.isclass(value) or inspect.isfunction(value))
        and getattr(value, "__module__", "") == module.__name__
        and not name.startswith("_")
    }
    internal = {"Model", "PageData", "PageCall", "Call", "SyncHTTP", "AsyncHTTP", "calls"}
    internal |= {"error_class", "api_error", "retry_after", "resolve_base_url"}
    internal |= {"resolve_api_key", "error_from_response", "read_data", "SyncResource"}
    internal |= {"AsyncResource"}
    assert public - internal <= set(interlink.sdk.__all__)
    assert set(interlink._SDK) == set(interlink.sdk.__all__)
    for name in interlink.sdk.__all__:
        assert getattr(interlink, name) is getattr(interlink.sdk, name)


@pytest.mark.parametrize(("sync_name", "async_name"), TWINS)
def test_twins_have_the_same_methods(sync_name: str, async_name: str) -> None:
    def methods(cls: type) -> set[str]:
        return {n for n, v in inspect.getmembers(cls) if callable(v) and not n.startswith("_")}

    sync_cls, async_cls = getattr(interlink.sdk, sync_name), getattr(interlink.sdk, async_name)
    assert methods(sync_cls) == methods(async_cls)
    for name in methods(async_cls) - {"get_integration_client"}:
        member = getattr(async_cls, name)
        assert inspect.iscoroutinefunction(member), f"{async_name}.{name} is not async"


def test_importing_the_sdk_loads_nothing_of_the_server() -> None:
    code = (
        "import sys, interlink\n"
        "from interlink import IntegrationManager, IntegrationConfig\n"
        "from interlink.webhooks import verify\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'sqlalchemy', 'dbos', 'starlette', 'aiohttp', 'structlog')"
        " or m.startswith(('interlink.core', 'interlink.app', 'interlink.api'))]\n"
        # the one backoff formula is shared by the SDK and the server: a pure function
        "heavy = [m for m in heavy if m not in ('interlink.core', 'interlink.core.backoff')]\n"
        "print(heavy)\n"
    )
    command = [sys.executable, "-c", code]
    out = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.strip() == "[]"


def test_url_and_key_come_from_the_arguments_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("INTERLINK_URL", raising=False)
    monkeypatch.delenv("INTERLINK_API_KEY", raising=False)
    assert sdk_client.resolve_base_url(None) == "http://127.0.0.1:8080"
    assert sdk_client.resolve_api_key(None, None) is None
    monkeypatch.setenv("INTERLINK_URL", "http://interlink.internal:9000/")
    monkeypatch.setenv("INTERLINK_API_KEY", "sk_env")
    assert sdk_client.resolve_base_url(None) == "http://interlink.internal:9000"
    assert sdk_client.resolve_base_url("http://given") == "http://given"
    assert sdk_client.resolve_api_key(None, None) == "sk_env"
    assert sdk_client.resolve_api_key(None, "sk_token") == "sk_token"
    assert sdk_client.resolve_api_key("sk_arg", None) == "sk_arg"
