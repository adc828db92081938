"""Fetch the console's front-end libraries from the npm registry at their pinned versions.

Each file is taken from its package's tarball (checked against the registry's sha512 integrity)
and must match the sha256 pinned here. `--check` (the default) compares the files in the tree with
the registry's; `--write` writes them into src/interlink/console/static/vendor/.

    .venv/bin/python scripts/vendor_console_assets.py [--write]
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
VENDOR = Path(__file__).resolve().parent.parent / "src/interlink/console/static/vendor"

# package, version, {file in the package: (name in vendor/, sha256)}
PINNED: list[tuple[str, str, dict[str, tuple[str, str]]]] = [
    (
        "htmx.org",
        "2.0.11",
        {
            "dist/htmx.min.js": (
                "htmx.min.js",
                "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717",
            ),
            "LICENSE": (
                "htmx.LICENSE",
                "d3d2456f76414f2456104660ebd65aff1c04cd7966b942bdabd63f3cdb316a38",
            ),
        },
    ),
    (
        "uplot",
        "1.6.32",
        {
            "dist/uPlot.iife.min.js": (
                "uPlot.iife.min.js",
                "19c8d4c6ad88929a79f4ae49d6f7161566dfd0ba3d15cc495e974f787eb78f1f",
            ),
            "dist/uPlot.min.css": (
                "uPlot.min.css",
                "df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04",
            ),
            "LICENSE": (
                "uPlot.LICENSE",
                "8f989229699b4fe2f1a0432d0e9edc338a8a911e250e2d1b01ecd770a5f5b1bd",
            ),
        },
    ),
]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (a fixed https URL)
        body: bytes = response.read()
        return body


def _tarball(package: str, version: str) -> bytes:
    meta = json.loads(_get(f"{REGISTRY}/{package}/{version}"))
    algorithm, _, expected = meta["dist"]["integrity"].partition("-")
    body = _get(meta["dist"]["tarball"])
    actual = base64.b64encode(hashlib.new(algorithm, body).digest()).decode()
    if actual != expected:
        raise SystemExit(
            f"{package}@{version}: the tarball does not match the registry's integrity"
        )
    return body


def _files(package: str, version: str, wanted: dict[str, tuple[str, str]]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(_tarball(package, version)), mode="r:gz") as archive:
        for member in archive.getmembers():
            inner = member.name.partition("/")[2]  # npm tarballs put everything under package/
            if inner in wanted and member.isfile():
                extracted = archive.extractfile(member)
                assert extracted is not None
                found[wanted[inner][0]] = extracted.read()
    missing = {name for name, _ in wanted.values()} - set(found)
    if missing:
        raise SystemExit(f"{package}@{version}: not in the package: {sorted(missing)}")
    return found


def main(write: bool) -> int:
    problems = 0
    for package, version, wanted in PINNED:
        pins = dict(wanted.values())
        for name, body in _files(package, version, wanted).items():
            digest = hashlib.sha256(body).hexdigest()
            if pins[name] and digest != pins[name]:
                print(f"{name}: registry's sha256 {digest} is not the pinned {pins[name]}")
                problems += 1
                continue
            target = VENDOR / name
            if write:
                target.write_bytes(body)
                print(f"wrote {name} ({package}@{version}) sha256 {digest}")
            elif not target.exists() or target.read_bytes() != body:
                print(f"{name}: differs from {package}@{version}")
                problems += 1
            else:
                print(f"{name}: ok ({package}@{version})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(write="--write" in sys.argv[1:]))
