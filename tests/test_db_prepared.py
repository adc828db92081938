"""`Prepared`: rows sent straight to SQLite's driver are stored exactly as SQLAlchemy's own
execution of the statement stores them (typed values, JSON null, upserts), and a row without
every column still gets its defaults."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    insert,
    text,
)
from sqlalchemy.exc import IntegrityError

from interlink.core.db import Prepared, UTCDateTime

_METADATA = MetaData()
_THINGS = Table(
    "things",
    _METADATA,
    Column("id", String, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("document", JSON, nullable=True),
    Column("count", Integer, nullable=False, default=7),
)
_UPSERT = text(
    "INSERT INTO things (id, at, document, count) VALUES (:id, :at, :document, :count) "
    "ON CONFLICT (id) DO UPDATE SET count = things.count + excluded.count"
).bindparams(
    bindparam("id", type_=String()),
    bindparam("at", type_=UTCDateTime()),
    bindparam("document", type_=JSON()),
    bindparam("count", type_=Integer()),
)
_AT = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=timezone(timedelta(hours=2)))


@pytest.fixture
def connection(tmp_path: Path) -> Iterator[Connection]:
    engine = create_engine(f"sqlite:///{tmp_path / 'prepared.db'}")
    _METADATA.create_all(engine)
    with engine.begin() as opened:
        yield opened
    engine.dispose()


def _stored(connection: Connection) -> list[tuple[Any, ...]]:
    query = "SELECT id, at, typeof(document), document, count FROM things ORDER BY id"
    return [tuple(row) for row in connection.exec_driver_sql(query)]


def _rows(prefix: str) -> list[dict[str, Any]]:
    return [
        {"id": f"{prefix}1", "at": _AT, "document": {"a": [1, "é"]}, "count": 1},
        {"id": f"{prefix}2", "at": _AT.astimezone(UTC), "document": None, "count": 2},
    ]


def test_rows_are_stored_as_sqlalchemy_stores_them(connection: Connection) -> None:
    connection.execute(insert(_THINGS), _rows("a"))
    Prepared(insert(_THINGS)).run(connection, _rows("b"))

    expected, got = _stored(connection)[:2], _stored(connection)[2:]
    assert [row[1:] for row in got] == [row[1:] for row in expected]
    assert got[1][2:4] == ("text", "null")  # JSON null, as SQLAlchemy writes a None document


def test_a_text_statement_converts_its_typed_parameters(connection: Connection) -> None:
    upsert = Prepared(_UPSERT)
    upsert.run(connection, _rows("a"))
    upsert.run(connection, _rows("a"))

    assert [(row[1], row[4]) for row in _stored(connection)] == [
        ("2026-03-04 03:06:07.890123", 2),
        ("2026-03-04 03:06:07.890123", 4),
    ]


def test_a_row_without_every_column_gets_the_column_defaults(connection: Connection) -> None:
    Prepared(insert(_THINGS)).run(connection, [{"id": "a", "at": _AT, "document": None}])

    assert _stored(connection)[0][4] == 7


def test_no_rows_is_no_statement(connection: Connection) -> None:
    Prepared(insert(_THINGS)).run(connection, [])

    assert _stored(connection) == []


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(connection: Connection) -> None:
    Prepared(insert(_THINGS)).run(connection, _rows("a")[:1])

    with pytest.raises(IntegrityError):
        Prepared(insert(_THINGS)).run(connection, _rows("a")[:1])
