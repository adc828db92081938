"""What every console response carries, and the CSRF checks of unsafe requests."""

from __future__ import annotations

import hmac

from fastapi import Request, Response

from interlink.core.errors import Forbidden

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def secure(response: Response) -> None:
    """The security headers; a response that says nothing of caching is not cached (a page)."""
    response.headers.update(HEADERS)
    response.headers.setdefault("Cache-Control", "no-store")


async def check_csrf(request: Request, expected: str) -> None:
    """403 unless an unsafe request carries `expected`, in the X-CSRF-Token header (htmx) or the
    form's csrf_token field."""
    if request.method not in UNSAFE:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and _is_form(request):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden("the form is out of date or came from another site: reload and try again")


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in {"application/x-www-form-urlencoded", "multipart/form-data"}
