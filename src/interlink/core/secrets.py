"""What counts as a secret by its name, and masking by name through nested data; and the scrubber
of the secret values a call carries.

Logs, stored operation parameters and anything else that keeps data it did not choose use this
one rule, so a name missed here is missed nowhere else by accident.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from interlink.core.errors import InterlinkError

TEXT_MASK = "••••"
# Shorter values are not looked for: they would mask ordinary words of an answer.
MIN_SECRET_LENGTH = 6

SECRET_NAME = re.compile(
    r"(pass(word)?|secret|token|api[-_]?key|authorization|credential|private|bearer|cookie)", re.I
)


def is_secret_name(name: object) -> bool:
    return isinstance(name, str) and SECRET_NAME.search(name) is not None


def mask_by_name(value: Any, mask: str, *, text: Callable[[str], str] = lambda s: s) -> Any:
    """Dicts and lists walked: values under secret-shaped names become `mask`; other strings
    go through `text` (e.g. a scrubber of secret-shaped text)."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {
            key: mask if is_secret_name(key) else mask_by_name(item, mask, text=text)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_by_name(item, mask, text=text) for item in value]
    return value


class Scrubber:
    """Replaces exact occurrences of known secret values (those of the credential a call carries,
    and the forms its headers sent them in) by a mask, in text and through nested data.

    Built by the transport's client with its auth headers and given the credential's stored
    secrets; what a call brings back (a result, a step output, an error) passes through it before
    it is stored, published or returned, and log lines written while it is `active()` too.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: tuple[str, ...] = ()
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        found = {v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH}
        # Longest first: a secret that holds another (a header value and its token) goes whole.
        self._values = tuple(sorted(found.union(self._values), key=len, reverse=True))

    def __bool__(self) -> bool:
        return bool(self._values)

    def __repr__(self) -> str:
        return f"Scrubber({len(self._values)} values)"

    def text(self, value: str) -> str:
        for secret in self._values:
            if secret in value:
                value = value.replace(secret, TEXT_MASK)
        return value

    def data(self, value: Any) -> Any:
        if not self._values:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.data(k): self.data(item) for k, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        return value

    def error(self, error: InterlinkError) -> InterlinkError:
        """`error` itself, its message and details scrubbed (it may be raised on to a caller)."""
        if self._values:
            error.message = self.text(error.message)
            error.details = self.data(error.details)
            error.args = (error.message,)
        return error

    @contextmanager
    def active(self) -> Iterator[None]:
        """Log lines written inside are scrubbed too (see `scrub_active`)."""
        token = _ACTIVE.set(self)
        try:
            yield
        finally:
            _ACTIVE.reset(token)


_ACTIVE: ContextVar[Scrubber | None] = ContextVar("interlink_active_scrubber", default=None)


def scrub_active(value: Any) -> Any:
    """`value` through the scrubber of the call under way in this context, if any."""
    scrubber = _ACTIVE.get()
    return scrubber.data(value) if scrubber else value
