"""The fault plan and call log, and every fault kind as a real client sees it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from interlink.testing import Fault, FaultKind, FaultPlan, HttpMock, RunningMock, serve_mock

SHORT = aiohttp.ClientTimeout(total=0.2)


@pytest.fixture
async def upstream() -> AsyncIterator[RunningMock[HttpMock]]:
    async with serve_mock(HttpMock()) as running:
        yield running


def test_plan_takes_faults_in_order_and_counts_times_down() -> None:
    plan = FaultPlan()
    plan.add(Fault.error(503), times=2)
    plan.add(Fault.drop())
    taken = [plan.take("GET", "/x") for _ in range(4)]
    assert [fault.kind if fault else None for fault in taken] == [
        FaultKind.STATUS,
        FaultKind.STATUS,
        FaultKind.DROP,
        None,
    ]
    assert len(plan) == 0


def test_plan_matches_path_prefix_and_method() -> None:
    plan = FaultPlan()
    plan.add(Fault.error(500), path_prefix="/v1/customers", method="post")
    assert plan.take("GET", "/v1/customers") is None
    assert plan.take("POST", "/v1/balance") is None
    assert plan.take("POST", "/v1/customers/cus_1") == Fault.error(500)
    assert plan.take("POST", "/v1/customers") is None


def test_plan_with_times_none_applies_until_cleared() -> None:
    plan = FaultPlan()
    plan.add(Fault.rate_limited(2), times=None)
    assert all(plan.take("GET", "/") is not None for _ in range(5))
    plan.clear()
    assert plan.take("GET", "/") is None


def test_fault_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="times"):
        FaultPlan().add(Fault.drop(), times=0)
    with pytest.raises(ValueError, match="seconds"):
        Fault.latency(-1)
    with pytest.raises(ValueError, match="status"):
        Fault.error(42)


async def test_calls_record_method_path_query_headers_and_body(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    url = upstream.url + "/anything/a?x=1&x=2"
    async with session.post(url, json={"k": "v"}, headers={"X-Probe": "yes"}) as response:
        assert response.status == 200
    async with session.get(upstream.url + "/text") as response:
        assert response.status == 200
    calls = upstream.mock.calls
    first = calls[0]
    assert (first.method, first.path, first.query.getall("x")) == (
        "POST",
        "/anything/a",
        ["1", "2"],
    )
    assert first.headers["x-probe"] == "yes"
    assert first.json() == {"k": "v"}
    assert first.fault is None
    assert calls.counts == {"/anything/a": 1, "/text": 1}
    assert calls.count("/text", method="GET") == 1
    assert calls.count("/text", method="POST") == 0
    assert calls.last.path == "/text"
    assert [call.path for call in calls.filter(path_prefix="/anything")] == ["/anything/a"]


async def test_reset_forgets_calls_and_faults(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    upstream.mock.faults.add(Fault.error(500), times=None)
    async with session.get(upstream.url + "/text") as response:
        assert response.status == 500
    upstream.mock.reset()
    assert len(upstream.mock.calls) == 0
    async with session.get(upstream.url + "/text") as response:
        assert response.status == 200


async def test_latency_holds_the_answer_past_a_short_client_timeout(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    upstream.mock.faults.add(Fault.latency(30))
    with pytest.raises(TimeoutError):
        async with session.get(upstream.url + "/text", timeout=SHORT):
            pass
    assert upstream.mock.calls.last.fault == "latency"


async def test_latency_then_answers_normally(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    upstream.mock.faults.add(Fault.latency(0))
    async with session.get(upstream.url + "/text") as response:
        assert response.status == 200
        assert await response.text() == "hello from the mock upstream\n"


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_status_fault_answers_the_status_then_recovers(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession, status: int
) -> None:
    upstream.mock.faults.add(Fault.error(status))
    async with session.get(upstream.url + "/json-array") as response:
        assert response.status == status
        assert "message" in await response.json()
    async with session.get(upstream.url + "/json-array") as response:
        assert response.status == 200


async def test_status_fault_with_its_own_body(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    upstream.mock.faults.add(Fault.error(502, body=b'{"custom": true}'))
    async with session.get(upstream.url + "/text") as response:
        assert response.status == 502
        assert await response.json() == {"custom": True}


async def test_rate_limited_fault_sends_retry_after(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    upstream.mock.faults.add(Fault.rate_limited(retry_after=2.5))
    async with session.get(upstream.url + "/text") as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "3"


async def test_drop_closes_the_connection_without_an_answer(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    upstream.mock.faults.add(Fault.drop())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with session.post(upstream.url + "/anything", json={}):
            pass
    assert upstream.mock.calls.last.fault == "drop"


async def test_aiohttp_retries_an_idempotent_request_once_after_a_drop(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    upstream.mock.faults.add(Fault.drop(), times=2)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with session.get(upstream.url + "/text"):
            pass
    assert [call.fault for call in upstream.mock.calls] == ["drop", "drop"]


async def test_drop_with_reset_is_a_connection_error(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    upstream.mock.faults.add(Fault.drop(reset=True))
    with pytest.raises(aiohttp.ClientConnectionError):
        async with session.post(upstream.url + "/anything", json={}):
            pass


async def test_garbage_is_a_200_that_is_not_json(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    upstream.mock.faults.add(Fault.garbage())
    async with session.get(upstream.url + "/json-array") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        with pytest.raises(ValueError):  # noqa: PT011 - JSON or Unicode decoding, either will do
            json.loads(await response.read())


async def test_truncated_body_is_a_payload_error(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    upstream.mock.faults.add(Fault.truncated())
    async with session.get(upstream.url + "/json-array") as response:
        assert response.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()


async def test_faults_only_hit_their_path_prefix(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    upstream.mock.faults.add(Fault.error(503), times=None, path_prefix="/status")
    async with session.get(upstream.url + "/text") as response:
        assert response.status == 200
    async with session.get(upstream.url + "/status/200") as response:
        assert response.status == 503


def test_a_fault_can_be_built_directly() -> None:
    fault = Fault(FaultKind.LATENCY, seconds=2)
    assert fault == Fault.latency(2)
    assert Fault("drop").kind is FaultKind.DROP  # type: ignore[arg-type]


async def test_the_call_log_keeps_each_answer_and_none_for_a_dropped_one(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    upstream.mock.faults.add(Fault.drop(), path_prefix="/anything")
    async with session.get(upstream.url + "/status/418?retry_after=3") as response:
        await response.read()
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with session.post(upstream.url + "/anything", json={}):
            pass

    answered, dropped = upstream.mock.calls.all()
    assert answered.answer is not None
    assert (answered.answer.status, answered.answer.json()) == (418, {"status": 418})
    assert answered.answer.headers["Retry-After"] == "3"
    assert dropped.answer is None


async def test_forbidden_and_not_found_faults_answer_as_the_mock_says(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    upstream.mock.faults.add(Fault.forbidden())
    upstream.mock.faults.add(Fault.not_found())
    answers = []
    for _ in range(2):
        async with session.get(upstream.url + "/anything") as response:
            answers.append((response.status, await response.json()))

    assert answers == [(403, {"message": "Forbidden"}), (404, {"message": "Not Found"})]
    assert [call.fault for call in upstream.mock.calls] == ["forbidden", "not_found"]
