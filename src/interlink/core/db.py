"""The database: declarative base, column types, engine and sessions (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import JSON, Connection, DateTime, Engine, MetaData, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, UOWTransaction
from sqlalchemy.types import TypeDecorator

from interlink.core.driver import Abandoned, DriverPool, Query, Write, run_writes
from interlink.core.outage import Outage, is_outage

T = TypeVar("T")
_READ_ONLY = "interlink_read_only"
_WRITTEN = "interlink_written_tables"

UnitOfWork = AsyncSession | list[Write]
"""Where a repository writes: an open transaction (a session of `Database.transaction()`), or the
list of writes its caller runs together in one `Database.write` (`write_in`)."""

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on every backend, returned as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


def async_url(url: str) -> str:
    """Give a plain `sqlite:`/`postgresql:` URL its async driver."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}.get(
        parsed.drivername
    )
    return parsed.set(drivername=driver).render_as_string(hide_password=False) if driver else url


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "busy_timeout=10000",
            "synchronous=NORMAL",
            "foreign_keys=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock up front (IMMEDIATE): no deadlock when a reader would
        # upgrade. Readers begin deferred: in WAL they never wait for a writer.
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        # On the driver's cursor: through `exec_driver_sql` it cost SQLAlchemy a statement's
        # whole execution context, on every transaction.
        cursor = connection.connection.cursor()
        try:
            cursor.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")
        finally:
            cursor.close()


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    full_url = async_url(url)
    if is_sqlite(full_url):
        engine = create_async_engine(
            full_url, pool_size=pool_size, max_overflow=0, hide_parameters=True
        )
        _tune_sqlite(engine.sync_engine)
        return engine
    return create_async_engine(
        full_url, pool_size=pool_size, max_overflow=5, pool_pre_ping=True, hide_parameters=True
    )


def describe_failure(exc: BaseException) -> str:
    """A database failure in one line, without SQL or parameters (they may hold data)."""
    cause = getattr(exc, "orig", None) or exc
    first_line = (str(cause).strip().splitlines() or [""])[0][:200]
    return f"{type(cause).__name__}: {first_line}" if first_line else type(cause).__name__


