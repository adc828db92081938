"""Prefixed identifiers that sort by creation time: a ULID body after the type prefix.

Within one process ids are monotonic (the ULID spec's rule): two ids made in the same millisecond
sort in the order they were made, since the second one's random part is the first one's plus one.
"""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_RANDOM_BITS = 80

PREFIXES = frozenset(
    {"int", "cred", "wf", "exec", "op", "whk", "dlv", "evt", "key", "ws", "hook", "bud"}
)

_lock = threading.Lock()
_last: tuple[int, int] = (0, 0)


_PAIRS = tuple(a + b for a in _ALPHABET for b in _ALPHABET)  # ten bits, two characters at once


def _base32(value: int, length: int) -> str:
    """`value` in `length` (even) characters, most significant first."""
    pairs = []
    for _ in range(length // 2):
        value, rem = divmod(value, 1024)
        pairs.append(_PAIRS[rem])
    return "".join(reversed(pairs))


def _next(millis: int) -> tuple[int, int]:
    global _last
    with _lock:
        last_millis, last_random = _last
        if millis <= last_millis and last_random + 1 < 2**_RANDOM_BITS:
            millis, randomness = last_millis, last_random + 1
        else:
            randomness = int.from_bytes(os.urandom(_RANDOM_BITS // 8), "big") >> 1
        _last = (millis, randomness)
    return millis, randomness


def new_id(prefix: str, *, now_ms: int | None = None) -> str:
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    millis, randomness = _next(int(time.time() * 1000) if now_ms is None else now_ms)
    return f"{prefix}_{_base32(millis, 10)}{_base32(randomness, 16)}"


def made_at_ms(value: str) -> int:
    """The millisecond an id was made (its ULID time part)."""
    body = value.partition("_")[2]
    millis = 0
    for char in body[:10]:
        millis = millis * 32 + _ALPHABET.index(char)
    return millis


def lowest_id(prefix: str, millis: int) -> str:
    """The smallest id of `prefix` made at or after `millis`, as a bound for range queries."""
    return f"{prefix}_{_base32(max(0, millis), 10)}{'0' * 16}"
