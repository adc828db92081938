"""Every error code of the API raises its own SDK exception, carrying code, message, details and
request id; unknown codes and bodies that are no envelope still raise InterlinkAPIError."""

from __future__ import annotations

import httpx
import pytest

import interlink.core.errors as server_errors
from interlink import (
    CredentialNotFound,
    HttpError,
    IntegrationManager,
    IntegrationNotFound,
    InterlinkAPIError,
    InvalidIntegrationConfig,
    NotFound,
    Unauthenticated,
)
from interlink.sdk import CredentialClient, IntegrationConfig
from interlink.sdk import errors as sdk_errors
from interlink.sdk.client import SyncHTTP
from interlink.sdk.retry import NO_RETRIES
from tests.sdk.conftest import Recorder, error_envelope


def server_codes() -> dict[str, type[server_errors.InterlinkError]]:
    def walk(cls: type[server_errors.InterlinkError]) -> list[type[server_errors.InterlinkError]]:
        return [cls] + [c for sub in cls.__subclasses__() for c in walk(sub)]

    return {cls.code: cls for cls in walk(server_errors.InterlinkError)}


def manager_answering(*answers: httpx.Response) -> IntegrationManager:
    http = SyncHTTP(
        "sk_x",
        base_url="http://sdk.test",
        retry=NO_RETRIES,
        transport=httpx.MockTransport(Recorder(*answers)),
    )
    return IntegrationManager(http=http)


@pytest.mark.parametrize("code", sorted(server_codes()))
def test_every_server_error_code_has_its_own_exception(code: str) -> None:
    status = server_codes()[code].status_code
    manager = manager_answering(
        error_envelope(code, status, "what went wrong", headers={"X-Request-ID": "req-1"})
    )

    with pytest.raises(InterlinkAPIError) as raised:
        manager.get_integration("int_1")

    error = raised.value
    assert type(error) is sdk_errors.ERRORS_BY_CODE[code]
    assert (error.code, error.message, error.request_id) == (code, "what went wrong", "req-1")
    assert error.status_code == status
    assert error.details == []


def test_the_hierarchy_follows_the_servers() -> None:
    assert issubclass(sdk_errors.IntegrationNotFound, NotFound)
    assert issubclass(sdk_errors.InvalidCredentials, sdk_errors.InvalidRequest)
    assert issubclass(sdk_errors.UrlNotAllowed, sdk_errors.InvalidRequest)
    assert issubclass(NotFound, InterlinkAPIError)


def test_details_and_retry_after_are_kept() -> None:
    body = {
        "status": "error",
        "error": {"code": "INVALID_REQUEST", "message": "bad", "details": [{"field": "name"}]},
    }
    manager = manager_answering(httpx.Response(400, json=body, headers={"Retry-After": "3"}))

    with pytest.raises(sdk_errors.InvalidRequest) as raised:
        manager.get_integration("int_1")

    assert raised.value.details == [{"field": "name"}]
    assert raised.value.retry_after == 3.0


def test_an_unknown_code_raises_the_base_class_with_the_code_kept() -> None:
    manager = manager_answering(error_envelope("SOMETHING_NEW", 418, "teapot"))

    with pytest.raises(InterlinkAPIError) as raised:
        manager.get_integration("int_1")

    assert type(raised.value) is InterlinkAPIError
    assert raised.value.code == "SOMETHING_NEW"
    assert str(raised.value) == "SOMETHING_NEW: teapot"


def test_a_body_that_is_no_envelope_raises_http_error() -> None:
    manager = manager_answering(httpx.Response(502, text="<html>bad gateway</html>"))

    with pytest.raises(HttpError) as raised:
        manager.get_integration("int_1")

    assert raised.value.status_code == 502
    assert "bad gateway" in raised.value.message


# -- against the live server ----------------------------------------------------------------------
def test_live_errors_carry_the_servers_code_and_request_id(live: str) -> None:
    with IntegrationManager(access_token=live) as manager:
        with pytest.raises(IntegrationNotFound) as missing:
            manager.get_integration("int_doesnotexist")
        config = IntegrationConfig(name="x", type="github", configuration={"request_timeout": -1})
        with pytest.raises(InvalidIntegrationConfig) as invalid:
            manager.create_integration(config)
    with CredentialClient(access_token=live) as credentials, pytest.raises(CredentialNotFound):
        credentials.get_credential("cred_doesnotexist")

    assert len(missing.value.request_id or "") == 32
    assert missing.value.status_code == 404
    assert invalid.value.details[0]["field"].startswith("configuration")


def test_live_wrong_key_is_unauthenticated(live: str) -> None:
    manager = IntegrationManager(api_key="sk_wrong_0123456789abcdefghij")
    with manager, pytest.raises(Unauthenticated) as raised:
        manager.list_integrations()

    assert raised.value.code == "UNAUTHENTICATED"
