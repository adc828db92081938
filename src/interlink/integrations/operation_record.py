"""An operation run in this process, before the recorder writes it: its row's values in a plain
dataclass. Made on every call, so it skips the ORM's instrumentation (constructing and reading a
mapped object was about a twelfth of an operation's CPU); the recorder writes it with a Core
INSERT, so it never needs a session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from interlink.integrations.models import Operation


@dataclass(slots=True)
class OperationRecord:
    id: str
    workspace_id: str
    integration_id: str
    operation: str
    status: str
    parameters: dict[str, Any]
    started_at: datetime
    created_by: str
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    completed_at: datetime | None = None
    duration_ms: int | None = None
    deadline_at: datetime | None = None


AnyOperation = Operation | OperationRecord  # a stored row (queued, read back) or a fresh run
COLUMNS = tuple(Operation.__table__.columns.keys())


def row_values(operation: AnyOperation) -> dict[str, Any]:
    """Its values by column name, for a Core INSERT or UPDATE of `operations`."""
    return {name: getattr(operation, name) for name in COLUMNS}
