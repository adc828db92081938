"""Ids carry their type and sort in the order they were made, even within one millisecond."""

from __future__ import annotations

import pytest

from interlink.core.ids import lowest_id, made_at_ms, new_id


def test_ids_made_in_the_same_millisecond_sort_in_order() -> None:
    made = [new_id("evt", now_ms=1_700_000_000_000) for _ in range(1000)]

    assert made == sorted(made)
    assert len(set(made)) == 1000


def test_ids_sort_by_time() -> None:
    earlier, later = new_id("op", now_ms=1_000), new_id("op", now_ms=2_000_000_000_000)

    assert earlier < later
    assert earlier.startswith("op_")
    assert len(earlier) == len("op_") + 26


def test_an_unknown_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown id prefix"):
        new_id("nope")


def test_the_time_part_is_the_ulid_spelling_of_the_millisecond() -> None:
    bound = lowest_id("op", 1_469_918_176_385)  # the ULID spec's example: 01ARYZ6S41...

    assert bound == "op_01aryz6s41" + "0" * 16
    assert made_at_ms(bound) == 1_469_918_176_385
