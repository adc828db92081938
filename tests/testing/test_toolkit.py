"""The mock toolkit: a token gate answers as the provider does, a rate budget spends and resets on
the injected clock and says so in the provider's headers, and pages link and cursor correctly."""

from __future__ import annotations

import base64

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from yarl import URL

from interlink.core.clock import FrozenClock
from interlink.testing.base import json_response
from interlink.testing.toolkit import (
    Marker,
    PageError,
    RateBudget,
    RateHeaders,
    ResetFormat,
    TokenGate,
    authorization,
    basic,
    cursor_page,
    cursor_start,
    id_page,
    numbered_page,
    path_part,
    token_page,
    token_start,
)
from tests.testing.conftest import START

NOW = START.timestamp()  # 2025-06-01T12:00:00Z


def _request(authorization: str | None = None, path: str = "/x") -> web.Request:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return make_mocked_request("GET", path, headers=headers)


def _refuse(request: web.Request, token: str) -> web.StreamResponse:
    message = "Bad credentials" if token else "Requires authentication"
    return json_response({"message": message}, status=401, headers={"X-Seen": token})


async def _ok() -> web.StreamResponse:
    return web.Response(text="ok")


# the token gate


def test_a_listed_token_in_any_of_the_schemes_is_let_in() -> None:
    gate = TokenGate({"t1", "t2"}, _refuse, (authorization("Bearer", "token"),))
    assert gate.refusal(_request("Bearer t1")) is None
    assert gate.refusal(_request("token t2")) is None
    assert gate.refusal(_request("BEARER t1")) is None  # schemes are case-insensitive


@pytest.mark.parametrize(
    ("header", "seen", "message"),
    [
        ("Bearer wrong", "wrong", "Bad credentials"),
        (None, "", "Requires authentication"),
        ("Basic dDE6", "", "Requires authentication"),  # a scheme it does not read
    ],
)
def test_a_missing_or_wrong_token_gets_the_providers_answer(
    header: str | None, seen: str, message: str
) -> None:
    refusal = TokenGate({"t1"}, _refuse).refusal(_request(header))
    assert isinstance(refusal, web.Response)
    assert refusal.status == 401
    assert refusal.headers["X-Seen"] == seen
    assert refusal.text is not None
    assert message in refusal.text


def test_a_case_sensitive_scheme_refuses_another_case() -> None:
    gate = TokenGate({"t"}, _refuse, (authorization("Bot", case_sensitive=True),))
    assert gate.refusal(_request("Bot t")) is None
    assert gate.refusal(_request("bot t")) is not None


def test_basic_auth_reads_the_user_the_password_or_both() -> None:
    request = _request("Basic " + base64.b64encode(b"me@example.com:secret").decode())
    assert basic("user")(request) == "me@example.com"
    assert basic("password")(request) == "secret"
    assert basic()(request) == "me@example.com:secret"
    assert basic()(_request("Basic !!not-base64")) == ""
    assert basic()(_request("Bearer x")) is None


def test_the_first_credential_presented_is_the_one_checked() -> None:
    gate = TokenGate({"sk_1"}, _refuse, (authorization("Bearer"), basic("user")))
    assert gate.presented(_request("Basic " + base64.b64encode(b"sk_1:").decode())) == "sk_1"
    assert gate.presented(_request("Bearer sk_2")) == "sk_2"
    assert gate.presented(_request()) is None


def test_a_token_in_the_path() -> None:
    request = make_mocked_request("GET", "/bot1:abc/getMe", match_info={"token": "1:abc"})
    assert TokenGate({"1:abc"}, _refuse, (path_part("token"),)).refusal(request) is None
    assert path_part("token")(_request()) == ""


# the rate budget


def _limited(retry_after: float) -> web.StreamResponse:
    return json_response({"retry_after": retry_after}, status=429)


def _budget(clock: FrozenClock, headers: RateHeaders | None = None, **options: float) -> RateBudget:
    return RateBudget(
        2, 60, clock=clock, exhausted=_limited, headers=headers or RateHeaders(), **options
    )


