"""CustomProviderClient and its async twin against the live server: a declaration applied twice
(two versions), read at each, listed, refused with every problem, and deleted."""

from __future__ import annotations

import copy

import pytest

from interlink import AsyncInterlink, Interlink, InvalidDeclaration, NotFound
from interlink.providers.custom.sample import SAMPLE


def test_a_declaration_applied_changed_read_and_deleted(live: str) -> None:
    changed = copy.deepcopy(SAMPLE)
    changed["actions"]["get_item"]["result"] = "{title: name}"
    with Interlink(live) as client:
        providers = client.custom_providers
        first = providers.apply_custom_provider(SAMPLE)
        second = providers.apply_custom_provider(changed)
        older = providers.get_custom_provider("acme", version=1)
        listed = [(p.key, p.version) for p in providers.list_custom_providers()]
        with pytest.raises(InvalidDeclaration) as refused:
            providers.create_custom_provider({**SAMPLE, "key": "other", "base_url": "nope"})
        deleted = providers.delete_custom_provider("acme")
        with pytest.raises(NotFound):
            providers.get_custom_provider("acme")

    assert (first.version, second.version) == (1, 2)
    assert older.declaration["actions"]["get_item"]["result"] != "{title: name}"
    assert ("acme", 2) in listed
    assert [d["field"] for d in refused.value.details] == ["base_url"]
    assert "must be an absolute http:// or https:// URL" in refused.value.message
    assert deleted.deleted


async def test_the_async_twin(live: str) -> None:
    declared = {**copy.deepcopy(SAMPLE), "key": "acme_async"}
    async with AsyncInterlink(live) as client:
        made = await client.custom_providers.create_custom_provider(declared)
        got = await client.custom_providers.get_custom_provider("acme_async")
        await client.custom_providers.delete_custom_provider("acme_async")

    assert (made.key, made.version, got.actions) == (
        "acme_async", 1, ["create_item", "get_item", "list_items"]
    )  # fmt: skip
