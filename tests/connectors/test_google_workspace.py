"""Google Workspace's own: each API on its own Google host (and the credential allowed on each),
a service account's key file and a refresh token getting tokens from Google's token endpoint,
a 403 whose reason is a rate limit waited out, a real RFC 5322 message, and the check reading
tokeninfo's scopes. The rest (fixtures, wrong token, 403, 404, 429, 5xx, the limit, secrets)
is the contract suite's.

The app and the mock share one FrozenClock, so a service account's assertion is in time."""

from __future__ import annotations

import base64
import email
import email.policy
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest

from interlink import GoogleWorkspaceIntegration, GoogleWorkspaceIntegrationConfiguration
from interlink.core.clock import FrozenClock
from interlink.providers.google_workspace.apis import CALENDAR, GMAIL, SHEETS
from interlink.providers.google_workspace.mock import GoogleWorkspaceMock
from interlink.providers.google_workspace.mock_sheets import SPREADSHEET
from interlink.providers.google_workspace.mock_token import Grant
from interlink.testing import Fault, RunningMock, serve_mock, serve_mock_in_thread
from tests.conftest import data, error
from tests.connectors.conftest import create_active, run_operation

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"
DRIVE = "/drive/v3/files"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def google(clock: FrozenClock) -> AsyncIterator[RunningMock[GoogleWorkspaceMock]]:
    async with serve_mock(GoogleWorkspaceMock(clock=clock)) as running:
        yield running


async def _integration(
    client: httpx.AsyncClient, google: RunningMock[GoogleWorkspaceMock], **credentials: Any
) -> str:
    body = {
        "name": "Workspace",
        "type": "google_workspace",
        "configuration": {"api_url": google.api_url},
        "credentials": credentials or {"access_token": google.mock.token},
    }
    return await create_active(client, body)


def test_each_api_has_its_own_host_under_google_and_one_base_elsewhere() -> None:
    google, mock = "https://www.googleapis.com", "http://127.0.0.1:8080/"

    assert [api.root_at(google) for api in (GMAIL, CALENDAR, SHEETS)] == [
        "https://gmail.googleapis.com/gmail/v1",
        "https://www.googleapis.com/calendar/v3",
        "https://sheets.googleapis.com/v4",
    ]
    assert SHEETS.root_at(mock) == "http://127.0.0.1:8080/v4"


async def test_the_credential_may_go_to_every_google_api_host(client: httpx.AsyncClient) -> None:
    body = {"name": "W", "type": "google_workspace", "credentials": {"access_token": "ya29.t"}}
    at_google = data(await client.post("/api/v1/integrations", json=body))
    body["configuration"] = {"api_url": "https://proxy.example.com"}
    elsewhere = data(await client.post("/api/v1/integrations", json=body))
    shared = {"name": "S", "type": "oauth", "provider": "google_workspace",
              "data": {"access_token": "ya29.s"}}  # fmt: skip
    shared_id = data(await client.post("/api/v1/credentials", json=shared))["id"]

    hosts = [
        data(await client.get(f"/api/v1/credentials/{credential}"))["allowed_hosts"]
        for credential in (at_google["credential_id"], shared_id, elsewhere["credential_id"])
    ]

    google = ["gmail.googleapis.com", "sheets.googleapis.com", "www.googleapis.com"]
    assert hosts == [google, google, ["proxy.example.com"]]


async def test_the_seeds_configuration_and_credential_shapes_call_google(
    client: httpx.AsyncClient, google: RunningMock[GoogleWorkspaceMock]
) -> None:
    body = {
        "name": "Workspace",
        "type": "google_workspace",
        "configuration": {"api_url": google.api_url, "auth_method": "oauth",
                          "request_timeout": 30, "rate_limit_per_hour": 5000},
        "credentials": {"access_token": google.mock.token, "token_type": "bearer",
                        "refresh_token": "1//refresh", "expires_at": "2099-12-31T23:59:59Z"},
    }  # fmt: skip
    iid = await create_active(client, body)

    listed = await run_operation(client, iid, "gmail_list_messages", limit=3)

    assert [m["id"] for m in data(listed)["result"]["messages"]] == [
        "18c2e4f0a1b2001e", "18c2e4f0a1b2001d", "18c2e4f0a1b2001c"
    ]  # fmt: skip


async def test_a_service_account_key_file_gets_a_token_for_the_user_it_acts_for(
    client: httpx.AsyncClient, google: RunningMock[GoogleWorkspaceMock]
) -> None:
    mock = google.mock
    key_file = {
        "type": "service_account",
        "client_email": mock.oauth.client_email,
        "private_key": mock.private_key,
        "token_uri": f"{google.url}/token",
    }
    iid = await _integration(client, google, **key_file, scope=GMAIL_SEND, subject=mock.colleague)

    sent = await run_operation(client, iid, "gmail_send", to=["ada@example.com"], body="Hi")
    refused = await run_operation(client, iid, "drive_list_files")

    assert sent.status_code == 200
    assert error(refused)["code"] == "PERMISSION_DENIED"  # the token holds gmail.send only
    form = mock.calls.filter("POST", "/token")[0].form()
    claims = jwt.decode(form["assertion"], options={"verify_signature": False})
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert (claims["iss"], claims["sub"], claims["scope"]) == (
        mock.oauth.client_email, mock.colleague, GMAIL_SEND
    )  # fmt: skip
    token = mock.calls.filter("POST", "/gmail/v1/users/me/messages/send")[0].headers
    grant = mock.oauth.grant(token["Authorization"].removeprefix("Bearer "))
    assert grant == Grant(mock.colleague, frozenset({GMAIL_SEND}), mock.oauth.client_email,
                          NOW.timestamp() + 3599)  # fmt: skip
    assert mock.private_key not in json.dumps([data(sent), error(refused)])


