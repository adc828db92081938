"""The part of JQL the Jira mock understands: AND-ed `field = | != | in | not in | ~ value`
clauses and `ORDER BY field [ASC|DESC], ...`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
    r"""|(?P<op>!=|=|~|\(|\)|,)|(?P<word>[^\s=!~(),"']+))"""
)
FIELDS = frozenset(
    {"project", "status", "key", "issuekey", "issuetype", "type", "labels", "summary", "text"}
)


class JqlError(ValueError):
    """The JQL is malformed or uses what the mock does not understand; str() is Jira's message."""


@dataclass(frozen=True)
class Clause:
    field: str
    op: str
    values: tuple[str, ...]

    def matches(self, actual: list[str]) -> bool:
        wanted = {value.lower() for value in self.values}
        have = {value.lower() for value in actual}
        if self.op == "~":
            return any(word in value for value in have for word in wanted)
        hit = bool(wanted & have)
        return hit if self.op in ("=", "in") else not hit


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...] = ()
    order: tuple[tuple[str, bool], ...] = field(default=())  # (field, descending)

    def matches(self, value_of: Callable[[str], list[str]]) -> bool:
        return all(clause.matches(value_of(clause.field)) for clause in self.clauses)


def parse(jql: str) -> Query:
    tokens = _tokenize(jql)
    clauses: list[Clause] = []
    order: list[tuple[str, bool]] = []
    position = 0
    while position < len(tokens):
        word = tokens[position].lower()
        if word == "order" and position + 1 < len(tokens) and tokens[position + 1].lower() == "by":
            order = _order(tokens[position + 2 :])
            break
        if clauses:
            if word != "and":
                raise JqlError(
                    "Error in the JQL Query: the mock understands only AND, "
                    f"not '{tokens[position]}'."
                )
            position += 1
        clause, position = _clause(tokens, position)
        clauses.append(clause)
    return Query(tuple(clauses), tuple(order))


def _tokenize(jql: str) -> list[str]:
    tokens, position = [], 0
    text = jql.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise JqlError(f"Error in the JQL Query: unexpected character at position {position}.")
        position = match.end()
        tokens.append(match.group(0).strip())
    return tokens


def _clause(tokens: list[str], position: int) -> tuple[Clause, int]:
    name = _at(tokens, position).lower()
    if name not in FIELDS:
        raise JqlError(
            f"Field '{tokens[position]}' does not exist or you do not have permission to view it."
        )
    op, position = _operator(tokens, position + 1)
    if op in ("in", "not in"):
        values, position = _list(tokens, position)
    else:
        values, position = (_unquote(_at(tokens, position)),), position + 1
    canonical = {"issuekey": "key", "type": "issuetype", "text": "summary"}.get(name, name)
    return Clause(canonical, op, values), position


def _operator(tokens: list[str], position: int) -> tuple[str, int]:
    word = _at(tokens, position).lower()
    if word in ("=", "!=", "~", "in"):
        return word, position + 1
    if word == "not" and _at(tokens, position + 1).lower() == "in":
        return "not in", position + 2
    raise JqlError(f"Error in the JQL Query: the operator '{word}' is not supported by the mock.")


def _list(tokens: list[str], position: int) -> tuple[tuple[str, ...], int]:
    if _at(tokens, position) != "(":
        raise JqlError("Error in the JQL Query: Expecting '(' after IN.")
    values: list[str] = []
    position += 1
    while _at(tokens, position) != ")":
        if values:
            if _at(tokens, position) != ",":
                raise JqlError("Error in the JQL Query: Expecting ',' or ')'.")
            position += 1
        values.append(_unquote(_at(tokens, position)))
        position += 1
    return tuple(values), position + 1


def _order(tokens: list[str]) -> list[tuple[str, bool]]:
    order: list[tuple[str, bool]] = []
    for part in " ".join(tokens).split(","):
        words = part.split()
        if (
            not words
            or len(words) > 2
            or (len(words) == 2 and words[1].lower() not in ("asc", "desc"))
        ):
            raise JqlError("Error in the JQL Query: malformed ORDER BY.")
        order.append((words[0].lower(), len(words) == 2 and words[1].lower() == "desc"))
    return order


def _at(tokens: list[str], position: int) -> str:
    if position >= len(tokens):
        raise JqlError("Error in the JQL Query: the query ended early.")
    return tokens[position]


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token