async def test_the_budget_spends_refuses_and_resets_on_the_clock(clock: FrozenClock) -> None:
    budget = _budget(clock, RateHeaders(used="X-RateLimit-Used"))
    first = await budget.meter("t1", _ok)
    second = await budget.meter("t1", _ok)
    spent = await budget.meter("t1", _ok)
    assert [r.status for r in (first, second, spent)] == [200, 200, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in (first, second, spent)] == ["1", "0", "0"]
    assert spent.headers["X-RateLimit-Used"] == "2"
    assert spent.headers["X-RateLimit-Reset"] == str(int(NOW) + 60)
    assert isinstance(spent, web.Response)
    assert spent.text == '{"retry_after": 60.0}'
    clock.advance(59.5)
    assert (await budget.meter("t1", _ok)).status == 429
    clock.advance(0.5)
    again = await budget.meter("t1", _ok)
    assert (again.status, again.headers["X-RateLimit-Remaining"]) == (200, "1")


async def test_each_key_has_its_own_window(clock: FrozenClock) -> None:
    budget = _budget(clock)
    for _ in range(2):
        await budget.meter("t1", _ok)
    assert (await budget.meter("t1", _ok)).status == 429
    assert (await budget.meter("t2", _ok)).status == 200


async def test_a_request_that_does_not_spend_still_says_what_is_left(clock: FrozenClock) -> None:
    budget = _budget(clock)
    await budget.meter("t", _ok)
    free = await budget.meter("t", _ok, spend=False)
    assert (free.status, free.headers["X-RateLimit-Remaining"]) == (200, "1")
    assert budget.window("t").used == 1


async def test_windows_aligned_to_the_clock(clock: FrozenClock) -> None:
    clock.advance(30)  # 12:00:30, in the minute that ends at 12:01
    iso = RateHeaders(resets={"X-RateLimit-Reset": ResetFormat.ISO_MINUTE})
    budget = _budget(clock, iso, align_to=60)
    response = await budget.meter("", _ok)
    assert response.headers["X-RateLimit-Reset"] == "2025-06-01T12:01Z"
    assert budget.retry_after(budget.window()) == 30


async def test_headers_by_name_and_format(clock: FrozenClock) -> None:
    clock.advance(0.25)
    discord = RateHeaders(
        resets={
            "X-RateLimit-Reset": ResetFormat.EPOCH_MILLIS,
            "X-RateLimit-Reset-After": ResetFormat.SECONDS_AFTER_MILLIS,
        },
        bucket="X-RateLimit-Bucket",
    )
    budget = RateBudget(5, 5.0, clock=clock, exhausted=_limited, headers=discord)
    response = await budget.meter("POST /channels/1/messages", _ok, name="abc123")
    assert dict(response.headers) == {
        "Content-Type": "text/plain; charset=utf-8",
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "4",
        "X-RateLimit-Reset": f"{NOW + 5.25:.3f}",
        "X-RateLimit-Reset-After": "5.000",
        "X-RateLimit-Bucket": "abc123",
    }


def test_every_reset_format() -> None:
    reset, now = NOW + 90.5, NOW
    rendered = {form: form.render(reset, now) for form in ResetFormat}
    assert rendered == {
        ResetFormat.EPOCH_SECONDS: str(int(NOW) + 91),
        ResetFormat.EPOCH_MILLIS: f"{NOW + 90.5:.3f}",
        ResetFormat.SECONDS_AFTER: "91",
        ResetFormat.SECONDS_AFTER_MILLIS: "90.500",
        ResetFormat.ISO_MINUTE: "2025-06-01T12:01Z",
        ResetFormat.ISO_SECONDS: "2025-06-01T12:01:30Z",
        ResetFormat.HTTP_DATE: "Sun, 01 Jun 2025 12:01:30 GMT",
        ResetFormat.DURATION: "1m30.5s",
    }


@pytest.mark.parametrize(
    ("after", "rendered"),
    [(0, "0s"), (0.02, "20ms"), (1, "1s"), (59.9996, "1m0s"), (360, "6m0s"), (3723.5, "1h2m3.5s")],
)
def test_a_duration_reset_is_written_as_openai_writes_it(after: float, rendered: str) -> None:
    assert ResetFormat.DURATION.render(NOW + after, NOW) == rendered


async def test_near_limit_and_a_reset_only_once_spent(clock: FrozenClock) -> None:
    jira = RateHeaders(
        resets={"X-RateLimit-Reset": ResetFormat.ISO_MINUTE},
        near_limit="X-RateLimit-NearLimit",
        reset_only_when_spent=True,
    )
    budget = RateBudget(5, 60, clock=clock, exhausted=_limited, headers=jira, align_to=60)
    seen = [(await budget.meter("", _ok)).headers for _ in range(6)]
    assert ["X-RateLimit-NearLimit" in h for h in seen] == [False] * 4 + [True] * 2
    assert ["X-RateLimit-Reset" in h for h in seen] == [False] * 4 + [True] * 2


