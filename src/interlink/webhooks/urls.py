"""Endpoint URLs: checked by the SSRF guard when registered (after DNS) and again at connect."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from interlink.core.errors import UrlNotAllowed
from interlink.transport.ssrf import AddressPolicy, UrlRefused


async def check_endpoint_url(policy: AddressPolicy, url: str) -> None:
    """Refuse a URL that is not absolute http(s), carries user info, or whose host resolves to
    an address the policy refuses. A name that does not resolve yet is let through: the
    connection is checked again on every delivery."""
    parts = urlsplit(url)
    try:
        policy.check_url(url)
        if parts.username is not None or parts.password is not None:
            raise UrlRefused("a webhook URL may not carry user info")
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except (UrlRefused, ValueError) as exc:
        raise UrlNotAllowed(str(exc) or "the URL is not valid") from None
    host = parts.hostname or ""
    try:
        answers = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return
    try:
        for *_, sockaddr in answers:
            policy.check(ipaddress.ip_address(str(sockaddr[0]).split("%")[0]), host)
    except UrlRefused as exc:
        raise UrlNotAllowed(str(exc)) from None