class Database:
    """One engine and its session factories; sessions never commit by themselves.

    On SQLite, write transactions of this process queue on an asyncio lock: SQLite admits one
    writer, and waiting here costs nothing, where SQLite's own busy handler sleeps in steps of
    up to 100 ms. Read transactions take no lock.

    A failure that says the database cannot be reached leaves every method of this class as
    `DatabaseUnavailable` (503 with Retry-After), logged once per outage (`core/outage.py`).
    """

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size)
        self._commit_listeners: list[tuple[frozenset[str], Callable[[], None]]] = []
        self.outage = Outage()
        session_class = self._watched_session_class()
        self.sessions = async_sessionmaker(
            self.engine,
            expire_on_commit=False,
            autoflush=False,
            sync_session_class=session_class,
        )
        self.read_sessions = async_sessionmaker(
            self.engine.execution_options(**{_READ_ONLY: True}),
            expire_on_commit=False,
            autoflush=False,
            sync_session_class=session_class,
        )
        self._one_writer = asyncio.Lock() if is_sqlite(url) else None
        self._sqlite_writer: Engine | None = None
        self._writer_connection: Connection | None = None  # the writer thread's own
        self._writer_executor: ThreadPoolExecutor | None = None
        self._driver = (
            None
            if self._one_writer is not None
            else DriverPool(url, self.engine.dialect, size=max(2, pool_size // 2))
        )

    def on_commit(self, tables: Iterable[str], listener: Callable[[], None]) -> None:
        """Call `listener` after each commit of this process that wrote to one of `tables`."""
        self._commit_listeners.append((frozenset(tables), listener))

    def _watched_session_class(self) -> type[Session]:
        """A session class of this database's own, that notes the tables each transaction
        writes (by the unit of work or by UPDATE/DELETE/INSERT statements) and tells the
        listeners after the commit."""
        session_class: type[Session] = type("InterlinkSession", (Session,), {})

        def note(session: Session, table: str) -> None:
            session.info.setdefault(_WRITTEN, set()).add(table)

        @event.listens_for(session_class, "after_flush")
        def _flushed(session: Session, _flush: UOWTransaction) -> None:
            for changed in (session.new, session.dirty, session.deleted):
                for instance in changed:
                    note(session, type(instance).__table__.name)

        @event.listens_for(session_class, "do_orm_execute")
        def _executed(state: ORMExecuteState) -> None:
            if state.is_update or state.is_delete or state.is_insert:
                note(state.session, state.statement.table.name)  # type: ignore[attr-defined]

        @event.listens_for(session_class, "after_commit")
        def _committed(session: Session) -> None:
            self._committed(session.info.pop(_WRITTEN, set()))

        @event.listens_for(session_class, "after_rollback")
        def _rolled_back(session: Session) -> None:
            session.info.pop(_WRITTEN, None)

        return session_class

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits when the block ends without error: a unit of work for
        the repositories (through the ORM, or `write_in` for `Write`s)."""
        with self._translated():
            if self._one_writer is None:
                async with self.sessions() as session, session.begin():
                    yield session
            else:
                async with self._one_writer, self.sessions() as session, session.begin():
                    yield session

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            if is_outage(exc):
                raise self.outage.failed(exc) from None
            raise
        if self.outage.since is not None:
            self.outage.answered()

    async def write(self, *writes: Write) -> bool:
        """Run `writes` in one transaction of their own straight on the driver
        (`core/driver.py`), then tell the `on_commit` listeners of the tables written. False,
        with nothing written, when a `required` write changed no row.

        On SQLite they run in one hop to a writer thread with its own connection, where each
        statement through aiosqlite would be a hop of its own; on PostgreSQL on an asyncpg pool.
        """
        tables = {write.statement.table for write in writes if not write.writes_nothing}
        if not tables:
            return True
        try:
            with self._translated():
                if self._driver is not None:
                    await self._driver.write(writes)
                else:
                    await self._on_writer(lambda connection: run_writes(connection, writes))
        except Abandoned:
            return False
        self._committed(tables)
        return True

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run `work`, a repository's statements that read what they write (the dispatcher's
        claims and attempts), in one transaction on a sync connection, committed when it
        returns; it tells no `on_commit` listener (no cache watches those rows). On SQLite in
        one hop to the writer thread: through a session each statement is a hop of its own,
        all of them under the write lock; on PostgreSQL on the engine."""
        with self._translated():
            if self._one_writer is not None:
                return await self._on_writer(work)
            async with self.engine.begin() as connection:
                return await connection.run_sync(work)

    async def read_one(self, query: Query, values: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The first row of `query` with `values`, as a mapping; on PostgreSQL straight from
        the driver (see `Query` for what that leaves out)."""
        if self._driver is not None:
            with self._translated():
                return await self._driver.read_one(query, values)
        async with self.read() as session:
            row = (await session.execute(query.select, dict(values))).first()
        return None if row is None else dict(row._mapping)

    def _committed(self, written: set[str]) -> None:
        for watched, listener in self._commit_listeners:
            if watched & written:
                listener()

    async def _on_writer(self, work: Callable[[Connection], T]) -> T:
        assert self._one_writer is not None
        async with self._one_writer:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._writer_thread(), self._write_now, work)

    def _write_now(self, work: Callable[[Connection], T]) -> T:
        # The writer thread keeps its connection: a checkout from the pool and its reset at the
        # checkin cost more than the transaction's BEGIN and COMMIT.
        if self._writer_connection is None or self._writer_connection.invalidated:
            if self._writer_connection is not None:
                self._writer_connection.close()
            self._writer_connection = self._sync_engine().connect()
        with self._writer_connection.begin():
            return work(self._writer_connection)

    def _close_writer(self) -> None:
        if self._writer_connection is not None:
            self._writer_connection.close()
            self._writer_connection = None
        if self._sqlite_writer is not None:
            self._sqlite_writer.dispose()

    def _sync_engine(self) -> Engine:
        if self._sqlite_writer is None:
            url = make_url(async_url(self.url)).set(drivername="sqlite")
            self._sqlite_writer = create_sync_engine(url, pool_size=1, max_overflow=0)
            _tune_sqlite(self._sqlite_writer)
        return self._sqlite_writer

    def _writer_thread(self) -> ThreadPoolExecutor:
        if self._writer_executor is None:
            self._writer_executor = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        return self._writer_executor

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reading only (on SQLite it must not write: it holds no write lock)."""
        with self._translated():
            async with self.read_sessions() as session, session.begin():
                yield session

    async def dispose(self) -> None:
        if self._driver is not None:
            await self._driver.close()
        await self.engine.dispose()
        if self._writer_executor is not None:
            await asyncio.get_running_loop().run_in_executor(
                self._writer_executor, self._close_writer
            )
            self._writer_executor.shutdown(wait=True)


async def write_in(unit: UnitOfWork, *writes: Write) -> None:
    """Run `writes` in `unit`. In an open transaction they run now, on its connection, after
    the session's own pending changes (flushed first, so that the rows they refer to exist),
    and their tables are told to the `on_commit` listeners after its commit; a `required` write
    that changes no row raises `Abandoned` there, for the caller to roll back. Given a list,
    they are added to it, for the caller's one `Database.write` of all its writes."""
    if isinstance(unit, list):
        unit.extend(writes)
        return
    if unit.new or unit.dirty or unit.deleted:
        await unit.flush()
    connection = await unit.connection()
    written = unit.info.setdefault(_WRITTEN, set())
    for write in writes:
        if write.writes_nothing:
            continue
        sql, args = write.args(connection.dialect)
        result = await connection.exec_driver_sql(sql, args)
        if write.required and result.rowcount == 0:
            raise Abandoned
        written.add(write.statement.table)


async def tables_written(session: AsyncSession) -> frozenset[str]:
    """The tables the open transaction of `session` has written so far (its pending changes
    flushed first)."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    return frozenset(session.info.get(_WRITTEN, ()))
