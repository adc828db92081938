"""The one backoff formula every retry waits by."""

from interlink.core.backoff import backoff


def test_the_wait_doubles_from_the_base_up_to_the_cap() -> None:
    waits = [backoff(attempt, base=0.5, cap=3.0) for attempt in range(1, 6)]
    assert waits == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_without_a_cap_it_keeps_doubling() -> None:
    assert backoff(11, base=1.0) == 1024.0


def test_full_jitter_takes_a_part_of_the_wait() -> None:
    assert backoff(3, base=1.0, cap=10.0, jitter=lambda: 0.25) == 1.0


def test_an_attempt_below_one_waits_the_base() -> None:
    assert backoff(0, base=2.0) == 2.0
