"""Under the strict policy (INTERLINK_ALLOW_PRIVATE_URLS false), a redirect from a public
provider to a loopback, private, CGNAT or IPv4-in-IPv6 address is refused before it is followed,
whether the Location is an IP literal or a name that resolves to one."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest

from interlink.core.clock import FrozenClock
from interlink.core.errors import UrlNotAllowed
from interlink.transport.breaker import MemoryBreakers
from interlink.transport.client import CallSettings, ProviderClient, ProviderFacts, Transport
from interlink.transport.ratelimit import MemoryBudgetStore, RateLimiter
from interlink.transport.retry import RetryPolicy
from interlink.transport.ssrf import AddressPolicy, IPAddress
from tests.transport.conftest import ScriptedDns, Upstream, redirect

PUBLIC = "api.public.example"


class PublicStandIn(AddressPolicy):
    """The strict policy, except that the one name standing for a public provider may reach the
    loopback mock; every other name and every IP literal is judged as in production."""

    def check(self, address: IPAddress, host: str) -> None:
        if host == PUBLIC and address == ipaddress.ip_address("127.0.0.1"):
            return
        super().check(address, host)


DNS = {
    PUBLIC: [["127.0.0.1"]],
    "internal.example": [["127.0.0.1"]],
    "intranet.example": [["10.20.30.40"]],
    "mixed.example": [["93.184.216.34", "100.64.0.7"]],
    "mapped.example": [["::ffff:127.0.0.1"]],
}


@pytest.fixture
async def strict(clock: FrozenClock) -> AsyncIterator[Transport]:
    made = Transport(
        clock,
        RateLimiter(MemoryBudgetStore(), clock),
        MemoryBreakers(clock),
        PublicStandIn(allow_private=False, resolver=ScriptedDns(DNS)),
    )
    yield made
    await made.close()


def _client(transport: Transport, upstream: Upstream) -> ProviderClient:
    port = urlsplit(upstream.url).port
    settings = CallSettings(base_url=f"http://{PUBLIC}:{port}", retry=RetryPolicy(max_retries=2))
    return transport.client("int_1", settings, ProviderFacts(), {"Authorization": "Bearer t"})


async def test_the_public_stand_in_is_called_and_its_same_host_redirects_followed(
    strict: Transport, upstream: Upstream
) -> None:
    upstream.script(redirect("/landing"))

    landed = await _client(strict, upstream).get("/start")

    assert landed.status == 200
    assert [seen["path"] for seen in upstream.seen] == ["/start", "/landing"]


@pytest.mark.parametrize(
    ("location", "kind"),
    [
        ("http://127.0.0.1:{port}/admin", "loopback"),
        ("http://localhost-alias.invalid@127.0.0.1:{port}/admin", "loopback"),
        ("http://10.0.0.1/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://100.64.0.1/", "private"),  # CGNAT
        ("http://[::ffff:127.0.0.1]:{port}/admin", "loopback"),  # IPv4-mapped
        ("http://[64:ff9b::7f00:1]/", "loopback"),  # NAT64
        ("http://[2002:7f00:1::]/", "loopback"),  # 6to4
        ("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/", "cloud metadata"),
        ("http://internal.example:{port}/admin", "loopback"),  # a name for loopback
        ("http://intranet.example/", "private"),
        ("http://mixed.example/", "private"),  # one private answer is enough
        ("http://mapped.example:{port}/admin", "loopback"),
    ],
)
async def test_a_redirect_to_a_non_public_address_is_refused(
    strict: Transport, upstream: Upstream, location: str, kind: str
) -> None:
    port = urlsplit(upstream.url).port
    upstream.script(redirect(location.format(port=port)))

    with pytest.raises(UrlNotAllowed, match=f"leads to a {kind} address"):
        await _client(strict, upstream).get("/start")

    assert [seen["path"] for seen in upstream.seen] == ["/start"]  # never followed, nor retried
