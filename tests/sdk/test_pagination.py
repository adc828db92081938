"""Lists page on iteration: `.items` is one page, iterating yields every item to the last page."""

from __future__ import annotations

from typing import Any

import httpx

from interlink import AsyncCredentialClient, CredentialClient
from tests.sdk.conftest import Recorder, envelope


def credential(n: int) -> dict[str, Any]:
    stamp = "2026-01-01T00:00:00Z"
    return {
        "id": f"cred_{n}",
        "name": f"c{n}",
        "type": "api_key",
        "created_at": stamp,
        "updated_at": stamp,
    }


def page(numbers: list[int], page_no: int, total: int, size: int = 2) -> httpx.Response:
    pages = -(-total // size)
    return envelope(
        {
            "items": [credential(n) for n in numbers],
            "pagination": {
                "page": page_no,
                "page_size": size,
                "total_items": total,
                "total_pages": pages,
            },
        }
    )


def test_iteration_fetches_the_following_pages_with_the_same_filters() -> None:
    recorder = Recorder(page([1, 2], 1, 5), page([3, 4], 2, 5), page([5], 3, 5))
    client = CredentialClient(
        "sk_x", base_url="http://sdk.test", transport=httpx.MockTransport(recorder)
    )

    first = client.list_credentials(type="api_key", page_size=2)
    assert [c.id for c in first.items] == ["cred_1", "cred_2"]
    assert len(recorder.requests) == 1

    assert [c.id for c in first] == [f"cred_{n}" for n in range(1, 6)]
    params = [dict(r.url.params) for r in recorder.requests]
    assert params == [{"type": "api_key", "page_size": "2", "page": str(n)} for n in (1, 2, 3)]


def test_an_empty_list_fetches_once() -> None:
    recorder = Recorder(page([], 1, 0))
    client = CredentialClient(
        "sk_x", base_url="http://sdk.test", transport=httpx.MockTransport(recorder)
    )

    listing = client.list_credentials()

    assert list(listing) == []
    assert listing.next_page() is None
    assert len(recorder.requests) == 1


async def test_the_async_pager_pages_the_same_way() -> None:
    recorder = Recorder(page([1, 2], 1, 3), page([3], 2, 3))
    transport = httpx.MockTransport(recorder)
    async with AsyncCredentialClient(
        "sk_x", base_url="http://sdk.test", transport=transport
    ) as client:
        listing = await client.list_credentials(page_size=2)
        ids = [c.id async for c in listing]

    assert ids == ["cred_1", "cred_2", "cred_3"]


def test_live_iteration_walks_every_page(live: str) -> None:
    with CredentialClient(access_token=live) as client:
        made = {
            client.create_credential(
                f"paged-{n}", "api_key", {"api_key": f"k{n}"}, provider="paging-test"
            ).id
            for n in range(5)
        }
        listing = client.list_credentials(provider="paging-test", page_size=2)
        seen = [c.id for c in listing]

    assert listing.pagination.total_items == 5
    assert listing.pagination.total_pages == 3
    assert len(listing.items) == 2
    assert sorted(seen) == sorted(made)


async def test_live_async_iteration_walks_every_page(live: str) -> None:
    async with AsyncCredentialClient(access_token=live) as client:
        for n in range(3):
            await client.create_credential(
                f"apaged-{n}", "api_key", {"api_key": "k"}, provider="apaging-test"
            )
        listing = await client.list_credentials(provider="apaging-test", page_size=2)
        names = sorted([c.name async for c in listing])

    assert names == ["apaged-0", "apaged-1", "apaged-2"]
