"""`Write`s of `Statement`s sent straight to the driver, alone (`Database.write`) or in an open
transaction (`write_in`): they land together or not at all, with one row or many (executemany),
store what SQLAlchemy's own execution stores, raise SQLAlchemy's errors (IntegrityError,
DatabaseUnavailable when the database does not answer), and tell the commit listeners once,
after the commit. On SQLite and, when INTERLINK_TEST_DATABASE_URL is set, on PostgreSQL."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    Insert,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    cast,
    create_engine,
    insert,
    make_url,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import registry

from interlink.core.db import Database, UTCDateTime, is_sqlite, write_in
from interlink.core.driver import Abandoned, Query, Statement, Write, run_writes
from interlink.core.outage import DatabaseUnavailable

# A name of this run's own: a run beside this one on the same PostgreSQL database keeps its table.
_RUN = uuid.uuid4().hex[:12]
_METADATA = MetaData()
_THINGS = Table(
    f"driver_things_{_RUN}",
    _METADATA,
    Column("id", String(40), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("at", UTCDateTime, nullable=True),
    Column("document", JSON, nullable=True),
)
_COUNTED = Table(
    f"driver_counted_{_RUN}",
    _METADATA,
    Column("id", String(40), primary_key=True),
    Column("count", Integer, nullable=True, default=7),
    Column("touched", String(20), nullable=True, onupdate="changed"),
)
_COLUMNS = ("id", "status", "at", "document")
_INSERT = Statement.insert(_THINGS, _COLUMNS)
_SET_STATUS = Statement.of(
    update(_THINGS)
    .where(_THINGS.c.id == bindparam("key"))
    .values(status=bindparam("new_status", type_=String()))
)
_CLOSE = Statement.of(
    update(_THINGS)
    .where(_THINGS.c.id == bindparam("key"), _THINGS.c.status == "open")
    .values(status="closed")
)
_AT = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=timezone(timedelta(hours=2)))


def _upsert(dialect: str) -> Insert:
    insert_of = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert_of(_THINGS).values(
        **{name: bindparam(name, type_=_THINGS.c[name].type) for name in _COLUMNS}
    )
    return statement.on_conflict_do_update(
        index_elements=["id"], set_={"status": statement.excluded.status}
    )


_UPSERT = Statement(_upsert)


class _Undone(Exception):
    """Raised in a session's transaction to roll it back."""


def _row(id_: str, status: str = "open", **values: Any) -> dict[str, Any]:
    return {"id": id_, "status": status, "at": None, "document": None, **values}


def _insert(id_: str, status: str = "open", **values: Any) -> Write:
    return Write(_INSERT, _row(id_, status, **values))


@pytest.fixture
def reader(database_url: str) -> Iterator[Engine]:
    """A plain SQLAlchemy engine on the test's database, holding this module's tables."""
    url = make_url(database_url)
    if is_sqlite(database_url):
        assert url.database is not None
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    else:
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url)
    _METADATA.create_all(engine)
    yield engine
    _METADATA.drop_all(engine)
    engine.dispose()


@pytest.fixture
async def database(database_url: str, reader: Engine) -> AsyncIterator[Database]:
    opened = Database(database_url, pool_size=2)
    yield opened
    await opened.dispose()


@pytest.fixture
def commits(database: Database, reader: Engine) -> list[list[tuple[Any, ...]]]:
    """One entry per call of a listener on this module's table: the rows it could read then.
    A listener on another table must never be called."""
    seen: list[list[tuple[Any, ...]]] = []
    database.on_commit([_THINGS.name], lambda: seen.append(_rows(reader)))
    database.on_commit(["elsewhere"], lambda: pytest.fail("a listener of another table"))
    return seen


def _rows(reader: Engine) -> list[tuple[Any, ...]]:
    with reader.connect() as connection:
        return [tuple(row) for row in connection.execute(select(_THINGS).order_by("id"))]


def _stored(reader: Engine) -> list[tuple[Any, ...]]:
    """The rows as the database holds them, without SQLAlchemy's result processing."""
    query = select(
        cast(_THINGS.c.at, Text), cast(_THINGS.c.document, Text), _THINGS.c.document.is_(None)
    ).order_by("id")
    with reader.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


async def test_writes_of_one_call_land_together_then_the_listeners_are_told_once(
    database: Database, reader: Engine, commits: list[list[tuple[Any, ...]]]
) -> None:
    written = await database.write(
        _insert("a"), Write(_SET_STATUS, {"key": "a", "new_status": "done"})
    )

    assert written is True
    assert _rows(reader) == [("a", "done", None, None)]
    assert commits == [[("a", "done", None, None)]]  # called once, and the rows were committed


async def test_a_required_write_that_changes_no_row_abandons_the_whole_call(
    database: Database, reader: Engine, commits: list[list[tuple[Any, ...]]]
) -> None:
    missing = Write(_SET_STATUS, {"key": "missing", "new_status": "done"}, required=True)

    written = await database.write(_insert("a"), missing, _insert("b"))

    assert written is False
    assert _rows(reader) == []
    assert commits == []


