"""The Microsoft 365 mock's seeded mailbox, calendar, drive and teams, as Graph shows them."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

Obj = dict[str, Any]
USER_ID = "87d349ed-44d7-43e1-9a83-5f2406dee5bd"
UPN = "AdeleV@contoso.onmicrosoft.com"
TENANT_ID = "2a8d4f1c-6a1e-4bde-9d36-5b5c3b1e7a10"
TEAM_IDS = ("02bd9fd6-8f93-4758-87c3-1fb73740a315", "13be6971-79db-4f33-9d41-b25589ca25af")
_TEAMS = "https://teams.microsoft.com"
_NEVER = "0001-01-01T00:00:00Z"
_PERSONAL = "https://contoso-my.sharepoint.com/personal/adelev/Documents"
DRIVE_ID = "b!-RIj2DuyvEyV1T4NlOaMHk8XkS_I8MdFlUCq1BlcjgmhRfAj3-Z8RY2VpuvV_tpd"


def graph_id(kind: str, n: int) -> str:
    """An opaque id shaped as Graph's (Exchange's are base64 of the store's key)."""
    return base64.urlsafe_b64encode(f"AAMk{kind}{n:08d}".encode()).decode().rstrip("=")


def user(base: str) -> Obj:
    return {
        "@odata.context": f"{base}/$metadata#users/$entity",
        "businessPhones": ["+1 425 555 0109"], "displayName": "Adele Vance", "givenName": "Adele",
        "jobTitle": "Retail Manager", "mail": UPN, "mobilePhone": None,
        "officeLocation": "18/2111", "preferredLanguage": "en-US", "surname": "Vance",
        "userPrincipalName": UPN, "id": USER_ID,
    }  # fmt: skip


def address(email: str, name: str | None = None) -> Obj:
    return {"emailAddress": {"name": name or email, "address": email}}


def message(n: int, received: datetime, **given: Any) -> Obj:
    stamp = received.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": graph_id("msg", n), "createdDateTime": stamp, "lastModifiedDateTime": stamp,
        "receivedDateTime": stamp, "sentDateTime": stamp, "hasAttachments": n % 5 == 0,
        "subject": given.get("subject", f"Seeded message {n}"),
        "bodyPreview": given.get("preview", f"Body of message {n}"), "importance": "normal",
        "isRead": n % 2 == 0, "isDraft": False, "parentFolderId": graph_id("fld", 1),
        "webLink": f"https://outlook.office365.com/owa/?ItemID={graph_id('msg', n)}",
        "from": address(given.get("sender", "megan@contoso.onmicrosoft.com")),
        "toRecipients": given.get("to", [address(UPN, "Adele Vance")]),
        "ccRecipients": given.get("cc", []), "bccRecipients": given.get("bcc", []),
        "body": given.get("body", {"contentType": "text", "content": f"Body of message {n}"}),
    }  # fmt: skip


def event(n: int, start: datetime, end: datetime, zone: str, **given: Any) -> Obj:
    ident = graph_id("evt", n)
    online = given.get("online", False)
    return {
        "id": ident, "subject": given.get("subject", f"Seeded meeting {n}"),
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": zone},
        "end": {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": zone},
        "location": {"displayName": given.get("location") or ""}, "isAllDay": False,
        "isCancelled": False, "isOnlineMeeting": online, "showAs": "busy", "type": "singleInstance",
        "onlineMeetingProvider": "teamsForBusiness" if online else "unknown",
        "onlineMeeting": {"joinUrl": f"{_TEAMS}/l/meetup-join/{n}"} if online else None,
        "organizer": address(UPN, "Adele Vance"),
        "attendees": [{"type": "required", "status": {"response": "none", "time": _NEVER},
                       **address(a)} for a in given.get("attendees", [])],
        "body": given.get("body", {"contentType": "text", "content": ""}),
        "webLink": f"https://outlook.office365.com/owa/?itemid={ident}&exvsurl=1&path=/calendar/item",
    }  # fmt: skip


def drive_item(n: int, name: str, parent: str, modified: datetime, children: int | None) -> Obj:
    stamp = modified.strftime("%Y-%m-%dT%H:%M:%SZ")
    item: Obj = {
        "id": f"01BYE5RZ{n:026d}", "name": name, "createdDateTime": stamp,
        "lastModifiedDateTime": stamp, "size": 0 if children is not None else 1024 * n,
        "webUrl": f"{_PERSONAL}/{name}",
        "parentReference": {"driveId": DRIVE_ID, "driveType": "business", "id": parent},
    }  # fmt: skip
    if children is not None:
        item["folder"] = {"childCount": children}
    else:
        item["file"] = {
            "mimeType": "text/plain",
            "hashes": {"quickXorHash": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="},
        }
    return item


def drive(root: str, folder: str, now: datetime) -> dict[str, list[Obj]]:
    """The drive's folders by id: the root holds a folder `Reports` and 30 files; it 5 files."""
    files = [
        drive_item(n, f"Notes {n:02d}.txt", root, now - timedelta(days=n), None)
        for n in range(1, 31)
    ]
    reports = drive_item(100, "Reports", root, now, 5)
    inner = [drive_item(100 + n, f"Report {n}.txt", folder, now, None) for n in range(1, 6)]
    return {root: [reports, *files], folder: inner}


def drive_json(base: str) -> Obj:
    return {
        "@odata.context": f"{base}/$metadata#drives/$entity", "id": DRIVE_ID,
        "driveType": "business", "name": "OneDrive", "webUrl": _PERSONAL,
        "owner": {"user": {"id": USER_ID, "displayName": "Adele Vance"}},
        "quota": {"deleted": 0, "remaining": 1099511627776, "total": 1099511627776, "used": 0},
    }  # fmt: skip


def team(n: int) -> Obj:
    return {
        "id": TEAM_IDS[n], "displayName": ("Contoso Team", "Mark 8 Project Team")[n],
        "description": ("Contoso's team", "The team we've assembled to launch Mark 8.")[n],
        "isArchived": False, "tenantId": TENANT_ID,
    }  # fmt: skip


def channel(team_id: str, n: int, name: str, created: datetime) -> Obj:
    ident = f"19:{team_id[:8]}{n:024d}@thread.tacv2"
    return {
        "id": ident, "createdDateTime": created.strftime("%Y-%m-%dT%H:%M:%SZ"), "displayName": name,
        "description": f"{name} channel", "isFavoriteByDefault": None, "email": "",
        "tenantId": TENANT_ID, "membershipType": "standard",
        "webUrl": f"https://teams.microsoft.com/l/channel/{ident}/{name}?groupId={team_id}&tenantId={TENANT_ID}",
    }  # fmt: skip


def chat_message(
    ident: str, team_id: str, channel_id: str, body: Obj, subject: Any, at: datetime
) -> Obj:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "id": ident, "replyToId": None, "etag": ident, "messageType": "message",
        "createdDateTime": stamp, "lastModifiedDateTime": stamp, "lastEditedDateTime": None,
        "deletedDateTime": None, "subject": subject, "summary": None, "chatId": None,
        "importance": "normal", "locale": "en-us",
        "webUrl": f"https://teams.microsoft.com/l/message/{channel_id}/{ident}?groupId={team_id}",
        "from": {"application": None, "device": None,
                 "user": {"id": USER_ID, "displayName": "Adele Vance",
                          "userIdentityType": "aadUser"}},
        "body": body, "channelIdentity": {"teamId": team_id, "channelId": channel_id},
        "attachments": [], "mentions": [], "reactions": [],
    }  # fmt: skip
