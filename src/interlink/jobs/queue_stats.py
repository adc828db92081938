"""Queue depth and age, read from DBOS's `workflow_status` table when metrics are scraped.

One grouped query on our own engine (DBOS's tables share our database: the same SQLite file, or
schema `dbos` on PostgreSQL): per queue, how many workflows wait (`ENQUEUED`), are delayed
(`DELAYED`) or run (`PENDING`), and when the oldest waiting one was enqueued. Finished workflows
are not counted; the retention cleanup deletes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from interlink.core.clock import Clock
from interlink.core.db import Database

STATES = {"ENQUEUED": "queued", "DELAYED": "delayed", "PENDING": "running"}
_QUERY = """
SELECT queue_name, status, COUNT(*), MIN(created_at)
FROM {table}
WHERE queue_name IS NOT NULL AND status IN ('ENQUEUED', 'DELAYED', 'PENDING')
GROUP BY queue_name, status
"""


@dataclass(frozen=True)
class QueueStat:
    queue: str
    state: str  # queued, delayed, running
    count: int
    oldest_seconds: float | None  # age of the oldest, from its enqueue time


class QueueStats:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        postgres = db.engine.dialect.name == "postgresql"
        table = "dbos.workflow_status" if postgres else "workflow_status"
        self._query = text(_QUERY.format(table=table))

    async def read(self) -> list[QueueStat]:
        now_ms = self.clock.now().timestamp() * 1000
        async with self.db.read() as session:
            rows = (await session.execute(self._query)).all()
        return [
            QueueStat(
                queue=str(queue),
                state=STATES[str(status)],
                count=int(count),
                oldest_seconds=max(0.0, (now_ms - float(oldest)) / 1000) if oldest else None,
            )
            for queue, status, count, oldest in rows
        ]
