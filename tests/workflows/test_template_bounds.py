"""A template, a condition or a JMESPath search never takes more than its bounds of CPU time,
memory and output, whatever its shape: past one, the step fails naming the bound; and it runs in
a sandbox process, so the service keeps answering meanwhile."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from interlink.config import Settings
from interlink.workflows.templates import TemplateFailure, track
from tests.conftest import error, make_settings
from tests.jobs.conftest import worker_jobs
from tests.workflows.conftest import create_workflow, run_to_end, step_of

LOOPS = "{% for i in range(15000) %}{% for j in range(15000) %}{% endfor %}{% endfor %}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    (tmp_path / "data").mkdir(exist_ok=True)
    jobs = worker_jobs(workflow_template_cpu_seconds=0.5, workflow_template_memory_mb=64)
    return make_settings(tmp_path / "data", database_url, jobs=jobs)


def _transform(template: Any) -> list[dict[str, Any]]:
    return [{"name": "shape", "type": "transform", "config": {"template": template}}]


async def _failure(client: httpx.AsyncClient, steps: list[dict[str, Any]]) -> dict[str, Any]:
    workflow = await create_workflow(client, steps)
    ended = await run_to_end(client, workflow["id"], {"items": [1, 2, 3]})
    assert ended["status"] == "failed", ended
    failure: dict[str, Any] = step_of(ended, steps[-1]["name"])["error"]
    return failure


@pytest.mark.parametrize(
    ("template", "bound"),
    [
        ("{{ 'x' * 30000000 }}", "more than 1,000,000 characters"),
        ("{{ [0] * 30000000 }}", "more than 1,000,000 characters"),
        ("{{ 2 ** 10000000 }}", "more than 10,000 bits"),
        (LOOPS, "more than 0.5 s of CPU time"),
        (LOOPS.replace("{% endfor %}{% endfor %}", "x{% endfor %}{% endfor %}"), "characters"),
        ("{{ 'x' | center(900000000) }}", "more than 64 MB of memory"),
        ("{{ ('x' * 999999) | indent(999999) }}", "more than 1,000,000 characters"),
        ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "recurses too deeply"),
        (
            "{% set ns = namespace(s='x') %}"
            "{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
            "more than 64 MB of memory",
        ),
        ({"a": "{{ range(100000) | join(',') }}", "b": "{{ range(100000) | join(';') }}"}, "chars"),
    ],
    ids=[
        "string-repeat", "list-repeat", "power", "nested-loops", "loop-output", "center",
        "indent", "macro-recursion", "doubling", "several-strings",
    ],
)  # fmt: skip
async def test_a_template_past_a_bound_fails_its_step_naming_the_bound(
    client: httpx.AsyncClient, template: Any, bound: str
) -> None:
    failure = await _failure(client, _transform(template))

    assert failure["code"] == "TEMPLATE_ERROR"
    assert bound.replace("chars", "characters") in failure["message"], failure


async def test_a_condition_past_a_bound_or_on_a_missing_reference_fails_with_template_error(
    client: httpx.AsyncClient,
) -> None:
    heavy = {"name": "check", "type": "condition", "config": {"expression": "'x' * 10**8 == ''"}}
    missing = {"name": "check", "type": "condition", "config": {"expression": "input.nope > 1"}}

    past = await _failure(client, [heavy])
    absent = await _failure(client, [missing])

    assert (past["code"], absent["code"]) == ("TEMPLATE_ERROR", "TEMPLATE_ERROR")
    assert "more than 1,000,000 characters" in past["message"]
    assert "`input.nope` does not exist" in absent["message"]


async def test_a_jmespath_search_past_its_memory_bound_fails_the_transform(
    client: httpx.AsyncClient,
) -> None:
    doubling = "[@, @] | to_string(@) | " * 40 + "length(@)"
    step = {"name": "shape", "type": "transform", "config": {"jmespath": doubling}}

    failure = await _failure(client, [step])

    assert failure["code"] == "TRANSFORM_ERROR"
    assert "more than 64 MB of memory" in failure["message"]


async def test_templates_within_bounds_still_render_with_loops_filters_and_references(
    client: httpx.AsyncClient,
) -> None:
    template = {
        "listed": "{% for i in input.items %}{{ i * 2 }},{% endfor %}",
        "count": "{{ input.items | length }}",
        "same": "{{ input.items }}",
        "text": "n={{ input.items[0] }}",
    }
    workflow = await create_workflow(client, _transform(template))

    ended = await run_to_end(client, workflow["id"], {"items": [1, 2, 3]})

    assert ended["status"] == "completed", ended
    assert ended["output"] == {"listed": "2,4,6,", "count": 3, "same": [1, 2, 3], "text": "n=1"}


async def test_a_template_whose_compile_takes_too_long_is_refused_at_save(
    client: httpx.AsyncClient,
) -> None:
    chained = "{{ input" + ".a" * 250 + " }}"  # Jinja's compile of it is superlinear
    body = {"name": "x", "definition": {"steps": _transform(chained)}}

    response = await client.post("/api/v1/workflows", json=body)

    assert response.status_code == 400, response.text
    [detail] = error(response)["details"]
    assert detail["field"] == "config.template"
    assert "more than 0.5 s of CPU time" in detail["message"]


async def test_a_long_render_runs_beside_the_event_loop_which_keeps_answering(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    sandbox = app.state.services.workflows.sandbox
    render = asyncio.create_task(sandbox.render({"x": LOOPS}, track({"input": {}})))

    health = await client.get("/healthz")

    assert health.status_code == 200
    assert not render.done()  # answered while the render was still going on elsewhere
    with pytest.raises(TemplateFailure, match="CPU time"):
        await render
