"""Which headers may be sent: the one check for every header a user gives (an integration's
`user_agent` and `default_headers`, an action's headers, a credential's auth headers).

aiohttp raises on a CR or LF in a value (and sends other control characters, or a name that is
not a token, which the provider answers 400), and a configured `Content-Length` or
`Transfer-Encoding` breaks the framing of every request until the provider times out. So a name
must be an RFC 9110 token, a value must hold no control character but tab, and the headers that
frame the message are the transport's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
FRAMING = frozenset(
    {
        "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te",
        "trailer", "proxy-connection",
    }
)  # fmt: skip


def header_problem(name: str, value: str) -> str | None:
    """Why `name: value` may not be sent, or None when it may."""
    if not _TOKEN.fullmatch(name):
        return f"{name[:100]!r} is not a valid header name"
    if name.lower() in FRAMING:
        return f"{name!r} frames the request and is set by the transport itself"
    if _CONTROL.search(value):
        return f"the value of {name!r} holds a control character (CR, LF, NUL...)"
    return None


def header_problems(headers: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    """(name, problem) for each header of `headers` that may not be sent."""
    for name, value in headers.items():
        problem = header_problem(name, value)
        if problem is not None:
            yield name, problem
