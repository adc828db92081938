"""Endpoint URLs: checked by the SSRF guard when registered (after DNS) and again at connect."""

from __future__ import annotations

from urllib.parse import urlsplit

from interlink.core.errors import UrlNotAllowed
from interlink.transport.ssrf import AddressPolicy, UrlRefused


async def check_endpoint_url(policy: AddressPolicy, url: str) -> None:
    """Refuse a URL that is not absolute http(s), carries user info, or whose host resolves to
    an address the policy refuses. A name that does not resolve yet is let through: the
    connection is checked again on every delivery."""
    try:
        await policy.vet(url)  # it parses (host and port), its scheme, its addresses
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None:
            raise UrlRefused("a webhook URL may not carry user info")
    except UrlRefused as exc:
        raise UrlNotAllowed(str(exc) or "the URL is not valid") from None
