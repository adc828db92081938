"""A record of every request a mock upstream received, and how it answered, for asserting what
reached it (and for recording fixtures)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy, MultiMapping


@dataclass(frozen=True)
class Answer:
    """How the mock answered a request: its status, headers and body (None when streamed)."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes | None

    def json(self) -> Any:
        """The body parsed as JSON (raises `ValueError` when it is not JSON)."""
        return json.loads(self.body or b"")


@dataclass(frozen=True)
class Call:
    """One request as the mock saw it, and the answer it got.

    `fault` names the fault injected into this request (`"drop"`, `"latency"`...), if any;
    `answer` is None while the request is in flight, and for a dropped connection.
    """

    method: str
    path: str
    query: MultiDictProxy[str]
    headers: CIMultiDictProxy[str]
    body: bytes
    fault: str | None = None
    answer: Answer | None = None

    def json(self) -> Any:
        """The body parsed as JSON (raises `ValueError` when it is not JSON)."""
        return json.loads(self.body)

    def form(self) -> MultiDictProxy[str]:
        """The body parsed as `application/x-www-form-urlencoded`."""
        pairs = parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return MultiDictProxy(MultiDict(pairs))


def make_call(
    method: str, path: str, query: MultiMapping[str], headers: MultiMapping[str], body: bytes
) -> Call:
    """Copy a request's parts so the record does not change when the request object goes away."""
    return Call(
        method=method,
        path=path,
        query=MultiDictProxy(MultiDict(query)),
        headers=CIMultiDictProxy(CIMultiDict(headers)),
        body=body,
    )


class CallLog:
    """Every request a mock received, in order, with per-path counters.

    Safe to read from the test's thread while a threaded mock appends from its own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []

    def append(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def answered(self, call: Call, answer: Answer) -> None:
        """Records the answer `call` (appended before) got."""
        with self._lock:
            for index in range(len(self._calls) - 1, -1, -1):
                if self._calls[index] is call:
                    self._calls[index] = replace(call, answer=answer)
                    return

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def all(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def __len__(self) -> int:
        with self._lock:
            return len(self._calls)

    def __iter__(self) -> Iterator[Call]:
        return iter(self.all())

    def __getitem__(self, index: int) -> Call:
        with self._lock:
            return self._calls[index]

    @property
    def last(self) -> Call:
        """The most recent call (raises `IndexError` when there was none)."""
        return self[-1]

    def filter(
        self, method: str | None = None, path: str | None = None, *, path_prefix: str | None = None
    ) -> list[Call]:
        """The calls matching every criterion given (method is case-insensitive)."""
        return [
            call
            for call in self.all()
            if (method is None or call.method == method.upper())
            and (path is None or call.path == path)
            and (path_prefix is None or call.path.startswith(path_prefix))
        ]

    def count(self, path: str | None = None, method: str | None = None) -> int:
        """How many calls reached `path` (any path when None) with `method` (any when None)."""
        return len(self.filter(method, path))

    @property
    def counts(self) -> dict[str, int]:
        """Calls per path, e.g. `{"/user": 2, "/repos/o/r/issues": 5}`."""
        return dict(Counter(call.path for call in self.all()))
