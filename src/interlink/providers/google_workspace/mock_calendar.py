"""The mock's Calendar (`/calendar/v3/calendars/{calendarId}/events`): one calendar, the user's
primary, with events listed in a time window (free text `q`, `orderBy`, page tokens) and
inserted (timed or all day, attendees), as Calendar API v3 answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp import web

from interlink.core.clock import Clock
from interlink.providers.google_workspace.apis import scopes
from interlink.providers.google_workspace.mock_errors import (
    Route,
    bounded,
    invalid,
    json_body,
    not_found,
)
from interlink.testing.base import json_response
from interlink.testing.toolkit import Marker, PageError, token_page, token_start

PAGES = Marker("calendar", urlsafe=True)
READ = scopes("calendar", "calendar.readonly", "calendar.events", "calendar.events.readonly")
WRITE = scopes("calendar", "calendar.events")
_UPDATES = ("all", "externalOnly", "none")
Obj = dict[str, Any]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _when(value: Any, name: str) -> datetime:
    """A start or end as an instant (a date is its midnight UTC)."""
    if not isinstance(value, dict) or not (value.get("dateTime") or value.get("date")):
        raise invalid(f"Missing {name} time.", "required")
    try:
        if value.get("date"):
            day = date.fromisoformat(str(value["date"]))
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(str(value["dateTime"]))
    except ValueError:
        raise invalid("Bad Request", "badRequest") from None
    if moment.tzinfo is None and not value.get("timeZone"):
        raise invalid(f"Missing time zone definition for {name} time.", "required")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # its zone, taken as UTC


class Calendar:
    """`user`'s primary calendar, seeded with `seeded` one-hour events six hours apart."""

    def __init__(self, clock: Clock, user: str, seeded: int, start: datetime) -> None:
        self.clock = clock
        self.user = user
        self.events: list[Obj] = []
        for n in range(1, seeded + 1):
            begins = start + timedelta(hours=6 * n)
            summary = "Team sync" if n % 4 == 0 else f"Seeded event {n}"
            self.events.append(self._event(f"ev{n:05d}", summary, begins, begins, {
                "start": {"dateTime": stamp(begins), "timeZone": "UTC"},
                "end": {"dateTime": stamp(begins + timedelta(hours=1)), "timeZone": "UTC"},
            }))  # fmt: skip

    def add_routes(self, route: Route) -> None:
        path = "/calendar/v3/calendars/{calendarId}/events"
        route("GET", path, self.list_events, READ)
        route("POST", path, self.insert_event, WRITE)

    async def list_events(self, request: web.Request) -> web.StreamResponse:
        self._calendar(request)
        query = request.query
        size = bounded(request, "maxResults", 250, 2500)
        if query.get("orderBy") == "startTime" and query.get("singleEvents") != "true":
            raise invalid("The requested ordering is not available for the particular query.",
                          "badRequest")  # fmt: skip
        try:
            start = token_start(query.get("pageToken"), PAGES)
        except PageError:
            raise invalid("Invalid page token value.", location="pageToken") from None
        found = [event for event in self.events if self._matches(event, query)]
        if query.get("orderBy") == "startTime":
            found.sort(key=lambda event: _when(event["start"], "start"))
        elif query.get("orderBy") == "updated":
            found.sort(key=lambda event: str(event["updated"]))
        page = token_page(found, start=start, limit=size, marker=PAGES)
        body: Obj = {
            "kind": "calendar#events",
            "etag": '"p3318abcd0000000"',
            "summary": self.user,
            "updated": stamp(self.clock.now()),
            "timeZone": "UTC",
            "accessRole": "owner",
            "defaultReminders": [{"method": "popup", "minutes": 10}],
            "items": page.items,
        }
        if page.next is not None:
            body["nextPageToken"] = page.next
        else:
            body["nextSyncToken"] = "CPDAlvWDx70CEPDAlvWDx70CGAU="
        return json_response(body)

    async def insert_event(self, request: web.Request) -> web.StreamResponse:
        self._calendar(request)
        updates = request.query.get("sendUpdates")
        if updates is not None and updates not in _UPDATES:
            raise invalid(f"Invalid value for sendUpdates: {updates}", location="sendUpdates")
        body = await json_body(request)
        begins, ends = _when(body.get("start"), "start"), _when(body.get("end"), "end")
        if ends <= begins:
            raise invalid("The specified time range is empty.", "timeRangeEmpty")
        now = self.clock.now()
        event = self._event(f"ev{len(self.events) + 1:05d}", body.get("summary"), now, now, body)
        self.events.append(event)
        return json_response(event)

    def _event(
        self, event_id: str, summary: Any, created: datetime, updated: datetime, given: Obj
    ) -> Obj:
        me = {"email": self.user, "self": True}
        event: Obj = {
            "kind": "calendar#event",
            "etag": f'"{3181161784712000 + int(event_id[2:])}"',
            "id": event_id,
            "status": "confirmed",
            "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
            "created": stamp(created),
            "updated": stamp(updated),
            "creator": me,
            "organizer": me,
            "start": given["start"],
            "end": given["end"],
            "iCalUID": f"{event_id}@google.com",
            "sequence": 0,
            "reminders": {"useDefault": True},
            "eventType": "default",
        }
        if summary is not None:
            event["summary"] = summary
        for name in ("description", "location"):
            if given.get(name) is not None:
                event[name] = given[name]
        if given.get("attendees"):
            event["attendees"] = [
                {"email": a.get("email"), "responseStatus": "needsAction"}
                for a in given["attendees"]
            ]
        return event

    def _matches(self, event: Obj, query: Any) -> bool:
        for name, edge, keep in (("timeMin", "end", "after"), ("timeMax", "start", "before")):
            if query.get(name):
                bound = _instant(query[name], name)
                moment = _when(event[edge], edge)
                if (moment <= bound) if keep == "after" else (moment >= bound):
                    return False
        text = " ".join(str(event.get(n, "")) for n in ("summary", "description", "location"))
        return str(query.get("q", "")).lower() in text.lower()

    def _calendar(self, request: web.Request) -> None:
        if request.match_info["calendarId"] not in ("primary", self.user):
            raise not_found()


def _instant(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise invalid("Bad Request", "badRequest", location=name, locationType="parameter")
    return moment
