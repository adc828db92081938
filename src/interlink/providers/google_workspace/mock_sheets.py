"""The mock's Sheets (`/v4/spreadsheets/{id}/values/{range}` and `...:append`): one seeded
spreadsheet whose ranges in A1 notation are read (rows or columns, formatted or not, trailing
empty cells left out) and appended to after the table they hold, as Sheets API v4 answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from interlink.providers.google_workspace.apis import scopes
from interlink.providers.google_workspace.mock_errors import (
    Route,
    invalid,
    json_body,
    not_found,
)
from interlink.testing.base import json_response

SPREADSHEET = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"  # the id in Google's own samples
READ = scopes("spreadsheets", "spreadsheets.readonly", "drive", "drive.readonly", "drive.file")
WRITE = scopes("spreadsheets", "drive", "drive.file")
ROWS, COLUMNS = 1000, 26  # a new sheet's grid
_CELLS = re.compile(r"^(?P<c1>[A-Z]*)(?P<r1>\d*)(?::(?P<c2>[A-Z]*)(?P<r2>\d*))?$")
Cell = Any
Grid = list[list[Cell]]


@dataclass(frozen=True)
class Area:
    sheet: str
    top: int  # rows and columns from 0, both ends included
    left: int
    bottom: int
    right: int

    def a1(self) -> str:
        name = self.sheet if re.fullmatch(r"\w+", self.sheet) else f"'{self.sheet}'"
        start, end = (
            f"{letters(self.left)}{self.top + 1}",
            f"{letters(self.right)}{self.bottom + 1}",
        )
        return f"{name}!{start}" if start == end else f"{name}!{start}:{end}"


def letters(column: int) -> str:
    name = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        name = chr(65 + rest) + name
    return name


def _column(name: str) -> int:
    number = 0
    for char in name:
        number = number * 26 + ord(char) - 64
    return number - 1


class Sheets:
    """One spreadsheet, `SPREADSHEET`, with `Sheet1` (a header and `rows` rows) and `Empty`."""

    def __init__(self, rows: int) -> None:
        header: list[Cell] = ["Name", "Email", "Score"]
        data = [[f"Person {n}", f"person{n}@example.com", 10 * n] for n in range(1, rows + 1)]
        self.books: dict[str, dict[str, Grid]] = {
            SPREADSHEET: {"Sheet1": [header, *data], "Empty": []}
        }

    def add_routes(self, route: Route) -> None:
        path = "/v4/spreadsheets/{spreadsheetId}/values/{range}"
        route("GET", path, self.get_values, READ)
        route("POST", path, self.append_values, WRITE)

    async def get_values(self, request: web.Request) -> web.StreamResponse:
        book = self._book(request)
        area = _area(book, request.match_info["range"])
        dimension = request.query.get("majorDimension", "ROWS")
        render = request.query.get("valueRenderOption", "FORMATTED_VALUE")
        if dimension not in ("ROWS", "COLUMNS"):
            raise invalid(f"Invalid value at 'major_dimension' ({dimension})")
        grid = book[area.sheet]
        values = [
            [_shown(_at(grid, r, c), render) for c in range(area.left, area.right + 1)]
            for r in range(area.top, area.bottom + 1)
        ]
        if dimension == "COLUMNS":
            values = [list(column) for column in zip(*values, strict=True)] if values else []
        body: dict[str, Any] = {"range": area.a1(), "majorDimension": dimension}
        trimmed = _trimmed(values)
        if trimmed:  # Sheets leaves out an empty list
            body["values"] = trimmed
        return json_response(body)

    async def append_values(self, request: web.Request) -> web.StreamResponse:
        target, _, verb = request.match_info["range"].rpartition(":")
        if verb != "append" or not target:
            raise not_found()
        book = self._book(request)
        area = _area(book, target)
        option = request.query.get("valueInputOption")
        if option is None:
            raise invalid("'valueInputOption' is required but not specified")
        if option not in ("RAW", "USER_ENTERED"):
            raise invalid(f"Invalid value at 'value_input_option' ({option})")
        if request.query.get("insertDataOption", "OVERWRITE") not in ("OVERWRITE", "INSERT_ROWS"):
            raise invalid("Invalid value at 'insert_data_option'")
        rows = _rows(await json_body(request), option)
        return json_response(self._append(request.match_info["spreadsheetId"], book, area, rows))

    def _append(self, book_id: str, book: dict[str, Grid], area: Area, rows: Grid) -> Any:
        grid = book[area.sheet]
        used = [r for r in range(len(grid)) if any(_at(grid, r, c) not in (None, "")
                for c in range(area.left, area.right + 1))]  # fmt: skip
        first = used[-1] + 1 if used else area.top
        width = max(len(row) for row in rows)
        for offset, row in enumerate(rows):
            for column, value in enumerate(row):
                _put(grid, first + offset, area.left + column, value)
        written = Area(area.sheet, first, area.left, first + len(rows) - 1, area.left + width - 1)
        updates = {
            "spreadsheetId": book_id,
            "updatedRange": written.a1(),
            "updatedRows": len(rows),
            "updatedColumns": width,
            "updatedCells": sum(len(row) for row in rows),
        }
        answer: dict[str, Any] = {"spreadsheetId": book_id}
        if used:
            table = Area(area.sheet, used[0], area.left, used[-1], area.right)
            answer["tableRange"] = table.a1()
        return answer | {"updates": updates}

    def _book(self, request: web.Request) -> dict[str, Grid]:
        found = self.books.get(request.match_info["spreadsheetId"])
        if found is None:
            raise not_found("Requested entity was not found.")
        return found


def _area(book: dict[str, Grid], text: str) -> Area:
    sheet, bang, cells = text.rpartition("!")
    if not bang:
        sheet, cells = (text, "") if text.strip("'") in book else (next(iter(book)), text)
    sheet = sheet.strip("'").replace("''", "'")
    match = _CELLS.match(cells.upper())
    if sheet not in book or match is None:
        raise invalid(f"Unable to parse range: {text}")
    c1, r1, c2, r2 = match["c1"], match["r1"], match["c2"], match["r2"]
    if match["c2"] is None and match["r2"] is None:  # one cell, or the whole sheet
        c2, r2 = (c1, r1) if cells else ("", "")
    left, right = (_column(c1) if c1 else 0), (_column(c2) if c2 else COLUMNS - 1)
    top, bottom = (int(r1) - 1 if r1 else 0), (int(r2) - 1 if r2 else ROWS - 1)
    if top < 0 or left > right or top > bottom:
        raise invalid(f"Unable to parse range: {text}")
    return Area(sheet, top, left, bottom, right)


def _rows(body: dict[str, Any], option: str) -> Grid:
    values = body.get("values")
    if not isinstance(values, list) or not values or not all(isinstance(r, list) for r in values):
        raise invalid("Invalid value at 'data.values'")
    if body.get("majorDimension") == "COLUMNS":
        values = [list(row) for row in zip(*values, strict=False)]
    return [[_entered(v) if option == "USER_ENTERED" else v for v in row] for row in values]


def _entered(value: Cell) -> Cell:
    """What typing `value` into a cell stores: numbers and TRUE/FALSE parsed."""
    if not isinstance(value, str):
        return value
    if value.upper() in ("TRUE", "FALSE"):
        return value.upper() == "TRUE"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value


def _shown(value: Cell, render: str) -> Cell:
    if render != "FORMATTED_VALUE" or value is None:
        return "" if value is None else value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _at(grid: Grid, row: int, column: int) -> Cell:
    return grid[row][column] if row < len(grid) and column < len(grid[row]) else None


def _put(grid: Grid, row: int, column: int, value: Cell) -> None:
    while len(grid) <= row:
        grid.append([])
    line = grid[row]
    line.extend([None] * (column + 1 - len(line)))
    line[column] = value


def _trimmed(values: Grid) -> Grid:
    rows = [_without_trailing(row) for row in values]
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _without_trailing(row: list[Cell]) -> list[Cell]:
    end = len(row)
    while end and row[end - 1] in (None, ""):
        end -= 1
    return row[:end]
