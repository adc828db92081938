"""The mock's Drive (`/drive/v3/files`): seeded files (folders, Google Docs, PDFs) listed with a
small Drive search (`name contains`, `mimeType =`, `trashed =`, `in parents`, joined by `and`),
`orderBy`, `fields` (a partial answer) and page tokens, as Drive API v3 answers."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from interlink.providers.google_workspace.apis import scopes
from interlink.providers.google_workspace.mock_calendar import stamp
from interlink.providers.google_workspace.mock_errors import Route, bounded, invalid
from interlink.testing.base import json_response
from interlink.testing.toolkit import Marker, PageError, token_page, token_start

PAGES = Marker("drive", urlsafe=True)
READ = scopes("drive", "drive.readonly", "drive.file", "drive.metadata", "drive.metadata.readonly")
ROOT = "0AMockRootFolderUk9PVA"
FOLDER = "application/vnd.google-apps.folder"
DOCUMENT = "application/vnd.google-apps.document"
DEFAULT_FIELDS = frozenset({"kind", "id", "name", "mimeType"})
FILE_FIELDS = frozenset(
    {"kind", "id", "name", "mimeType", "modifiedTime", "createdTime", "size", "parents",
     "webViewLink", "trashed"}
)  # fmt: skip
_CLAUSE = re.compile(
    r"^(?:(?P<field>name|fullText|mimeType|trashed)\s*(?P<op>contains|!=|=)\s*"
    r"(?:'(?P<text>(?:[^'\\]|\\.)*)'|(?P<flag>true|false))"
    r"|'(?P<parent>[^']+)'\s+in\s+parents)$"
)
_ORDER = {"name": "name", "modifiedTime": "modifiedTime", "createdTime": "createdTime"}
Obj = dict[str, Any]


class Drive:
    """`seeded` files in the user's My Drive, an hour apart."""

    def __init__(self, seeded: int, start: datetime) -> None:
        self.files = [_seed(n, start) for n in range(1, seeded + 1)]

    def add_routes(self, route: Route) -> None:
        route("GET", "/drive/v3/files", self.list_files, READ)

    async def list_files(self, request: web.Request) -> web.StreamResponse:
        size = bounded(request, "pageSize", 100, 1000)
        top, wanted = _fields(request.query.get("fields"))
        try:
            start = token_start(request.query.get("pageToken"), PAGES)
        except PageError:
            raise invalid("Invalid Value", location="pageToken", locationType="parameter") from None
        keep = _search(request.query.get("q", ""))
        found = sorted((f for f in self.files if keep(f)), key=_order(request.query.get("orderBy")))
        page = token_page(found, start=start, limit=size, marker=PAGES)
        body: Obj = {"kind": "drive#fileList", "incompleteSearch": False}
        if page.next is not None:
            body["nextPageToken"] = page.next
        body["files"] = [{k: v for k, v in f.items() if k in wanted} for f in page.items]
        return json_response({k: v for k, v in body.items() if top is None or k in top})


def _seed(n: int, start: datetime) -> Obj:
    kind = FOLDER if n % 10 == 0 else DOCUMENT if n % 3 == 0 else "application/pdf"
    name = {FOLDER: f"Folder {n}", DOCUMENT: f"Notes {n}"}.get(kind, f"Report {n}.pdf")
    file_id = f"1MockFile{n:024d}"
    moment = stamp(start + timedelta(hours=n))
    found: Obj = {
        "kind": "drive#file",
        "id": file_id,
        "name": name,
        "mimeType": kind,
        "parents": [ROOT],
        "createdTime": moment,
        "modifiedTime": moment,
        "trashed": n % 25 == 0,
        "webViewLink": f"https://drive.google.com/file/d/{file_id}/view?usp=drivesdk",
    }
    if not kind.startswith("application/vnd.google-apps."):
        found["size"] = str(1024 * n)  # int64: a string in Google's JSON
    return found


def _fields(given: str | None) -> tuple[set[str] | None, frozenset[str]]:
    """The top-level fields asked (None: Drive's defaults) and the file fields asked."""
    if given is None:
        return None, DEFAULT_FIELDS
    top: set[str] = set()
    wanted: frozenset[str] = FILE_FIELDS
    for part in re.findall(r"[^,(]+(?:\([^)]*\))?", given.replace(" ", "")):
        name, _, inner = part.partition("(")
        top.add(name)
        if name == "files" and inner:
            wanted = frozenset(inner.rstrip(")").split(","))
    unknown = (top - {"kind", "incompleteSearch", "nextPageToken", "files", "*"}) | (
        wanted - FILE_FIELDS
    )
    if unknown:
        raise invalid(f"Invalid field selection {sorted(unknown)[0]}", "invalidParameter",
                      location="fields", locationType="parameter")  # fmt: skip
    return (None if "*" in top else top), wanted


def _search(q: str) -> Any:
    clauses = [c.strip() for c in re.split(r"\s+and\s+", q, flags=re.IGNORECASE) if c.strip()]
    tests = []
    for clause in clauses:
        match = _CLAUSE.match(clause)
        if match is None:
            raise invalid("Invalid Value", location="q", locationType="parameter")
        tests.append(_test(match))
    return lambda found: all(test(found) for test in tests)


def _test(match: re.Match[str]) -> Any:
    if match["parent"]:
        return lambda f: match["parent"] in f["parents"]
    field, op = match["field"], match["op"]
    if field == "trashed":
        return lambda f: f["trashed"] is (match["flag"] == "true")
    text = (match["text"] or "").replace("\\'", "'")
    key = "mimeType" if field == "mimeType" else "name"
    if op == "contains":
        return lambda f: text.lower() in f[key].lower()
    return lambda f: (f[key] == text) is (op == "=")


def _order(given: str | None) -> Any:
    keys = []
    for part in (given or "").split(","):
        name, _, direction = part.strip().partition(" ")
        if not name:
            continue
        if name not in _ORDER and name != "folder":
            raise invalid("Invalid Value", location="orderBy", locationType="parameter")
        keys.append((name, direction.strip().lower() == "desc"))

    def key(found: Obj) -> tuple[Any, ...]:
        parts: list[Any] = []
        for name, descending in keys:
            value = found["mimeType"] != FOLDER if name == "folder" else found[_ORDER[name]]
            parts.append(_Reversed(value) if descending else value)
        return tuple(parts)

    return key


class _Reversed:
    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return bool(self.value > other.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and bool(self.value == other.value)

    __hash__ = None  # type: ignore[assignment]
