"""Where each Google API lives, and its OAuth scopes.

Google serves its APIs on several hosts: each discovery document's `rootUrl` + `servicePath`
(Gmail `https://gmail.googleapis.com/` + `gmail/v1/...` in its paths, Calendar and Drive
`https://www.googleapis.com/` + `calendar/v3/`, `drive/v3/`, `oauth2/v2/` (tokeninfo), Sheets
`https://sheets.googleapis.com/` + `v4/...` in its paths). An integration has
one `api_url`: Google's own (`https://www.googleapis.com`, the type's default) sends each call
to its API's host, as google-api-python-client does; any other (a mock, a proxy) serves every
API's paths itself, as the client's `api_endpoint` option does.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from interlink.providers.kit.context import ActionContext

GOOGLE_API_URL = "https://www.googleapis.com"
TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 - an address
SCOPE_ROOT = "https://www.googleapis.com/auth/"


@dataclass(frozen=True)
class Api:
    """One Google API: its host under Google and the path its calls start with."""

    host: str
    root: str

    def url(self, ctx: ActionContext, path: str) -> str:
        return f"{self.root_at(ctx.http.settings.base_url)}/{path.lstrip('/')}"

    def root_at(self, api_url: str | None) -> str:
        """Where this API's paths start for an integration calling `api_url`: its own host
        under Google's default, else under `api_url`."""
        base = (api_url or GOOGLE_API_URL).rstrip("/")
        if urlsplit(base).hostname == urlsplit(GOOGLE_API_URL).hostname:
            base = f"https://{self.host}"
        return f"{base}/{self.root}"


GMAIL = Api("gmail.googleapis.com", "gmail/v1")
CALENDAR = Api("www.googleapis.com", "calendar/v3")
DRIVE = Api("www.googleapis.com", "drive/v3")
SHEETS = Api("sheets.googleapis.com", "v4")
OAUTH = Api("www.googleapis.com", "oauth2/v2")
API_HOSTS = tuple(sorted({api.host for api in (GMAIL, CALENDAR, DRIVE, SHEETS, OAUTH)}))


def scopes(*names: str) -> frozenset[str]:
    """Google's OAuth scopes, from their short names (`gmail.send`) or in full."""
    return frozenset(n if n.startswith("https://") else SCOPE_ROOT + n for n in names)


def segment(value: str) -> str:
    """One path segment, every reserved character escaped (a Sheets range's `!` and `:`)."""
    return quote(value, safe="")
