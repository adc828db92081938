"""Writes straight to the database driver: the one way Interlink's repositories write rows.

A `Statement` is a Core INSERT, UPDATE or DELETE compiled once per dialect; a `Write` is one
execution of it, or one per row of a list (the driver's executemany). Writes run in one
transaction either alone, through `Database.write` (on PostgreSQL on an asyncpg pool of its own,
`DriverPool`; on SQLite on the writer thread's connection), or in a unit of work already open:
a session's, through `core.db.write_in`, or the sync connection of `Database.run`, through
`run_writes`. Values go through the bind processors of the columns' types, so the driver gets
what SQLAlchemy would have sent; only SQLAlchemy's execution is skipped: for a workflow step's
two statements that execution, with the pool's pre-ping and the transaction around it, cost
about 2 ms of CPU where asyncpg takes 0.3, and on SQLite it cost more than SQLite's own work for
each row of a batch.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy import Connection, Select, Table, TableClause, bindparam
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.types import TypeEngine

Processor = Callable[[Any], Any]
_UNSET = object()


@dataclass(frozen=True)
class Compiled:
    """A statement's SQL for one dialect and how to turn values into its parameters."""

    sql: str
    names: tuple[str, ...]  # in the order of the SQL's positional parameters
    processors: tuple[Processor | None, ...]
    defaults: tuple[Any, ...]  # the values given in the statement itself, or _UNSET

    def args(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        for name, process, default in zip(self.names, self.processors, self.defaults, strict=True):
            value = values.get(name, default)
            if value is _UNSET:
                raise KeyError(f"no value for `{name}`")
            out.append(value if process is None else process(value))
        return tuple(out)


class Statement:
    """A Core INSERT, UPDATE or DELETE (or one per dialect, from `build`) compiled once per
    dialect."""

    def __init__(self, build: Callable[[str], UpdateBase]) -> None:
        self.build = build
        table = build("sqlite").table
        assert isinstance(table, TableClause)
        self.table = table.name  # what it writes to
        self._compiled: dict[str, Compiled] = {}

    @classmethod
    def of(cls, statement: UpdateBase) -> Statement:
        return cls(lambda _dialect: statement)

    @classmethod
    def insert(cls, table: Table, columns: Iterable[str]) -> Statement:
        """An INSERT of one row of `columns` (each write gives them all)."""
        values = {name: bindparam(name, type_=table.c[name].type) for name in columns}
        return cls.of(table.insert().values(values))

    def compiled(self, dialect: Dialect) -> Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _compile(self.build(dialect.name), dialect)
        return found


class Query:
    """A Core SELECT compiled once per dialect, for `Database.read_one`. On PostgreSQL its row
    comes back as asyncpg gives it, without SQLAlchemy's result processing: select plain and
    JSON columns only (a timestamp would come back naive)."""

    def __init__(self, select: Select[Any]) -> None:
        self.select = select
        self._compiled: dict[str, Compiled] = {}

    def compiled(self, dialect: Dialect) -> Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _compile(self.select, dialect)
        return found


def _compile(statement: UpdateBase | Select[Any], dialect: Dialect) -> Compiled:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    if compiled.insert_prefetch or compiled.update_prefetch:
        # SQLAlchemy computes these in its execution, which the driver path skips.
        missing = [c.name for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        raise ValueError(f"give a value for the columns with a default: {missing}")
    names = tuple(compiled.positiontup or compiled.binds)
    binds = [compiled.binds[name] for name in names]
    return Compiled(
        sql=str(compiled),
        names=names,
        processors=tuple(_processor(b.type, dialect) for b in binds),
        defaults=tuple(_UNSET if b.required else b.effective_value for b in binds),
    )


def _processor(type_: TypeEngine[Any], dialect: Dialect) -> Processor | None:
    return type_.dialect_impl(dialect).bind_processor(dialect)


@dataclass(frozen=True)
class Write:
    """One execution of `statement` with `values`; given a list of rows instead, one execution
    per row, sent as the driver's executemany (an empty list writes nothing). With `required`
    (one row only), the whole transaction is abandoned, writing nothing, when this one changes
    no row."""

    statement: Statement
    values: Mapping[str, Any] | Sequence[Mapping[str, Any]] = field(default_factory=dict)
    required: bool = False

    def args(self, dialect: Dialect) -> tuple[str, tuple[Any, ...] | list[tuple[Any, ...]]]:
        """The SQL and the driver's parameters: a tuple for one row, a list of them for many."""
        compiled = self.statement.compiled(dialect)
        if isinstance(self.values, Mapping):
            return compiled.sql, compiled.args(self.values)
        if self.required:
            raise ValueError("a required write is of one row")
        return compiled.sql, [compiled.args(row) for row in self.values]

    @property
    def writes_nothing(self) -> bool:
        return not isinstance(self.values, Mapping) and not self.values


class Abandoned(Exception):
    """A required write changed no row: the transaction was rolled back."""


def run_writes(connection: Connection, writes: Sequence[Write]) -> None:
    """Run `writes` on the driver's cursor of a sync `connection`, in its open transaction
    (SQLite's writer thread's, or one of `Database.run`)."""
    dialect = connection.dialect
    cursor = connection.connection.cursor()
    try:
        for write in writes:
            if write.writes_nothing:
                continue
            sql, args = write.args(dialect)
            try:
                if isinstance(args, list):
                    cursor.executemany(sql, args)
                else:
                    cursor.execute(sql, args)
            except dialect.loaded_dbapi.Error as exc:
                integrity = dialect.loaded_dbapi.IntegrityError
                raise _translated(sql, exc, integrity=integrity) from exc
            if write.required and cursor.rowcount == 0:
                raise Abandoned
    finally:
        cursor.close()


def _translated(sql: str, exc: Exception, *, integrity: type[Exception]) -> DBAPIError:
    """The driver's error as SQLAlchemy's (IntegrityError for a constraint), as the rest of
    the code sees database errors; no parameters in it."""
    kind = IntegrityError if isinstance(exc, integrity) else DBAPIError
    return kind(sql, None, exc, hide_parameters=True)


class DriverPool:
    """An asyncpg pool of its own, opened at the first write, for `Database.write` on
    PostgreSQL. JSON goes as text, as SQLAlchemy's asyncpg dialect sends it."""

    def __init__(self, url: str, dialect: Dialect, *, size: int) -> None:
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.dialect = dialect
        self.size = size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def write(self, writes: Sequence[Write]) -> None:
        pool = self._pool or await self._open()
        async with pool.acquire() as connection, connection.transaction():
            for write in writes:
                if write.writes_nothing:
                    continue
                sql, args = write.args(self.dialect)
                try:
                    if isinstance(args, list):
                        await connection.executemany(sql, args)
                        continue
                    status = await connection.execute(sql, *args)
                except asyncpg.PostgresError as exc:
                    integrity = asyncpg.IntegrityConstraintViolationError
                    raise _translated(sql, exc, integrity=integrity) from exc
                if write.required and status.rsplit(" ", 1)[-1] == "0":
                    raise Abandoned

    async def read_one(self, query: Query, values: Mapping[str, Any]) -> Mapping[str, Any] | None:
        pool = self._pool or await self._open()
        compiled = query.compiled(self.dialect)
        async with pool.acquire() as connection:
            try:
                row = await connection.fetchrow(compiled.sql, *compiled.args(values))
            except asyncpg.PostgresError as exc:
                integrity = asyncpg.IntegrityConstraintViolationError
                raise _translated(compiled.sql, exc, integrity=integrity) from exc
        return None if row is None else dict(row.items())

    async def _open(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self.dsn, min_size=1, max_size=self.size, init=_init, reset=_kept
                )
            return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()


async def _kept(_connection: asyncpg.Connection) -> None:
    """No reset when a connection goes back to the pool (asyncpg's costs a round trip): the
    writes here leave no session state behind, only ended transactions."""


async def _init(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec(
        "json", encoder=str.encode, decoder=lambda raw: json.loads(raw.decode()),
        schema="pg_catalog", format="binary",
    )  # fmt: skip
