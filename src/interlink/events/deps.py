"""What the event routes read of the services one process shares (see `interlink.api.deps`)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from interlink.api.deps import services
from interlink.events.service import EventService
from interlink.events.stream import EventStream


class EventDeps(Protocol):
    events: EventService
    event_stream: EventStream


Deps = Annotated[EventDeps, Depends(services)]
