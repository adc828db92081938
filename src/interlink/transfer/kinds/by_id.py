"""What most kinds share: an item is found here by its id, else by its name, and a renamed copy
is called "<name> (imported)"."""

from __future__ import annotations

from typing import Any


class ById:
    def name(self, item: Any) -> str:
        return str(item.name)

    def source_id(self, item: Any) -> str | None:
        return str(item.id) if item.id is not None else None

    def row_id(self, row: Any) -> str:
        return str(row.id)

    def row_name(self, row: Any) -> str | None:
        return str(row.name)

    def renamed(self, name: str, n: int) -> str:
        return f"{name} (imported)" if n == 1 else f"{name} (imported {n})"
