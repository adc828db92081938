"""The inputs and outputs of the Microsoft 365 actions, read out of Graph's resources."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

_LOCAL_TIME = r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,7})?)?$"
_USER = (
    "The user's id or userPrincipalName; by default the configuration's `user`, else `me` "
    "(the signed-in user: an app-only token must name a user)"
)


def _user() -> Any:
    return Field(None, min_length=1, description=_USER)


def _limit(default: int = 50) -> Any:
    return Field(default, ge=1, le=1000, description="Stop after this many items")


def _cursor() -> Any:
    return Field(None, description="A previous result's next_cursor (Graph's @odata.nextLink)")


def _address(raw: Any) -> str | None:
    found = raw.get("emailAddress") if isinstance(raw, dict) else None
    return found.get("address") if isinstance(found, dict) else None


class SendMailInput(BaseModel):
    user: str | None = _user()
    to: list[str] = Field(min_length=1, description="Recipients' email addresses")
    cc: list[str] = Field(default_factory=list)
    bcc: list[str] = Field(default_factory=list)
    subject: str = Field(max_length=255)
    body: str = Field(description="The message's body")
    content_type: Literal["Text", "HTML"] = "Text"
    save_to_sent_items: bool = True


class Accepted(BaseModel):
    accepted: bool = Field(description="Graph accepted the message for delivery (202)")


class ListMessagesInput(BaseModel):
    user: str | None = _user()
    folder: str | None = Field(
        None, description="A mail folder's id or well-known name (inbox, sentitems, drafts)"
    )
    filter: str | None = Field(None, description="An OData $filter, e.g. isRead eq false")
    page_size: int = Field(25, ge=1, le=1000, description="Messages asked per page ($top)")
    limit: int = _limit()
    cursor: str | None = _cursor()


class Message(BaseModel):
    id: str
    subject: str | None = None
    sender: str | None = Field(None, description="The From address")
    to: list[str] = Field(default_factory=list)
    received_at: str | None = None
    is_read: bool | None = None
    has_attachments: bool | None = None
    preview: str | None = None
    web_link: str | None = None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Message:
        to = [_address(r) for r in raw.get("toRecipients") or []]
        return cls(
            id=raw["id"], subject=raw.get("subject"), sender=_address(raw.get("from")),
            to=[a for a in to if a], received_at=raw.get("receivedDateTime"),
            is_read=raw.get("isRead"), has_attachments=raw.get("hasAttachments"),
            preview=raw.get("bodyPreview"), web_link=raw.get("webLink"),
        )  # fmt: skip


class MessagePage(BaseModel):
    items: list[Message]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to read on")


class ListEventsInput(BaseModel):
    user: str | None = _user()
    start: str | None = Field(None, description="With `end`: the calendar view from, ISO 8601")
    end: str | None = Field(None, description="With `start`: the calendar view to, ISO 8601")
    page_size: int = Field(25, ge=1, le=1000, description="Events asked per page ($top)")
    limit: int = _limit()
    cursor: str | None = _cursor()


class Event(BaseModel):
    id: str
    subject: str | None = None
    start: str | None = Field(None, description="Local date and time in time_zone")
    end: str | None = None
    time_zone: str | None = None
    location: str | None = None
    organizer: str | None = None
    attendees: list[str] = Field(default_factory=list)
    is_online_meeting: bool | None = None
    join_url: str | None = None
    web_link: str | None = None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Event:
        start, end = raw.get("start") or {}, raw.get("end") or {}
        attendees = [_address(a) for a in raw.get("attendees") or []]
        return cls(
            id=raw["id"], subject=raw.get("subject"), start=start.get("dateTime"),
            end=end.get("dateTime"), time_zone=start.get("timeZone"),
            location=(raw.get("location") or {}).get("displayName") or None,
            organizer=_address(raw.get("organizer")), attendees=[a for a in attendees if a],
            is_online_meeting=raw.get("isOnlineMeeting"),
            join_url=(raw.get("onlineMeeting") or {}).get("joinUrl"), web_link=raw.get("webLink"),
        )  # fmt: skip


class EventPage(BaseModel):
    items: list[Event]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to read on")


class CreateEventInput(BaseModel):
    user: str | None = _user()
    subject: str = Field(min_length=1, max_length=255)
    start: str = Field(pattern=_LOCAL_TIME, description="Local time, e.g. 2026-03-02T09:00:00")
    end: str = Field(pattern=_LOCAL_TIME, description="Local time, e.g. 2026-03-02T09:30:00")
    time_zone: str = Field("UTC", min_length=1, description="Windows or IANA time zone name")
    body: str | None = None
    content_type: Literal["Text", "HTML"] = "Text"
    location: str | None = None
    attendees: list[str] = Field(default_factory=list, description="Required attendees' emails")
    online_meeting: bool = Field(False, description="Make it a Teams meeting")


class ListDriveItemsInput(BaseModel):
    user: str | None = _user()
    drive_id: str | None = Field(
        None, min_length=1, description="A drive's id; default: the user's OneDrive"
    )
    item_id: str | None = Field(None, min_length=1, description="A folder's id; default: the root")
    path: str | None = Field(
        None, min_length=1, description="A folder's path under the root, e.g. Documents/Reports"
    )
    page_size: int = Field(100, ge=1, le=999, description="Items asked per page ($top)")
    limit: int = _limit(200)
    cursor: str | None = _cursor()


class DriveItem(BaseModel):
    id: str
    name: str | None = None
    size: int | None = None
    is_folder: bool
    child_count: int | None = None
    mime_type: str | None = None
    web_url: str | None = None
    last_modified_at: str | None = None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> DriveItem:
        folder, file = raw.get("folder"), raw.get("file") or {}
        return cls(
            id=raw["id"], name=raw.get("name"), size=raw.get("size"), is_folder=folder is not None,
            child_count=(folder or {}).get("childCount"), mime_type=file.get("mimeType"),
            web_url=raw.get("webUrl"), last_modified_at=raw.get("lastModifiedDateTime"),
        )  # fmt: skip


class DriveItemPage(BaseModel):
    items: list[DriveItem]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to read on")


class ListTeamsInput(BaseModel):
    user: str | None = _user()


class Team(BaseModel):
    id: str
    display_name: str | None = None
    description: str | None = None
    is_archived: bool | None = None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Team:
        return cls(
            id=raw["id"], display_name=raw.get("displayName"),
            description=raw.get("description"), is_archived=raw.get("isArchived"),
        )  # fmt: skip


class TeamList(BaseModel):
    items: list[Team]


class ListChannelsInput(BaseModel):
    team_id: str = Field(min_length=1, description="The team's id (a GUID)")


class Channel(BaseModel):
    id: str
    display_name: str | None = None
    description: str | None = None
    membership_type: str | None = None
    web_url: str | None = None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Channel:
        return cls(
            id=raw["id"], display_name=raw.get("displayName"), description=raw.get("description"),
            membership_type=raw.get("membershipType"), web_url=raw.get("webUrl"),
        )  # fmt: skip


class ChannelList(BaseModel):
    items: list[Channel]


class SendChannelMessageInput(BaseModel):
    team_id: str = Field(min_length=1, description="The team's id (a GUID)")
    channel_id: str = Field(min_length=1, description="The channel's id, e.g. 19:...@thread.tacv2")
    content: str = Field(min_length=1)
    content_type: Literal["text", "html"] = "text"
    subject: str | None = None


class ChannelMessage(BaseModel):
    id: str
    created_at: str | None = None
    web_url: str | None = None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> ChannelMessage:
        return cls(id=raw["id"], created_at=raw.get("createdDateTime"), web_url=raw.get("webUrl"))


class SendTeamsWebhookInput(BaseModel):
    url: str | None = Field(
        None, pattern=r"^https?://",
        description="The incoming webhook's or Workflows trigger's URL; by default the "
        "configuration's `teams_webhook_url`. It gets no Graph token",
    )  # fmt: skip
    text: str | None = Field(None, min_length=1, description="The card's text")
    title: str | None = Field(None, description="The card's title")
    card: dict[str, Any] | None = Field(
        None, description="A whole Adaptive Card instead of title and text"
    )


class WebhookSent(BaseModel):
    status: int = Field(
        description="The webhook's HTTP status: 200 (incoming webhook), 202 (Workflows)"
    )
