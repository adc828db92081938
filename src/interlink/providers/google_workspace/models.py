"""The inputs and outputs of the Google Workspace actions, read from Google's answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

_ONE_LINE = r"^[^\r\n]*$"  # a header value: no line break can start another header
Address = str  # an RFC 5322 address, `a@example.com` or `"Name" <a@example.com>`
Cell = str | int | float | bool | None


class SendMailInput(BaseModel):
    to: list[Address] = Field(min_length=1, description="Recipients (To)")
    subject: str = Field("", max_length=998, pattern=_ONE_LINE)
    body: str = Field(description="The plain-text body")
    html: str | None = Field(None, description="An HTML alternative of the body")
    cc: list[Address] = Field(default_factory=list)
    bcc: list[Address] = Field(default_factory=list)
    from_address: Address | None = Field(
        None, description="A send-as address of the account; by default its own", pattern=_ONE_LINE
    )
    reply_to: Address | None = Field(None, pattern=_ONE_LINE)
    thread_id: str | None = Field(None, description="Send as a reply in this thread")
    user_id: str = Field("me", description="The mailbox: `me`, or a delegated user's address")

    @model_validator(mode="after")
    def _one_line_addresses(self) -> SendMailInput:
        if any("\r" in a or "\n" in a for a in (*self.to, *self.cc, *self.bcc)):
            raise ValueError("an address may not hold a line break")
        return self


class SentMessage(BaseModel):
    id: str
    thread_id: str
    label_ids: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, raw: dict[str, Any]) -> SentMessage:
        return cls(id=raw["id"], thread_id=raw["threadId"], label_ids=raw.get("labelIds") or [])


class ListMessagesInput(BaseModel):
    q: str | None = Field(
        None, description="Gmail search, e.g. 'from:a@example.com is:unread label:work'"
    )
    include_spam_trash: bool = False
    max_results: int = Field(100, ge=1, le=500, description="Messages asked per page")
    limit: int = Field(100, ge=1, le=5000, description="Stop after this many messages")
    page_token: str | None = Field(None, description="Continue from a previous next_page_token")
    user_id: str = "me"


class MessageRef(BaseModel):
    id: str
    thread_id: str

    @classmethod
    def of(cls, raw: dict[str, Any]) -> MessageRef:
        return cls(id=raw["id"], thread_id=raw["threadId"])


class MessagePage(BaseModel):
    messages: list[MessageRef]
    next_page_token: str | None = Field(None, description="Pass as page_token to read on")


class ListEventsInput(BaseModel):
    calendar_id: str = Field("primary", min_length=1, description="`primary` or a calendar id")
    time_min: AwareDatetime | None = Field(None, description="Events ending after this (RFC 3339)")
    time_max: AwareDatetime | None = Field(None, description="Events starting before this")
    q: str | None = Field(None, description="Free text searched in the events")
    single_events: bool = Field(False, description="Expand recurring events into instances")
    order_by: Literal["startTime", "updated"] | None = None
    max_results: int = Field(250, ge=1, le=2500, description="Events asked per page")
    limit: int = Field(250, ge=1, le=5000, description="Stop after this many events")
    page_token: str | None = None

    @model_validator(mode="after")
    def _start_time_order(self) -> ListEventsInput:
        if self.order_by == "startTime" and not self.single_events:
            raise ValueError("order_by startTime needs single_events (as Google requires)")
        return self


class EventTime(BaseModel):
    date_time: str | None = None
    date: str | None = None
    time_zone: str | None = None

    @classmethod
    def of(cls, raw: dict[str, Any] | None) -> EventTime:
        raw = raw or {}
        return cls(
            date_time=raw.get("dateTime"), date=raw.get("date"), time_zone=raw.get("timeZone")
        )


class Event(BaseModel):
    id: str
    status: str | None = None
    summary: str | None = None
    description: str | None = None
    location: str | None = None
    html_link: str | None = None
    start: EventTime
    end: EventTime
    attendees: list[str] = Field(default_factory=list)
    organizer: str | None = None
    created: str | None = None
    updated: str | None = None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Event:
        return cls(
            id=raw["id"],
            status=raw.get("status"),
            summary=raw.get("summary"),
            description=raw.get("description"),
            location=raw.get("location"),
            html_link=raw.get("htmlLink"),
            start=EventTime.of(raw.get("start")),
            end=EventTime.of(raw.get("end")),
            attendees=[a["email"] for a in raw.get("attendees") or [] if a.get("email")],
            organizer=(raw.get("organizer") or {}).get("email"),
            created=raw.get("created"),
            updated=raw.get("updated"),
        )


class EventPage(BaseModel):
    events: list[Event]
    next_page_token: str | None = None


class CreateEventInput(BaseModel):
    calendar_id: str = Field("primary", min_length=1)
    summary: str = Field(min_length=1)
    start: datetime | date = Field(description="A time (RFC 3339), or a date for all day")
    end: datetime | date = Field(description="Exclusive; of the same kind as start")
    time_zone: str | None = Field(None, description="IANA zone, e.g. Europe/Paris")
    description: str | None = None
    location: str | None = None
    attendees: list[Address] = Field(default_factory=list)
    send_updates: Literal["all", "externalOnly", "none"] | None = None

    @field_validator("start", "end", mode="before")
    @classmethod
    def _a_date_stays_a_date(cls, value: Any) -> Any:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else value

    @model_validator(mode="after")
    def _a_time_range(self) -> CreateEventInput:
        if isinstance(self.start, datetime) != isinstance(self.end, datetime):
            raise ValueError("start and end must both be times or both be dates")
        if isinstance(self.start, datetime) and isinstance(self.end, datetime):
            naive = [t.tzinfo is None for t in (self.start, self.end)]
            if any(naive) and not (all(naive) and self.time_zone):
                raise ValueError("a time without an offset needs time_zone (and both the same)")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class ListFilesInput(BaseModel):
    q: str | None = Field(None, description="Drive search, e.g. \"name contains 'report'\"")
    order_by: str | None = Field(None, description="e.g. 'modifiedTime desc,name'")
    include_all_drives: bool = Field(False, description="Shared drives too")
    page_size: int = Field(100, ge=1, le=1000, description="Files asked per page")
    limit: int = Field(100, ge=1, le=10000, description="Stop after this many files")
    page_token: str | None = None


class DriveFile(BaseModel):
    id: str
    name: str
    mime_type: str
    modified_time: str | None = None
    size: int | None = None
    parents: list[str] = Field(default_factory=list)
    web_view_link: str | None = None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> DriveFile:
        size = raw.get("size")  # int64, so a string in Google's JSON
        return cls(
            id=raw["id"],
            name=raw["name"],
            mime_type=raw["mimeType"],
            modified_time=raw.get("modifiedTime"),
            size=int(size) if size is not None else None,
            parents=raw.get("parents") or [],
            web_view_link=raw.get("webViewLink"),
        )


class FilePage(BaseModel):
    files: list[DriveFile]
    next_page_token: str | None = None


class GetValuesInput(BaseModel):
    spreadsheet_id: str = Field(min_length=1)
    range: str = Field(min_length=1, description="A1 notation, e.g. 'Sheet1!A1:C10' or 'Sheet1'")
    major_dimension: Literal["ROWS", "COLUMNS"] = "ROWS"
    value_render_option: Literal["FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"] = (
        "FORMATTED_VALUE"
    )


class ValueRange(BaseModel):
    range: str
    major_dimension: str
    values: list[list[Any]] = Field(description="Trailing empty rows and columns left out")

    @classmethod
    def of(cls, raw: dict[str, Any]) -> ValueRange:
        return cls(
            range=raw["range"],
            major_dimension=raw.get("majorDimension", "ROWS"),
            values=raw.get("values") or [],  # Google leaves out an empty list
        )


class AppendValuesInput(BaseModel):
    spreadsheet_id: str = Field(min_length=1)
    range: str = Field(min_length=1, description="The table to append to, e.g. 'Sheet1!A:C'")
    values: list[list[Cell]] = Field(min_length=1, description="Rows of cells")
    value_input_option: Literal["RAW", "USER_ENTERED"] = Field(
        "USER_ENTERED", description="USER_ENTERED parses numbers, dates and formulas as typed"
    )
    insert_data_option: Literal["OVERWRITE", "INSERT_ROWS"] | None = None


class Appended(BaseModel):
    spreadsheet_id: str
    table_range: str | None = Field(None, description="The table found, before the append")
    updated_range: str
    updated_rows: int
    updated_columns: int
    updated_cells: int

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Appended:
        updates = raw.get("updates") or {}
        return cls(
            spreadsheet_id=raw["spreadsheetId"],
            table_range=raw.get("tableRange"),
            updated_range=updates.get("updatedRange", ""),
            updated_rows=updates.get("updatedRows", 0),
            updated_columns=updates.get("updatedColumns", 0),
            updated_cells=updates.get("updatedCells", 0),
        )