async def test_a_required_write_that_changes_a_row_is_written(
    database: Database, reader: Engine, commits: list[list[tuple[Any, ...]]]
) -> None:
    await database.write(_insert("a"))

    found = Write(_SET_STATUS, {"key": "a", "new_status": "done"}, required=True)

    assert await database.write(found) is True
    assert _rows(reader) == [("a", "done", None, None)]
    assert len(commits) == 2


@pytest.mark.parametrize(
    "document", [{"a": [1, "é", None], "b": {"c": 1.5}}, [1, "two", None], None, "text", 0]
)
async def test_values_are_stored_as_sqlalchemy_stores_them(
    database: Database, reader: Engine, document: Any
) -> None:
    with reader.begin() as connection:
        connection.execute(insert(_THINGS), _row("a", at=_AT, document=document))

    await database.write(_insert("b", at=_AT, document=document))

    by_sqlalchemy, by_driver = _stored(reader)
    assert by_driver == by_sqlalchemy
    assert by_driver[2] is False  # never SQL NULL: a None document is JSON null
    _, _, at, stored = _rows(reader)[1]
    assert at == _AT
    assert at.tzinfo is UTC
    assert stored == document


async def test_values_given_in_the_statement_are_not_passed(
    database: Database, reader: Engine
) -> None:
    await database.write(_insert("a", "open"), _insert("b", "done"))

    assert await database.write(Write(_CLOSE, {"key": "a"})) is True
    assert await database.write(Write(_CLOSE, {"key": "b"}, required=True)) is False
    assert [row[:2] for row in _rows(reader)] == [("a", "closed"), ("b", "done")]


async def test_a_missing_value_is_named_and_nothing_is_written(
    database: Database, reader: Engine, commits: list[list[tuple[Any, ...]]]
) -> None:
    unnamed = Write(_SET_STATUS, {"key": "a"})

    with pytest.raises(KeyError, match="`new_status`"):
        await database.write(_insert("a"), unnamed)

    assert _rows(reader) == []
    assert commits == []


async def test_a_database_error_raises_and_nothing_of_the_call_is_written(
    database: Database, reader: Engine, commits: list[list[tuple[Any, ...]]]
) -> None:
    await database.write(_insert("a"))

    # SQLAlchemy's error, as the rest of the code sees database errors, the driver's inside.
    with pytest.raises(IntegrityError) as raised:
        await database.write(_insert("b"), _insert("a", "again"))

    assert isinstance(raised.value.orig, (sqlite3.IntegrityError, asyncpg.UniqueViolationError))
    assert _rows(reader) == [("a", "open", None, None)]
    assert len(commits) == 1


async def test_a_statement_built_per_dialect_runs_on_each(
    database: Database, reader: Engine
) -> None:
    await database.write(Write(_UPSERT, _row("a", "open")))
    await database.write(Write(_UPSERT, _row("a", "done")), Write(_UPSERT, _row("b")))

    assert [row[:2] for row in _rows(reader)] == [("a", "done"), ("b", "open")]


async def test_a_column_default_not_given_is_refused_before_anything_is_written(
    database: Database, reader: Engine
) -> None:
    # SQLAlchemy computes Python-side defaults in its own execution, which the driver skips.
    statement = Statement.of(insert(_COUNTED).values(id=bindparam("id")))

    with pytest.raises(ValueError, match="count"):
        await database.write(_insert("a"), Write(statement, {"id": "a"}))

    assert _rows(reader) == []


async def test_an_update_of_a_table_with_onupdate_columns_is_refused(database: Database) -> None:
    statement = Statement.of(
        update(_COUNTED).where(_COUNTED.c.id == bindparam("key")).values(count=bindparam("n"))
    )

    with pytest.raises(ValueError, match="touched"):
        await database.write(Write(statement, {"key": "a", "n": 2}))


async def test_read_one_gives_the_first_row_as_a_mapping_with_json_decoded(
    database: Database,
) -> None:
    await database.write(_insert("a", "open", document={"k": [1, None]}), _insert("b", "done"))
    query = Query(
        select(_THINGS.c.id, _THINGS.c.status, _THINGS.c.document).where(
            _THINGS.c.status == bindparam("status")
        )
    )

    found = await database.read_one(query, {"status": "open"})
    missing = await database.read_one(query, {"status": "gone"})

    assert found == {"id": "a", "status": "open", "document": {"k": [1, None]}}
    assert missing is None


# -- many rows in one write (the driver's executemany) --------------------------------------------
async def test_many_rows_are_stored_as_sqlalchemy_stores_them(
    database: Database, reader: Engine, commits: list[list[tuple[Any, ...]]]
) -> None:
    documents = [{"a": [1, "é", None]}, None]
    with reader.begin() as connection:
        connection.execute(
            insert(_THINGS), [_row(f"a{n}", at=_AT, document=d) for n, d in enumerate(documents)]
        )

    many = [_row(f"b{n}", at=_AT.astimezone(UTC), document=d) for n, d in enumerate(documents)]
    assert await database.write(Write(_INSERT, many)) is True

    stored = _stored(reader)
    assert stored[2:] == stored[:2]
    assert stored[3][2] is False  # a None document is JSON null, never SQL NULL
    assert len(commits) == 1


