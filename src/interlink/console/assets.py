"""The console's static files, served at URLs that carry their content's hash: a browser keeps
each one for a year, and a new release's file has a new URL."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Asset:
    name: str  # its path under static/, such as vendor/htmx.min.js
    digest: str
    body: bytes
    media_type: str
    gzipped: bytes  # what a browser that accepts gzip is sent (about a third of the body)


@cache
def assets() -> dict[str, Asset]:
    found: dict[str, Asset] = {}
    for path in sorted(STATIC.rglob("*")):
        if not path.is_file() or path.suffix not in _TYPES:
            continue
        body = path.read_bytes()
        name = path.relative_to(STATIC).as_posix()
        media = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "text/plain"
        digest = hashlib.sha256(body).hexdigest()[:16]
        found[name] = Asset(name, digest, body, media, gzip.compress(body, mtime=0))
    return found


def find(digest: str, name: str) -> Asset | None:
    asset = assets().get(name)
    return asset if asset is not None and asset.digest == digest else None