async def test_a_refused_token_is_refreshed_with_the_refresh_token(
    client: httpx.AsyncClient, google: RunningMock[GoogleWorkspaceMock]
) -> None:
    mock = google.mock
    iid = await _integration(
        client, google, access_token="ya29.expired", refresh_token=mock.oauth.refresh_token,
        client_id=mock.oauth.client_id, client_secret=mock.oauth.client_secret,
        token_url=f"{google.url}/token",
    )  # fmt: skip

    listed = await run_operation(client, iid, "drive_list_files", page_size=5, limit=5)

    assert len(data(listed)["result"]["files"]) == 5
    sent = [(c.method, c.path, c.answer.status if c.answer else 0) for c in mock.calls.all()]
    assert sent == [("GET", DRIVE, 401), ("POST", "/token", 200), ("GET", DRIVE, 200)]
    assert mock.calls.all()[1].form()["grant_type"] == "refresh_token"


RETRY_INFO = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}
SLOW = {"domain": "usageLimits", "reason": "userRateLimitExceeded", "message": "slow"}


@pytest.mark.parametrize(
    ("status", "error", "wait"),
    [
        (403, {"code": 403, "message": "slow", "errors": [SLOW]}, None),
        (429, {"code": 429, "message": "slow", "status": "RESOURCE_EXHAUSTED",
               "details": [RETRY_INFO]}, 7.0),
    ],
    ids=["403-userRateLimitExceeded", "429-RetryInfo"],
)  # fmt: skip
async def test_a_rate_limit_is_waited_out_and_retried_not_refused(
    client: httpx.AsyncClient, google: RunningMock[GoogleWorkspaceMock], clock: FrozenClock,
    status: int, error: dict[str, Any], wait: float | None,
) -> None:  # fmt: skip
    iid = await _integration(client, google)
    google.mock.faults.add(Fault.error(status, json.dumps({"error": error}).encode()), times=1)

    read = await run_operation(
        client, iid, "sheets_get_values", spreadsheet_id=SPREADSHEET, range="Sheet1!A1:B2"
    )

    values = data(read)["result"]["values"]
    assert values == [["Name", "Email"], ["Person 1", "person1@example.com"]]
    assert len(google.mock.calls.all()) == 2
    assert clock.sleeps  # paused, not refused
    assert wait is None or wait in clock.sleeps  # Google's RetryInfo, when it gives one


async def test_a_mail_is_one_rfc_5322_message_and_a_header_cannot_be_smuggled_in(
    client: httpx.AsyncClient, google: RunningMock[GoogleWorkspaceMock]
) -> None:
    iid = await _integration(client, google)

    sent = await run_operation(
        client, iid, "gmail_send", to=["Ada <ada@example.com>"], bcc=["boss@example.com"],
        subject="Café ☕", body="Line one\nLine two", html="<p>Line one</p>",
    )  # fmt: skip
    smuggled = await run_operation(
        client, iid, "gmail_send", to=["ada@example.com"], subject="Hi\r\nBcc: all@example.com",
        body="x",
    )  # fmt: skip

    raw = google.mock.calls.filter("POST", "/gmail/v1/users/me/messages/send")[0].json()["raw"]
    message = email.message_from_bytes(base64.urlsafe_b64decode(raw), policy=email.policy.SMTP)
    assert data(sent)["result"]["label_ids"] == ["SENT"]
    assert (message["To"], message["Bcc"], message["Subject"]) == (
        "Ada <ada@example.com>", "boss@example.com", "Café ☕"
    )  # fmt: skip
    assert message.get_content_type() == "multipart/alternative"
    assert b"\r\n" in base64.urlsafe_b64decode(raw)
    assert error(smuggled)["code"] == "PARAMETER_VALIDATION_ERROR"


async def test_the_check_reads_whose_token_it_is_and_its_scopes_from_tokeninfo(
    client: httpx.AsyncClient, google: RunningMock[GoogleWorkspaceMock]
) -> None:
    mock = google.mock
    mock.oauth.issued["ya29.narrow"] = Grant(mock.user, frozenset({GMAIL_SEND}), "c")
    iid = await _integration(client, google, access_token="ya29.narrow")

    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))["connection_test"]
    run = data(await client.post(f"/api/v1/integrations/{iid}/health/check"))["health_check"]

    checks = {check["name"]: check for check in run["checks"]}
    assert tested["message"].endswith(f"Authenticated as {mock.user}")
    assert checks["permissions"]["status"] == "warning"
    assert "drive_list_files" in checks["permissions"]["message"]
    assert "gmail_send" not in checks["permissions"]["message"]
    info = mock.calls.filter("POST", "/oauth2/v2/tokeninfo")[0]
    assert "access_token" not in info.query  # in the form body, never in a URL
    assert "ya29.narrow" not in json.dumps([tested, run])


def test_the_direct_interface_from_a_plain_script() -> None:
    mock = GoogleWorkspaceMock(files=12)
    with serve_mock_in_thread(mock) as running:
        config = GoogleWorkspaceIntegrationConfiguration(
            api_url=running.api_url, access_token=mock.token
        )
        google = GoogleWorkspaceIntegration(config)
        files = google.drive_list_files(q="name contains 'Report'", page_size=5, limit=20)
        appended = google.sheets_append_values(
            spreadsheet_id=SPREADSHEET, range="Sheet1", values=[["Person 6", "p6@example.com", 60]]
        )
        google.close()

    assert [f["name"] for f in files["files"]][:2] == ["Report 1.pdf", "Report 2.pdf"]
    assert appended["updates"]["updated_range"] == "Sheet1!A7:C7"
