"""The database going away and coming back: which failures mean "unavailable", the error a
client gets for them (503 with Retry-After), and a log line when an outage starts and one when
it ends, instead of a traceback per request."""

from __future__ import annotations

import sqlite3
import time

import asyncpg
import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from interlink.core.errors import ServiceUnavailable

log = structlog.get_logger("interlink.database")

RETRY_AFTER_SECONDS = 5
_SQLITE_OUTAGES = (
    "database is locked",
    "disk i/o error",
    "unable to open database file",
    "database or disk is full",
)
_POSTGRES_OUTAGES = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,  # the connection went away under a statement
)


class DatabaseUnavailable(ServiceUnavailable):
    """The database does not answer: try again shortly."""

    def __init__(self) -> None:
        super().__init__(
            "The database does not answer; nothing was changed. Try again shortly.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached (rather than that a statement is
    wrong): refused or dropped connections, a server shutting down, a full pool, a busy or
    unreadable SQLite file."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        return exc.orig is not None and (isinstance(exc.orig, OSError) or is_outage(exc.orig))
    # A bare OSError may be the caller's own (a timeout in its block): only a refused, reset or
    # aborted connection counts, as the engine raises it when it cannot connect.
    if isinstance(exc, (ConnectionError, PoolTimeout, *_POSTGRES_OUTAGES)):
        return True
    if isinstance(exc, sqlite3.OperationalError):
        return str(exc).lower().startswith(_SQLITE_OUTAGES)
    return False


class Outage:
    """Tells the log once when the database stops answering and once when it answers again."""

    def __init__(self) -> None:
        self.since: float | None = None

    def failed(self, exc: BaseException) -> DatabaseUnavailable:
        if self.since is None:
            self.since = time.monotonic()
            log.error("database_unavailable", error=type(exc).__name__)
        return DatabaseUnavailable()

    def answered(self) -> None:
        if self.since is not None:
            lasted, self.since = time.monotonic() - self.since, None
            log.warning("database_available", outage_seconds=round(lasted, 1))
