"""The SOQL the Salesforce mock understands: `SELECT fields FROM type`, a `WHERE` of AND-ed
`field = | != | LIKE value` clauses, `ORDER BY field [ASC|DESC]`, `LIMIT` and `OFFSET`; with
Salesforce's errors for a malformed query, an unknown type and an unknown field."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from interlink.providers.salesforce.mock_shapes import SOBJECTS, SalesforceError, SObjectDef

_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<type>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order>\w+)(?:\s+(?P<direction>ASC|DESC))?)?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?(?:\s+OFFSET\s+(?P<offset>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_VALUE = r"'(?:[^'\\]|\\.)*'|null|true|false|-?\d+(?:\.\d+)?"
_CLAUSE = re.compile(rf"\s*(\w+)\s*(=|!=|LIKE)\s*({_VALUE})\s*", re.IGNORECASE)
_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Clause:
    field: str
    operator: str
    value: Any

    def matches(self, actual: Any) -> bool:
        if self.operator == "=":
            return bool(actual == self.value)
        if self.operator == "!=":
            return bool(actual != self.value)
        pattern = re.escape(str(self.value)).replace("%", ".*").replace("_", ".")
        return actual is not None and re.fullmatch(pattern, str(actual), re.IGNORECASE) is not None


@dataclass(frozen=True)
class Query:
    sobject: SObjectDef
    fields: list[str]
    clauses: list[Clause]
    order: str | None = None
    descending: bool = False
    limit: int | None = None
    offset: int = 0

    def run(self, rows: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        found = [r for r in rows if all(c.matches(r.get(c.field)) for c in self.clauses)]
        if self.order is not None:
            found.sort(key=_sort_key(self.order), reverse=self.descending)
        end = None if self.limit is None else self.offset + self.limit
        return found[self.offset : end]


def parse(soql: str) -> Query:
    found = _QUERY.match(soql)
    if found is None:
        raise SalesforceError(400, "MALFORMED_QUERY", f"unexpected token: {soql.split()[-1]!r}")
    sobject = SOBJECTS.get(found["type"].lower())
    if sobject is None:
        raise SalesforceError(400, "INVALID_TYPE", _no_type(found["type"]))
    fields = [_field(sobject, name.strip()) for name in found["fields"].split(",")]
    clauses = [_clause(sobject, text) for text in _AND.split(found["where"] or "") if text]
    return Query(
        sobject, fields, clauses,
        order=_field(sobject, found["order"]) if found["order"] else None,
        descending=(found["direction"] or "").upper() == "DESC",
        limit=int(found["limit"]) if found["limit"] else None,
        offset=int(found["offset"] or 0),
    )  # fmt: skip


def _clause(sobject: SObjectDef, text: str) -> Clause:
    found = _CLAUSE.fullmatch(text)
    if found is None:
        raise SalesforceError(400, "MALFORMED_QUERY", f"unexpected token: {text.strip()!r}")
    return Clause(_field(sobject, found[1]), found[2].upper(), _literal(found[3]))


def _field(sobject: SObjectDef, name: str) -> str:
    definition = sobject.field(name)
    if definition is None:
        raise SalesforceError(400, "INVALID_FIELD", no_column(name, sobject.name))
    return definition.name


def _literal(text: str) -> Any:
    if text.startswith("'"):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    lowered = text.lower()
    if lowered in ("null", "true", "false"):
        return {"null": None, "true": True, "false": False}[lowered]
    return float(text) if "." in text else int(text)


def _sort_key(name: str) -> Callable[[Mapping[str, Any]], tuple[bool, Any]]:
    def key(row: Mapping[str, Any]) -> tuple[bool, Any]:
        value = row.get(name)
        return (value is not None, value if value is not None else "")  # nulls first

    return key


def _no_type(name: str) -> str:
    return (
        f"sObject type '{name}' is not supported. If you are attempting to use a custom object, "
        "be sure to append the '__c' after the entity name. Please reference your WSDL or the "
        "describe call for the appropriate names."
    )


def no_column(name: str, sobject: str) -> str:
    return (
        f"No such column '{name}' on entity '{sobject}'. If you are attempting to use a custom "
        "field, be sure to append the '__c' after the custom field name. Please reference your "
        "WSDL or the describe call for the appropriate names."
    )
