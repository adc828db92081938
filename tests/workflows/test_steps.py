"""Each step type end to end through the API and a worker, with data passed between steps."""

from __future__ import annotations

import json

import httpx
from aiohttp import web

from tests.helpers.integrations import http_integration
from tests.transport.conftest import Upstream, status
from tests.workflows.conftest import create_workflow, run_to_end, step_of


async def test_templates_pass_input_and_step_outputs_and_keep_native_types(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    workflow = await create_workflow(
        client,
        [
            {"name": "values", "type": "set", "config": {"values": {"n": "{{ input.count * 2 }}"}}},
            {
                "name": "post",
                "type": "http_request",
                "config": {
                    "method": "POST",
                    "url": f"{upstream.url}/customers",
                    "body": {
                        "email": "{{ input.customer.email }}",
                        "count": "{{ steps.values.output.n }}",
                        "label": "n={{ steps.values.output.n }}",
                    },
                },
            },
            {
                "name": "shape",
                "type": "transform",
                "config": {"jmespath": "{ok: steps.post.output.body.ok, n: steps.values.output.n}"},
            },
        ],
    )

    ended = await run_to_end(
        client, workflow["id"], {"customer": {"email": "a@example.com"}, "count": 21}
    )

    assert ended["status"] == "completed", [s["error"] for s in ended["steps"]]
    sent = json.loads(upstream.seen[0]["body"])
    assert sent == {"email": "a@example.com", "count": 42, "label": "n=42"}
    key = upstream.seen[0]["headers"]["Idempotency-Key"]
    assert key == f"{ended['id']}:post"
    assert ended["output"] == {"ok": True, "n": 42}
    assert [s["status"] for s in ended["steps"]] == ["completed"] * 3


async def test_a_missing_reference_fails_the_step_naming_the_full_path(
    client: httpx.AsyncClient,
) -> None:
    workflow = await create_workflow(
        client,
        [
            {
                "name": "say",
                "type": "set",
                "config": {"values": {"to": "{{ input.customer.email }}"}},
            }
        ],
    )

    ended = await run_to_end(client, workflow["id"], {"customer": {"name": "Ann"}})

    assert ended["status"] == "failed"
    error = step_of(ended, "say")["error"]
    assert error["code"] == "TEMPLATE_ERROR"
    assert "input.customer.email" in error["message"]
    assert ended["error"]["step"] == "say"


async def test_the_sandbox_refuses_python_internals(client: httpx.AsyncClient) -> None:
    workflow = await create_workflow(
        client,
        [
            {
                "name": "escape",
                "type": "set",
                "config": {"values": {"x": "{{ ''.__class__.__mro__[1].__subclasses__() }}"}},
            }
        ],
    )

    ended = await run_to_end(client, workflow["id"])

    assert ended["status"] == "failed"
    assert step_of(ended, "escape")["error"]["code"] == "TEMPLATE_ERROR"


async def test_a_condition_runs_the_chosen_branch_and_skips_the_other(
    client: httpx.AsyncClient,
) -> None:
    steps = [
        {
            "name": "check",
            "type": "condition",
            "config": {"expression": "input.amount > 100", "then": ["big"], "else": ["small"]},
        },
        {"name": "big", "type": "set", "config": {"values": {"size": "big"}}},
        {"name": "small", "type": "set", "config": {"values": {"size": "small"}}},
        {"name": "after", "type": "set", "config": {"values": {"done": True}}},
    ]
    workflow = await create_workflow(client, steps)

    large = await run_to_end(client, workflow["id"], {"amount": 500})
    small = await run_to_end(client, workflow["id"], {"amount": 5})

    assert [s["status"] for s in large["steps"]] == [
        "completed",
        "completed",
        "skipped",
        "completed",
    ]
    assert [s["status"] for s in small["steps"]] == [
        "completed",
        "skipped",
        "completed",
        "completed",
    ]
    assert step_of(large, "check")["output"] == {"result": True, "next": ["big"]}


async def test_foreach_runs_each_item_in_order_with_bounded_concurrency(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    workflow = await create_workflow(
        client,
        [
            {
                "name": "each",
                "type": "foreach",
                "config": {
                    "items": "{{ input.names }}",
                    "concurrency": 2,
                    "step": {
                        "type": "http_request",
                        "config": {"method": "POST", "url": f"{upstream.url}/hello/{{{{ item }}}}"},
                    },
                },
            }
        ],
    )

    ended = await run_to_end(client, workflow["id"], {"names": ["ann", "bob", "cy"]})

    assert ended["status"] == "completed", [s["error"] for s in ended["steps"]]
    assert sorted(s["path"] for s in upstream.seen) == ["/hello/ann", "/hello/bob", "/hello/cy"]
    keys = sorted(s["headers"]["Idempotency-Key"] for s in upstream.seen)
    assert keys == [f"{ended['id']}:each:{i}" for i in range(3)]
    assert [o["status"] for o in step_of(ended, "each")["output"]] == [200, 200, 200]


async def test_an_action_step_runs_the_operation_and_records_it(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    iid = await http_integration(client, upstream.url)
    workflow = await create_workflow(
        client,
        [
            {
                "name": "call",
                "type": "action",
                "config": {
                    "integration_id": iid,
                    "operation": "request",
                    "parameters": {"method": "GET", "path": "/things/{{ input.id }}"},
                },
            },
            {
                "name": "status",
                "type": "set",
                "config": {"values": {"s": "{{ steps.call.output.status }}"}},
            },
        ],
    )

    ended = await run_to_end(client, workflow["id"], {"id": 7})

    assert ended["status"] == "completed", [s["error"] for s in ended["steps"]]
    assert ended["output"] == {"s": 200}
    assert [s["path"] for s in upstream.seen] == ["/things/7"]
    history = (await client.get(f"/api/v1/integrations/{iid}/operations/history")).json()
    assert history["data"]["items"][0]["status"] == "completed"


async def test_retry_option_repeats_a_failing_step_then_on_error_continue_goes_on(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    upstream.script(status(400), status(400))
    workflow = await create_workflow(
        client,
        [
            {
                "name": "flaky",
                "type": "http_request",
                "config": {"url": f"{upstream.url}/flaky"},
                "retry": {"max_attempts": 2, "backoff_seconds": 0},
                "on_error": "continue",
            },
            {"name": "next", "type": "set", "config": {"values": {"went_on": True}}},
        ],
    )

    ended = await run_to_end(client, workflow["id"])

    assert ended["status"] == "completed", [s["error"] for s in ended["steps"]]
    flaky = step_of(ended, "flaky")
    assert flaky["status"] == "failed"
    assert flaky["attempts"] == 2
    assert len(upstream.seen) == 2
    assert ended["output"] == {"went_on": True}


async def test_on_error_runs_the_compensation_step_then_fails(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    upstream.script(status(400))
    workflow = await create_workflow(
        client,
        [
            {
                "name": "charge",
                "type": "http_request",
                "config": {"method": "POST", "url": f"{upstream.url}/charge"},
                "on_error": "refund",
            },
            {"name": "ship", "type": "set", "config": {"values": {"shipped": True}}},
            {
                "name": "refund",
                "type": "http_request",
                "config": {"method": "POST", "url": f"{upstream.url}/refund"},
            },
        ],
    )

    ended = await run_to_end(client, workflow["id"])

    assert ended["status"] == "failed"
    assert ended["error"]["step"] == "charge"
    assert [s["path"] for s in upstream.seen] == ["/charge", "/refund"]
    assert step_of(ended, "refund")["status"] == "completed"
    assert step_of(ended, "ship")["status"] == "skipped"


async def test_a_step_timeout_fails_it_with_step_timeout(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    async def hang(_: web.Request) -> web.Response:
        import asyncio

        await asyncio.sleep(5)
        return web.json_response({})

    upstream.script(hang)
    workflow = await create_workflow(
        client,
        [
            {
                "name": "slow",
                "type": "http_request",
                "config": {"url": f"{upstream.url}/slow"},
                "timeout": 0.2,
            }
        ],
    )

    ended = await run_to_end(client, workflow["id"])

    assert ended["status"] == "failed"
    assert step_of(ended, "slow")["error"]["code"] == "STEP_TIMEOUT"


async def test_a_delay_waits_then_goes_on(client: httpx.AsyncClient) -> None:
    workflow = await create_workflow(
        client,
        [
            {"name": "wait", "type": "delay", "config": {"seconds": 0.1}},
            {"name": "after", "type": "set", "config": {"values": {"ok": True}}},
        ],
    )

    ended = await run_to_end(client, workflow["id"])

    assert ended["status"] == "completed", [s["error"] for s in ended["steps"]]
    assert step_of(ended, "wait")["status"] == "completed"
    assert step_of(ended, "wait")["output"] == {"seconds": 0.1}