async def test_no_limit_lets_everything_through_without_headers(clock: FrozenClock) -> None:
    budget = RateBudget(None, 60, clock=clock, exhausted=_limited, headers=RateHeaders())
    responses = [await budget.meter("", _ok) for _ in range(3)]
    assert all(r.status == 200 and "X-RateLimit-Limit" not in r.headers for r in responses)


async def test_a_limit_read_from_the_mocks_settings_applies_at_once(clock: FrozenClock) -> None:
    settings: dict[str, int | None] = {"limit": None}
    budget = RateBudget(lambda: settings["limit"], 1.0, clock=clock, exhausted=_limited)
    assert (await budget.meter("", _ok)).status == 200
    settings["limit"] = 1
    assert [(await budget.meter("", _ok)).status for _ in range(2)] == [200, 429]


# pages

ITEMS = [f"item-{n}" for n in range(1, 8)]


def test_numbered_pages_link_back_to_the_mock() -> None:
    url = URL("http://127.0.0.1:5000/repos/o/r/issues?per_page=3&page=2")
    items, headers = numbered_page(ITEMS, page=2, size=3, url=url)
    assert items == ["item-4", "item-5", "item-6"]
    assert headers["Link"] == (
        '<http://127.0.0.1:5000/repos/o/r/issues?per_page=3&page=1>; rel="prev", '
        '<http://127.0.0.1:5000/repos/o/r/issues?per_page=3&page=3>; rel="next", '
        '<http://127.0.0.1:5000/repos/o/r/issues?per_page=3&page=3>; rel="last", '
        '<http://127.0.0.1:5000/repos/o/r/issues?per_page=3&page=1>; rel="first"'
    )
    last, headers = numbered_page(ITEMS, page=3, size=3, url=url)
    assert last == ["item-7"]
    assert 'rel="next"' not in headers["Link"]
    assert numbered_page(ITEMS, page=1, size=10, url=url) == (ITEMS, {})


def test_a_body_cursor_names_the_first_item_of_the_next_page() -> None:
    marker = Marker("channel")
    first = cursor_page(
        ITEMS, ITEMS, start=cursor_start(None, ITEMS, marker), limit=5, marker=marker
    )
    assert (first.items, first.has_more) == (ITEMS[:5], True)
    assert first.next == base64.b64encode(b"channel:item-6").decode()
    start = cursor_start(first.next, ITEMS, marker)
    rest = cursor_page(ITEMS, ITEMS, start=start, limit=5, marker=marker)
    assert (rest.items, rest.has_more, rest.next) == (ITEMS[5:], False, None)


@pytest.mark.parametrize(
    "cursor", ["not base64!", base64.b64encode(b"user:item-2").decode(), Marker("c").encode("x")]
)
def test_a_cursor_that_is_not_ours_names_no_page(cursor: str) -> None:
    with pytest.raises(PageError) as raised:
        cursor_start(cursor, ITEMS, Marker("c"))
    assert raised.value.param == "cursor"


def test_a_page_token_holds_the_offset_of_the_next_page() -> None:
    marker = Marker("offset", urlsafe=True)
    first = token_page(ITEMS, start=token_start(None, marker), limit=4, marker=marker)
    assert (first.items, first.next) == (ITEMS[:4], "b2Zmc2V0OjQ=")
    rest = token_page(ITEMS, start=token_start(first.next, marker), limit=4, marker=marker)
    assert (rest.items, rest.has_more, rest.next) == (ITEMS[4:], False, None)
    for token in (marker.encode("-1"), marker.encode("x"), Marker("page").encode("4")):
        with pytest.raises(PageError):
            token_start(token, marker)


def test_pages_after_and_before_an_id() -> None:
    after = id_page(ITEMS, ITEMS, limit=3, starting_after="item-2")
    assert (after.items, after.has_more) == (["item-3", "item-4", "item-5"], True)
    assert id_page(ITEMS, ITEMS, limit=3, starting_after="item-5").has_more is False
    before = id_page(ITEMS, ITEMS, limit=3, ending_before="item-5")
    assert (before.items, before.has_more) == (["item-2", "item-3", "item-4"], True)
    assert id_page(ITEMS, ITEMS, limit=3, ending_before="item-3").has_more is False
    with pytest.raises(PageError) as raised:
        id_page(ITEMS, ITEMS, limit=3, ending_before="item-99")
    assert raised.value.param == "ending_before"
