"""Stripe's form encoding: `metadata[key]=v`, `items[0][price]=p`, `expand[]=x` to nested data."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import Any

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


def key_path(key: str) -> list[str]:
    """`a[b][0]` -> `["a", "b", "0"]`; `a[]` -> `["a", ""]`; a malformed key stays whole."""
    match = _KEY.match(key)
    if match is None:
        return [key]
    return [match.group(1), *_PART.findall(match.group(2))]


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nested dicts and lists from bracketed keys; numbered keys become lists in order."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key_path(key)
        node: Any = root
        for part, following in itertools.pairwise(parts):
            node = _child(node, part, [] if following == "" else {})
        last = parts[-1]
        if isinstance(node, list):
            node.append(value)
        else:
            node[last] = value
    decoded: dict[str, Any] = _listify(root)
    return decoded


def _child(node: Any, part: str, empty: Any) -> Any:
    if isinstance(node, list):
        node.append(empty)
        return empty
    existing = node.get(part)
    if isinstance(existing, dict | list):
        return existing
    node[part] = empty
    return empty


def _listify(value: Any) -> Any:
    if isinstance(value, list):
        return [_listify(item) for item in value]
    if not isinstance(value, dict):
        return value
    if value and all(key.isdigit() for key in value):
        return [_listify(value[key]) for key in sorted(value, key=int)]
    return {key: _listify(item) for key, item in value.items()}
