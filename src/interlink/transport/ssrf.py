"""The SSRF guard: user-given URLs may reach only public addresses.

Checked after DNS resolution, on every address a name resolves to, and the connection goes to an
address that was checked (the resolver hands aiohttp only those). IPv4 addresses hidden in IPv6
(IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo) are unwrapped and their IPv4 address checked,
since `ipaddress` calls several such forms of 127.0.0.1 global. Loopback and private ranges may be
allowed by the operator; link-local and cloud metadata addresses never are.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from enum import StrEnum
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# One checked answer of `GuardedResolver.resolve` (host, port, family...), for a connector that
# opens its own connections (not HTTP) without importing an HTTP client library.
ResolvedAddress = ResolveResult

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_METADATA = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
    ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
}


_VET_SECONDS = 2.0  # DNS when a URL is written


class AddressKind(StrEnum):
    PUBLIC = "public"
    LOOPBACK = "loopback"
    PRIVATE = "private"
    LINK_LOCAL = "link-local"
    METADATA = "cloud metadata"
    RESERVED = "reserved"


ALLOWABLE = frozenset({AddressKind.LOOPBACK, AddressKind.PRIVATE})


class UrlRefused(Exception):
    """The URL leads to an address this server may not call."""


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or address in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:  # IPv4-compatible ::a.b.c.d (deprecated)
        return ipaddress.IPv4Address(int(address))
    return None


@functools.lru_cache(maxsize=4096)  # addresses are immutable; the properties cost microseconds
def classify(address: IPAddress) -> AddressKind:
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return classify(inner)
    if address in _METADATA:
        return AddressKind.METADATA
    if address.is_link_local:
        return AddressKind.LINK_LOCAL
    if address.is_loopback:
        return AddressKind.LOOPBACK
    if address.is_private or address in _CGNAT:
        if address.is_unspecified or address.is_reserved:
            return AddressKind.RESERVED
        return AddressKind.PRIVATE
    if (
        address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    ):
        return AddressKind.RESERVED
    return AddressKind.PUBLIC


class AddressPolicy:
    """Which addresses may be called, and (`resolver`, a seam like the clock) how names are
    resolved: aiohttp's default resolver unless one is given, as tests do to choose DNS answers."""

    def __init__(self, *, allow_private: bool, resolver: AbstractResolver | None = None) -> None:
        self.allow_private = allow_private
        self.resolver = resolver

    def check(self, address: IPAddress, host: str) -> None:
        kind = classify(address)
        if kind is AddressKind.PUBLIC or (self.allow_private and kind in ALLOWABLE):
            return
        hint = " (set INTERLINK_ALLOW_PRIVATE_URLS=true to allow it)" if kind in ALLOWABLE else ""
        raise UrlRefused(f"{host} leads to a {kind} address, which may not be called{hint}")

    def check_url(self, url: str) -> None:
        """Checks what can be checked without DNS: that it parses (host, port), the scheme, and a
        host that is an IP literal."""
        try:
            parts = urlsplit(url)
            host, _ = parts.hostname, parts.port
        except ValueError as exc:  # "http://[::1", a port out of range...
            raise UrlRefused(f"the URL is not valid ({exc})") from None
        if parts.scheme not in {"http", "https"} or not host:
            raise UrlRefused("only absolute http:// and https:// URLs may be called")
        literal = ip_literal(host)
        if literal is not None:
            self.check(literal, host)

    async def vet(self, url: str) -> None:
        """For a URL checked when it is written (an integration's api_url, a webhook endpoint):
        refuses it when its host is, or resolves to, an address this policy refuses. A name that
        does not resolve yet is let through: the connection is checked again when it is made."""
        self.check_url(url)
        host = urlsplit(url).hostname or ""
        if ip_literal(host) is not None:
            return
        resolver = GuardedResolver(self)
        try:  # bounded: the caller may hold a write transaction
            async with asyncio.timeout(_VET_SECONDS):
                await resolver.resolve(host, 0, socket.AF_UNSPEC)
        except (OSError, UnicodeError, ValueError):  # TimeoutError too: checked at connect
            return
        finally:
            await resolver.close()


@functools.lru_cache(maxsize=4096)  # every call checks its URL, and the hosts repeat
def ip_literal(host: str) -> IPAddress | None:
    """The address `host` spells, if it is an IP literal (a zone index ignored)."""
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return None


class GuardedResolver(AbstractResolver):
    """Resolves with aiohttp's resolver, refuses the name if any answer is not allowed, and
    returns only checked addresses, so the connection goes where the check looked."""

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self.policy = policy
        given = inner or policy.resolver
        self._owned = given is None  # a resolver given to it may be shared: not closed here
        self.inner = given or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self.inner.resolve(host, port, family)
        for answer in answers:
            self.policy.check(ipaddress.ip_address(answer["host"].split("%")[0]), host)
        return answers

    async def close(self) -> None:
        if self._owned:
            await self.inner.close()
