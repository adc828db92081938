"""The inputs and outputs of the Google Workspace actions, read from Google's answers."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

_ONE_LINE = r"^[^\r\n]*$"  # a header value: no line break can start another header
Address = str  # an RFC 5322 address, `a@example.com` or `"Name" <a@example.com>`
Cell = str | int | float | bool | None


def snake(value: Any) -> Any:
    """Google's camelCase JSON with snake_case keys, as the output models name its fields."""
    if isinstance(value, dict):
        return {
            re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", k).lower(): snake(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [snake(item) for item in value]
    return value


class FromGoogle(BaseModel):
    """An output read from Google's answer (fields it leaves out take their defaults)."""

    @classmethod
    def of(cls, raw: Any) -> Self:
        return cls.model_validate(snake(raw))


class SendMailInput(BaseModel):
    to: list[Address] = Field(min_length=1, description="Recipients (To)")
    subject: str = Field("", max_length=998, pattern=_ONE_LINE, description="One line")
    body: str = Field(description="The plain-text body")
    html: str | None = Field(None, description="An HTML alternative of the body")
    cc: list[Address] = Field(default_factory=list, description="Copied recipients (Cc)")
    bcc: list[Address] = Field(default_factory=list, description="Hidden recipients (Bcc)")
    from_address: Address | None = Field(
        None, description="A send-as address of the account; by default its own", pattern=_ONE_LINE
    )
    reply_to: Address | None = Field(None, pattern=_ONE_LINE, description="Where replies go")
    thread_id: str | None = Field(None, description="Send as a reply in this thread")
    user_id: str = Field("me", description="The mailbox: `me`, or a delegated user's address")

    @model_validator(mode="after")
    def _one_line_addresses(self) -> SendMailInput:
        if any("\r" in a or "\n" in a for a in (*self.to, *self.cc, *self.bcc)):
            raise ValueError("an address may not hold a line break")
        return self


class SentMessage(FromGoogle):
    id: str
    thread_id: str
    label_ids: list[str] = Field(default_factory=list)


class ListMessagesInput(BaseModel):
    q: str | None = Field(
        None, description="Gmail search, e.g. 'from:a@example.com is:unread label:work'"
    )
    include_spam_trash: bool = Field(False, description="Also messages in Spam and Trash")
    max_results: int = Field(100, ge=1, le=500, description="Messages asked per page")
    limit: int = Field(100, ge=1, le=5000, description="Stop after this many messages")
    page_token: str | None = Field(None, description="Continue from a previous next_page_token")
    user_id: str = Field("me", description="The mailbox: `me`, or a delegated user's address")


class MessageRef(FromGoogle):
    id: str
    thread_id: str


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


class EventTime(FromGoogle):
    date_time: str | None = Field(None, description="A time, for a timed event")
    date: str | None = Field(None, description="A date, for an all-day event")
    time_zone: str | None = None


class Person(FromGoogle):
    email: str | None = None
    display_name: str | None = None
    response_status: str | None = Field(None, description="An attendee's answer")


class Event(FromGoogle):
    id: str
    status: str | None = None
    summary: str | None = None
    description: str | None = None
    location: str | None = None
    html_link: str | None = None
    start: EventTime
    end: EventTime
    attendees: list[Person] = Field(default_factory=list)
    organizer: Person | None = None
    created: str | None = None
    updated: str | None = None


class EventPage(BaseModel):
    events: list[Event]
    next_page_token: str | None = None


class CreateEventInput(BaseModel):
    calendar_id: str = Field("primary", min_length=1, description="`primary` or a calendar id")
    summary: str = Field(min_length=1, description="The event's title")
    start: datetime | date = Field(description="A time (RFC 3339), or a date for all day")
    end: datetime | date = Field(description="Exclusive; of the same kind as start")
    time_zone: str | None = Field(None, description="IANA zone, e.g. Europe/Paris")
    description: str | None = None
    location: str | None = None
    attendees: list[Address] = Field(default_factory=list, description="Invited by email address")
    send_updates: Literal["all", "externalOnly", "none"] | None = Field(
        None, description="Who Google emails about it (by default, as the calendar says)"
    )

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


class DriveFile(FromGoogle):
    id: str
    name: str
    mime_type: str
    modified_time: str | None = None
    size: int | None = Field(None, description="Bytes; none for folders and Google Docs")
    parents: list[str] = Field(default_factory=list)
    web_view_link: str | None = None


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


class ValueRange(FromGoogle):
    range: str
    major_dimension: str = "ROWS"
    values: list[list[Any]] = Field(
        default_factory=list, description="Trailing empty rows and columns left out"
    )


class AppendValuesInput(BaseModel):
    spreadsheet_id: str = Field(min_length=1)
    range: str = Field(min_length=1, description="The table to append to, e.g. 'Sheet1!A:C'")
    values: list[list[Cell]] = Field(min_length=1, description="Rows of cells")
    value_input_option: Literal["RAW", "USER_ENTERED"] = Field(
        "USER_ENTERED", description="USER_ENTERED parses numbers, dates and formulas as typed"
    )
    insert_data_option: Literal["OVERWRITE", "INSERT_ROWS"] | None = None


class Updates(FromGoogle):
    updated_range: str
    updated_rows: int = 0
    updated_columns: int = 0
    updated_cells: int = 0


class Appended(FromGoogle):
    spreadsheet_id: str
    table_range: str | None = Field(None, description="The table found, before the append")
    updates: Updates
