"""Routes, budgets, usage and chat through the SDK, end to end: a live server (SQLite, and
PostgreSQL when set) whose openai integration calls OpenAI's mock on a loopback port."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from interlink import (
    AiRouteClient,
    AiRouteNotFound,
    AiRouteTarget,
    AsyncAiRouteClient,
    AsyncBudgetClient,
    AsyncChatClient,
    AsyncInterlink,
    AsyncUsageClient,
    BudgetClient,
    BudgetExceeded,
    ChatClient,
    Conflict,
    ExternalServiceError,
    Interlink,
    InterlinkConnectionError,
    InvalidRequest,
    ModelNotFound,
    UsageClient,
)
from interlink.providers.openai.mock import OpenAIMock
from interlink.testing import RunningMock
from tests.e2e.server import Server
from tests.helpers.ai_server import DATABASES, ai_server, openai_integration, openai_mock
from tests.sdk.conftest import Recorder, Sleeps

API_KEY = "sk_test_sdk_ai_0123456789abcdefghijklmn"
HELLO = "You said: Hello"


@pytest.fixture(scope="module", params=DATABASES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp(f"sdk-ai-{request.param}") / "data"
    with ai_server(request.param, data_dir, API_KEY) as running:
        yield running


@pytest.fixture(scope="module")
def mock() -> Iterator[RunningMock[OpenAIMock]]:
    with openai_mock() as running:
        yield running


@pytest.fixture
def client(server: Server) -> Iterator[Interlink]:
    with Interlink(API_KEY, base_url=server.url) as interlink:
        yield interlink


@pytest.fixture
def gpt(server: Server, mock: RunningMock[OpenAIMock]) -> tuple[str, str]:
    return openai_integration(server.url, API_KEY, mock)


@pytest.mark.parametrize(
    ("sync", "asynchronous"),
    [
        (AiRouteClient, AsyncAiRouteClient),
        (BudgetClient, AsyncBudgetClient),
        (UsageClient, AsyncUsageClient),
        (ChatClient, AsyncChatClient),
    ],
)
def test_twins_have_the_same_methods(sync: type, asynchronous: type) -> None:
    def methods(cls: type) -> set[str]:
        return {n for n, v in inspect.getmembers(cls) if callable(v) and not n.startswith("_")}

    assert methods(sync) == methods(asynchronous)
    for name in methods(asynchronous):
        assert inspect.iscoroutinefunction(getattr(asynchronous, name)), name


def test_a_route_is_created_changed_as_versions_and_deleted(
    client: Interlink, gpt: tuple[str, str]
) -> None:
    _, name = gpt
    routes = client.ai_routes
    route = f"smart-{name}"

    first = routes.create_route(route, [{"integration": name, "model": "gpt-4o"}])
    with pytest.raises(Conflict):
        routes.create_route(route, [{"integration": name, "model": "gpt-4o"}])
    second = routes.update_route(
        route,
        [AiRouteTarget(integration=name, model="gpt-4o-mini", price=0.6)],
        strategy="cheapest",
        description="cheaper",
    )
    listed = [r.name for r in routes.list_routes(page_size=100)]
    versions = routes.list_route_versions(route)
    older = routes.get_route(route, version=1)
    deleted = routes.delete_route(route)

    assert (first.version, second.version) == (1, 2)
    assert (second.strategy, second.description, second.targets[0].price) == (
        "cheapest",
        "cheaper",
        0.6,
    )
    assert route in listed
    assert [(v.version, v.targets[0].model) for v in versions] == [
        (2, "gpt-4o-mini"),
        (1, "gpt-4o"),
    ]
    assert older.targets[0].model == "gpt-4o"
    assert (deleted.name, deleted.deleted) == (route, True)
    with pytest.raises(AiRouteNotFound):
        routes.get_route(route)


def test_bad_routes_are_refused_and_an_unknown_one_is_not_found(
    client: Interlink, gpt: tuple[str, str]
) -> None:
    _, name = gpt

    with pytest.raises(InvalidRequest) as bad_rule:
        client.ai_routes.create_route(
            f"bad-{name}",
            [{"integration": name, "model": "gpt-4o"}],
            rules=[{"when": {"tools": True}, "use": ["other/model"]}],
        )
    with pytest.raises(InvalidRequest):
        client.ai_routes.create_route(f"empty-{name}", [])
    with pytest.raises(AiRouteNotFound):
        client.ai_routes.update_route("no-such-route", [{"integration": name, "model": "gpt-4o"}])
    with pytest.raises(ModelNotFound) as unknown:
        client.ai.chat("no-such-route", "Hello")

    assert "other/model" in str(bad_rule.value.details) + bad_rule.value.message
    assert "no-such-route" in unknown.value.message
    assert f"bad-{name}" not in [r.name for r in client.ai_routes.list_routes(page_size=100)]


def test_chat_through_a_route_falls_back_and_says_who_served_it_and_the_cost(
    client: Interlink, gpt: tuple[str, str]
) -> None:
    iid, name = gpt
    route = f"fallback-{name}"
    targets = [
        {"integration": "no-such-integration", "model": "gpt-4o"},
        {"integration": name, "model": "gpt-4o-mini"},
    ]
    client.ai_routes.create_route(route, targets)

    answer = client.ai.chat(route, "Hello", max_tokens=50)
    direct = client.ai.chat(f"{name}/gpt-4o", "Hello", system="Be brief")

    assert answer.content == HELLO
    assert answer.served is not None
    assert direct.served is not None
    assert (answer.served.integration_id, answer.served.model) == (iid, "gpt-4o-mini")
    assert (answer.served.route, answer.served.route_version, answer.served.fallbacks) == (
        route,
        1,
        1,
    )
    assert Decimal(answer.served.cost) > 0
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens
    assert (direct.served.route, direct.served.model, direct.content) == (None, "gpt-4o", HELLO)
    assert route in client.ai.list_models()


def test_a_streamed_chat_comes_as_chunks_and_ends_with_usage_and_cost(
    client: Interlink, gpt: tuple[str, str]
) -> None:
    iid, name = gpt

    with client.ai.stream_chat(f"{name}/gpt-4o-mini", "Hello there") as stream:
        chunks = list(stream)
    answer = stream.answer()

    texts = [c.content for c in chunks if c.content]
    assert len(texts) > 1
    assert "".join(texts) == answer.content == "You said: Hello there"
    assert answer.finish_reason == "stop"
    assert answer.served is not None
    assert (answer.served.integration_id, answer.served.model) == (iid, "gpt-4o-mini")
    assert answer.usage.completion_tokens > 0
    assert Decimal(answer.served.cost) > 0


def test_budgets_are_created_changed_and_enforced_and_usage_is_reported(
    client: Interlink, gpt: tuple[str, str]
) -> None:
    iid, name = gpt
    budget = client.budgets.create_budget("day", limit_tokens=60, integration_id=iid)
    client.ai.chat(f"{name}/gpt-4o-mini", "Hello", max_tokens=20)

    with pytest.raises(BudgetExceeded) as spent:
        client.ai.chat(f"{name}/gpt-4o-mini", "Hello", max_tokens=200)
    with pytest.raises(BudgetExceeded):
        client.ai.stream_chat(f"{name}/gpt-4o-mini", "Hello", max_tokens=200)
    raised = client.budgets.update_budget(budget.id, limit_tokens=10_000, threshold_percent=50)
    client.ai.chat(f"{name}/gpt-4o-mini", "Hello", max_tokens=200)
    shown = client.budgets.get_budget(budget.id)
    listed = [b.id for b in client.budgets.list_budgets(page_size=100)]
    report = client.usage.get_usage(integration_id=iid)
    deleted = client.budgets.delete_budget(budget.id)

    assert spent.value.status_code == 402
    assert spent.value.details[0]["budget_id"] == budget.id
    assert (raised.limit, raised.threshold_percent) == ("10000", 50)
    assert int(shown.used) == report.total.total_tokens > 0
    assert budget.id in listed
    assert report.total.calls == 2
    assert [(m.provider, m.model) for m in report.by_model] == [("openai", "gpt-4o-mini")]
    assert (report.by_model[0].errors, report.by_model[0].error_rate) == (0, 0)
    assert report.by_model[0].latency_ms is not None
    assert [i.integration_id for i in report.by_integration] == [iid]
    assert Decimal(report.total.cost_usd) > 0
    assert deleted.deleted is True


def test_invalid_budgets_are_refused(client: Interlink, gpt: tuple[str, str]) -> None:
    iid, _ = gpt

    with pytest.raises(InvalidRequest):
        client.budgets.create_budget("day", integration_id=iid)
    with pytest.raises(InvalidRequest):
        client.budgets.create_budget("day", limit_tokens=5, limit_usd="1.00")
    with pytest.raises(InvalidRequest):
        client.budgets.create_budget("day", limit_usd="-1")
    budget = client.budgets.create_budget("month", limit_usd=Decimal("2.50"), integration_id=iid)
    with pytest.raises(InvalidRequest):
        client.budgets.update_budget(budget.id, limit_tokens=5)

    assert (budget.unit, budget.limit) == ("usd", "2.5")
    assert client.budgets.get_budget(budget.id).limit == "2.5"
    client.budgets.delete_budget(budget.id)


async def test_the_async_twins_route_chat_stream_and_budget(
    server: Server, gpt: tuple[str, str]
) -> None:
    iid, name = gpt
    async with AsyncInterlink(API_KEY, base_url=server.url) as client:
        route = await client.ai_routes.create_route(
            f"async-{name}", [{"integration": name, "model": "gpt-4o-mini"}]
        )
        answer = await client.ai.chat(route.name, "Hello")
        async with await client.ai.stream_chat(route.name, "Hello") as stream:
            texts = [chunk.content async for chunk in stream if chunk.content]
        budget = await client.budgets.create_budget("day", limit_tokens=1, integration_id=iid)
        with pytest.raises(BudgetExceeded):
            await client.ai.chat(route.name, "Hello")
        versions = await client.ai_routes.list_route_versions(route.name)
        names = [r.name async for r in await client.ai_routes.list_routes()]
        report = await client.usage.get_usage(integration_id=iid)
        await client.budgets.delete_budget(budget.id)
        await client.ai_routes.delete_route(route.name)

    assert answer.content == "".join(texts) == HELLO
    assert stream.answer().served is not None
    assert [v.version for v in versions] == [1]
    assert route.name in names
    assert report.total.calls == 2


def test_a_stream_cut_by_the_provider_raises_the_gateways_error_after_the_text_it_gave(
    client: Interlink, gpt: tuple[str, str], mock: RunningMock[OpenAIMock]
) -> None:
    _, name = gpt
    mock.mock.cut_stream_after = 2
    try:
        with (
            client.ai.stream_chat(f"{name}/gpt-4o-mini", "Hello there, how are you") as stream,
            pytest.raises(ExternalServiceError) as cut,
        ):
            for _ in stream:
                pass
    finally:
        mock.mock.cut_stream_after = None

    assert cut.value.code == "EXTERNAL_SERVICE_ERROR"
    assert stream.answer().content
    assert stream.answer().served is None


COMPLETION = {
    "id": "chatcmpl-1",
    "model": "gpt-4o",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    "interlink": {"integration_id": "int_1", "model": "gpt-4o", "cost": "0.01"},
}


def test_a_chat_is_sent_again_only_when_its_connection_was_never_made() -> None:
    never_made = Recorder(httpx.ConnectError("refused"), httpx.Response(200, json=COMPLETION))
    broke = Recorder(httpx.ReadError("reset"), httpx.Response(200, json=COMPLETION))
    sleeps = Sleeps()

    answer = ChatClient("sk_x", transport=httpx.MockTransport(never_made), sleep=sleeps).chat(
        "smart", "Hello"
    )
    with pytest.raises(InterlinkConnectionError):
        ChatClient("sk_x", transport=httpx.MockTransport(broke), sleep=sleeps).chat("smart", "Hi")

    assert answer.served is not None
    assert (answer.content, answer.served.cost) == ("hi", "0.01")
    assert (len(never_made.requests), len(broke.requests)) == (2, 1)


def test_a_tool_call_comes_whole_and_streamed_and_a_range_of_usage_can_be_asked(
    client: Interlink, gpt: tuple[str, str]
) -> None:
    iid, name = gpt
    weather = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    asked = {"tools": [weather], "tool_choice": "required"}

    whole = client.ai.chat(f"{name}/gpt-4o", "The weather in Paris?", **asked)
    with client.ai.stream_chat(f"{name}/gpt-4o", "The weather in Paris?", **asked) as stream:
        list(stream)
    streamed = stream.answer()
    later = client.usage.get_usage(since=datetime.now(UTC) + timedelta(days=1), integration_id=iid)

    assert whole.finish_reason == streamed.finish_reason == "tool_calls"
    assert (
        [c.name for c in whole.tool_calls]
        == [c.name for c in streamed.tool_calls]
        == ["get_weather"]
    )
    assert json.loads(streamed.tool_calls[0].arguments).keys() == {"city"}
    assert streamed.tool_calls[0].id
    assert later.total.calls == 0
