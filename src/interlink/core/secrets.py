"""What counts as a secret by its name, and masking by name through nested data.

Logs, stored operation parameters and anything else that keeps data it did not choose use this
one rule, so a name missed here is missed nowhere else by accident.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

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
