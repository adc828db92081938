"""The SSRF guard refuses private, loopback, link-local, CGNAT, metadata and IPv4-in-IPv6 forms of
them, after DNS, unless the operator allows private ones; link-local and metadata never pass."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from interlink.transport.ssrf import (
    AddressKind,
    AddressPolicy,
    GuardedResolver,
    UrlRefused,
    classify,
)
from tests.helpers.servers import serve_app
from tests.transport.conftest import ScriptedDns

CASES = [
    ("127.0.0.1", AddressKind.LOOPBACK),
    ("127.255.0.9", AddressKind.LOOPBACK),
    ("::1", AddressKind.LOOPBACK),
    ("10.1.2.3", AddressKind.PRIVATE),
    ("172.16.0.1", AddressKind.PRIVATE),
    ("192.168.1.1", AddressKind.PRIVATE),
    ("100.64.0.1", AddressKind.PRIVATE),  # CGNAT: is_private is False for it
    ("100.127.255.254", AddressKind.PRIVATE),
    ("fd12:3456::1", AddressKind.PRIVATE),
    ("169.254.1.1", AddressKind.LINK_LOCAL),
    ("fe80::1", AddressKind.LINK_LOCAL),
    ("169.254.169.254", AddressKind.METADATA),
    ("100.100.100.200", AddressKind.METADATA),
    ("fd00:ec2::254", AddressKind.METADATA),
    ("::ffff:127.0.0.1", AddressKind.LOOPBACK),  # IPv4-mapped
    ("::ffff:169.254.169.254", AddressKind.METADATA),
    ("64:ff9b::7f00:1", AddressKind.LOOPBACK),  # NAT64: is_global is True for it
    ("64:ff9b::a9fe:a9fe", AddressKind.METADATA),
    ("2002:7f00:1::", AddressKind.LOOPBACK),  # 6to4: is_global is True for it
    ("2002:a00:1::1", AddressKind.PRIVATE),
    ("::127.0.0.1", AddressKind.LOOPBACK),  # IPv4-compatible
    ("0.0.0.0", AddressKind.RESERVED),  # noqa: S104 - an address to classify, not to bind
    ("::", AddressKind.RESERVED),
    ("224.0.0.1", AddressKind.RESERVED),
    ("255.255.255.255", AddressKind.RESERVED),
    ("8.8.8.8", AddressKind.PUBLIC),
    ("140.82.112.3", AddressKind.PUBLIC),
    ("2606:4700::1111", AddressKind.PUBLIC),
    ("64:ff9b::808:808", AddressKind.PUBLIC),  # NAT64 of 8.8.8.8
]


@pytest.mark.parametrize(("address", "kind"), CASES)
def test_classify(address: str, kind: AddressKind) -> None:
    assert classify(ipaddress.ip_address(address)) is kind


@pytest.mark.parametrize(("address", "kind"), CASES)
def test_what_each_policy_lets_through(address: str, kind: AddressKind) -> None:
    strict, relaxed = AddressPolicy(allow_private=False), AddressPolicy(allow_private=True)
    url = f"http://[{address}]/" if ":" in address else f"http://{address}/"

    strict_ok = _passes(strict, url)
    relaxed_ok = _passes(relaxed, url)

    assert strict_ok is (kind is AddressKind.PUBLIC)
    assert relaxed_ok is (kind in {AddressKind.PUBLIC, AddressKind.LOOPBACK, AddressKind.PRIVATE})


def _passes(policy: AddressPolicy, url: str) -> bool:
    try:
        policy.check_url(url)
    except UrlRefused:
        return False
    return True


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "file:///etc/passwd", "/relative", "http://"]
)
def test_only_absolute_http_urls(url: str) -> None:
    with pytest.raises(UrlRefused):
        AddressPolicy(allow_private=True).check_url(url)


def test_the_refusal_says_how_to_allow_private_addresses() -> None:
    with pytest.raises(UrlRefused, match="INTERLINK_ALLOW_PRIVATE_URLS"):
        AddressPolicy(allow_private=False).check_url("http://10.0.0.1/")
    with pytest.raises(UrlRefused) as refused:
        AddressPolicy(allow_private=True).check_url("http://169.254.169.254/")
    assert "INTERLINK_ALLOW_PRIVATE_URLS" not in str(refused.value)


async def test_a_name_with_any_private_answer_is_refused() -> None:
    dns = ScriptedDns(
        {"rebind.example": [["93.184.216.34", "127.0.0.1"]], "ok.example": [["93.184.216.34"]]}
    )
    resolver = GuardedResolver(AddressPolicy(allow_private=False), dns)

    with pytest.raises(UrlRefused, match=r"rebind\.example"):
        await resolver.resolve("rebind.example", 80)
    assert [a["host"] for a in await resolver.resolve("ok.example", 80)] == ["93.184.216.34"]


@pytest.fixture
async def loopback_server() -> AsyncIterator[int]:
    app = web.Application()

    async def reached(_: web.Request) -> web.Response:
        return web.json_response({"reached": True})

    app.router.add_get("/", reached)
    async with serve_app(app) as url:
        yield int(url.rpartition(":")[2])


@pytest.mark.parametrize("allow", [False, True])
async def test_a_real_connection_goes_only_where_the_policy_allows(
    loopback_server: int, allow: bool
) -> None:
    resolver = GuardedResolver(AddressPolicy(allow_private=allow))
    connector = aiohttp.TCPConnector(resolver=resolver)
    async with aiohttp.ClientSession(connector=connector) as http:
        request = http.get(f"http://localhost:{loopback_server}/")
        if allow:
            async with request as response:
                assert (await response.json()) == {"reached": True}
        else:
            with pytest.raises(UrlRefused, match=r"localhost leads to a loopback address"):
                await request
