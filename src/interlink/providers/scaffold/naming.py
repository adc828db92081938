"""What a new provider is called, checked before anything is written: its type (KEY), its display
name and the class names derived from it, its base URL and the auth method it starts with."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from interlink.providers.registry import Registry

ScaffoldAuth = Literal["api_key", "oauth", "basic"]
SCAFFOLD_AUTHS: tuple[ScaffoldAuth, ...] = ("api_key", "oauth", "basic")

_KEY = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
_KEY_LENGTH = 40  # as long as a type may be (`TypeName`)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9 .&+'()-]{0,39}")  # it names the classes too
# Module names in providers/ that a folder of the same name would shadow.
_RESERVED = frozenset({"builtin", "catalog", "catalog_service", "custom", "declared", "kit",
                       "registry", "router", "scaffold", "schemas"})  # fmt: skip


class ScaffoldError(Exception):
    """The provider cannot be written as asked (the message says why, and what to do)."""


@dataclass(frozen=True)
class NewProvider:
    """A provider to write: `package` is where it is imported from (`interlink.providers.<key>`
    for a built-in, `interlink_<key>` for a third-party package)."""

    key: str
    name: str
    base_url: str | None
    auth: ScaffoldAuth
    package: str

    @property
    def prefix(self) -> str:
        """The start of its class names: `GoogleChat` for "Google Chat"."""
        words = re.findall(r"[A-Za-z0-9]+", self.name)
        return "".join(word[0].upper() + word[1:] for word in words)

    @property
    def api_root(self) -> str:
        """The path of its base URL (`/v1`), under which its mock serves the provider's paths."""
        return urlsplit(self.base_url).path.rstrip("/") if self.base_url else ""


def check_key(key: str, registry: Registry) -> None:
    """Raises ScaffoldError for a KEY that cannot be a new type."""
    if len(key) > _KEY_LENGTH or not _KEY.fullmatch(key) or keyword.iskeyword(key):
        raise ScaffoldError(
            f"{key!r} is not a valid provider type: use a lowercase identifier of at most "
            f"{_KEY_LENGTH} characters (a letter, then letters, digits and single underscores), "
            "e.g. telegram or google_chat"
        )
    if key in _RESERVED:
        raise ScaffoldError(f"{key!r} is a module of interlink.providers: choose another type")
    existing = registry.connector(key)
    if existing is not None:
        raise ScaffoldError(
            f"type {key!r} already has a provider ({existing.__module__}.{existing.__qualname__})"
        )


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ScaffoldError(
            f"{name!r} is not a usable display name: up to 40 letters, digits, spaces and "
            ". & + ' ( ) -, starting with a letter (it names the provider's classes too)"
        )
    return name


def default_name(key: str) -> str:
    """`google_chat` -> "Google Chat"."""
    return " ".join(part.capitalize() for part in key.split("_"))


def check_base_url(url: str | None) -> str | None:
    """The base URL without a trailing slash; ScaffoldError unless it is an absolute http(s) URL
    with a host and no query, fragment or user info."""
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        raise ScaffoldError(f"the base URL {url!r} does not parse ({exc})") from None
    if parts.scheme not in {"http", "https"} or not host:
        raise ScaffoldError(f"the base URL {url!r} must be an absolute http(s) URL")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ScaffoldError(f"the base URL {url!r} must have no query, fragment or user info")
    if not re.fullmatch(r"[A-Za-z0-9._~/-]{0,60}", parts.path):
        raise ScaffoldError(
            f"the base URL's path {parts.path!r} may hold only up to 60 letters, digits and "
            "- . _ ~ /"
        )
    return url.rstrip("/")