async def test_an_upsert_of_many_rows_applies_each_in_turn(
    database: Database, reader: Engine
) -> None:
    await database.write(Write(_UPSERT, [_row("a", "open"), _row("a", "done"), _row("b")]))

    assert [row[:2] for row in _rows(reader)] == [("a", "done"), ("b", "open")]


async def test_no_rows_is_no_statement_and_no_listener(
    database: Database, reader: Engine, commits: list[list[tuple[Any, ...]]]
) -> None:
    assert await database.write(Write(_INSERT, [])) is True

    assert _rows(reader) == []
    assert commits == []


async def test_a_failing_row_of_many_writes_nothing_of_the_call(
    database: Database, reader: Engine, commits: list[list[tuple[Any, ...]]]
) -> None:
    await database.write(_insert("a"))

    with pytest.raises(IntegrityError):
        await database.write(Write(_INSERT, [_row("b"), _row("a", "again")]))

    assert _rows(reader) == [("a", "open", None, None)]
    assert len(commits) == 1


async def test_a_required_write_is_of_one_row(database: Database, reader: Engine) -> None:
    with pytest.raises(ValueError, match="one row"):
        await database.write(Write(_INSERT, [_row("a")], required=True))

    assert _rows(reader) == []


async def test_a_database_that_does_not_answer_is_unavailable(tmp_path: Path) -> None:
    for url in (
        f"sqlite:///{tmp_path / 'missing' / 'folder' / 'x.db'}",
        "postgresql://postgres@127.0.0.1:1/nothing_listens_here",
    ):
        database = Database(url, pool_size=2)
        try:
            with pytest.raises(DatabaseUnavailable):
                await database.write(_insert("a"))
        finally:
            await database.dispose()


# -- writes in an open transaction (`write_in`) -------------------------------------------------
class _Thing:
    """`_THINGS` mapped, for rows the session's unit of work holds."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


registry().map_imperatively(_Thing, _THINGS)


async def test_writes_in_a_transaction_commit_with_its_work_after_its_pending_rows(
    database: Database, reader: Engine, commits: list[list[tuple[Any, ...]]]
) -> None:
    async with database.transaction() as session:
        session.add(_Thing(id="a", status="open", at=None, document=None))  # pending, not flushed
        close = Write(_SET_STATUS, {"key": "a", "new_status": "done"}, required=True)
        await write_in(session, close, Write(_INSERT, [_row("b"), _row("c")]))
        assert _rows(reader) == []  # not committed yet
        assert commits == []

    assert [row[:2] for row in _rows(reader)] == [("a", "done"), ("b", "open"), ("c", "open")]
    assert len(commits) == 1  # told once, after the commit


async def test_writes_in_a_transaction_are_rolled_back_with_it(
    database: Database, reader: Engine, commits: list[list[tuple[Any, ...]]]
) -> None:
    async def undone() -> None:
        async with database.transaction() as session:
            await write_in(session, _insert("a"))
            raise _Undone

    async def duplicate() -> None:
        async with database.transaction() as session:
            await write_in(session, _insert("b"), _insert("b", "again"))

    async def abandoned() -> None:
        async with database.transaction() as session:
            await write_in(session, _insert("c"))
            await write_in(session, Write(_CLOSE, {"key": "missing"}, required=True))

    with pytest.raises(_Undone):
        await undone()
    with pytest.raises(IntegrityError):  # SQLAlchemy's error, as alone
        await duplicate()
    with pytest.raises(Abandoned):  # for the caller to roll back
        await abandoned()

    assert _rows(reader) == []
    assert commits == []


async def test_run_commits_its_work_and_tells_no_listener(
    database: Database, reader: Engine, commits: list[list[tuple[Any, ...]]]
) -> None:
    def work(connection: Connection) -> list[str]:
        run_writes(connection, [Write(_INSERT, [_row("a"), _row("b")])])
        return list(connection.scalars(select(_THINGS.c.id).order_by("id")))

    def failing(connection: Connection) -> None:
        run_writes(connection, [_insert("c")])
        raise _Undone

    assert await database.run(work) == ["a", "b"]
    with pytest.raises(_Undone):
        await database.run(failing)

    assert [row[0] for row in _rows(reader)] == ["a", "b"]
    assert commits == []


async def test_writes_given_a_list_are_kept_for_one_database_write(
    database: Database, reader: Engine, commits: list[list[tuple[Any, ...]]]
) -> None:
    writes: list[Write] = [_insert("a")]
    await write_in(writes, Write(_INSERT, [_row("b")]))

    assert _rows(reader) == []
    assert await database.write(*writes) is True
    assert [row[0] for row in _rows(reader)] == ["a", "b"]
    assert len(commits) == 1
