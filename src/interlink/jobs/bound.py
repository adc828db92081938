"""What a durable workflow or step reaches of its process: the one way to bind it.

DBOS calls workflows and steps by their registered names, as plain functions, in whichever
process recovers them; they cannot be handed the services of that process. Each module that
declares workflows declares a `Bound` slot for the object they call into; `background.start`
binds every slot of the process before DBOS launches, so a recovered workflow finds them.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Bound(Generic[T]):
    """A process-wide slot holding one object, bound once the process has built it."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._value: T | None = None

    def bind(self, value: T) -> None:
        self._value = value

    def __call__(self) -> T:
        if self._value is None:
            raise RuntimeError(f"{self.what} is not bound in this process")
        return self._value
