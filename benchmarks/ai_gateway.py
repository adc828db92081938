"""Chat completions through Interlink's OpenAI-compatible gateway vs straight to the OpenAI mock,
measured in the same run.

    python -m benchmarks.ai_gateway [--requests 1500] [--concurrency 50] [--single 300]
                                    [--rounds 3]

Two servers, each a real process on 127.0.0.1: the openai provider's mock (rate limits out of the
way) and `interlink serve` on SQLite with an `openai` integration pointing at it. The load comes
from this process with aiohttp: the same chat completion posted to the mock's
`/v1/chat/completions` and to the gateway's `/api/v1/ai/openai/v1/chat/completions` (model
`bench/gpt-4o-mini`), whole and streamed (`stream: true`), and as the integration's `chat`
operation (the same provider call through the operations API, for comparison), at N concurrent
clients (`--requests` calls per path) and at one (`--single`). Paths take turns, `--rounds`
times, so that a slow spell of the shared host weighs on all alike. Prints ops/s, p50 and p99 of
each path, p50 time to the first streamed event, and the gateway's added p50, added time to
first token and throughput ratio. Every gateway call is metered (a usage row written) as in
production. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.operations import TIME_LIMIT, Result, free_port, process  # noqa: E402

TOKEN = "sk-bench-openai-token"  # noqa: S105 - the mock's test token
KEY = "sk_bench_0123456789abcdefghijklmn"
PROMPT = [{"role": "user", "content": "Tell me about rate limits in a few words"}]


def mock_program(port: int) -> str:
    return (
        "import asyncio\n"
        "from interlink.providers.openai.mock import OpenAIMock\n"
        "from interlink.testing import serve_mock\n"
        "async def main():\n"
        f"    mock = OpenAIMock(token={TOKEN!r}, requests_per_minute=10**9,"
        " tokens_per_minute=10**12)\n"
        f"    async with serve_mock(mock, port={port}):\n"
        "        await asyncio.Event().wait()\n"
        "asyncio.run(main())\n"
    )


@dataclass
class Streamed(Result):
    first: list[float] = field(default_factory=list)  # seconds to the first event

    def first_p50(self) -> float:
        ordered = sorted(self.first)
        return ordered[len(ordered) // 2] * 1000 if ordered else 0.0

    @classmethod
    def merged(cls, parts: list[Result]) -> Streamed:
        whole = Result.merged(parts)
        firsts = [s for p in parts if isinstance(p, Streamed) for s in p.first]
        return cls(whole.name, whole.clients, whole.count, whole.seconds, whole.latencies,
                   whole.errors, firsts)  # fmt: skip

    def row(self) -> str:
        return super().row() + (f"{self.first_p50():>10.2f}" if self.first else f"{'':>10}")


async def load(name: str, url: str, headers: dict[str, str], body: bytes, total: int,
               clients: int, stream: bool) -> Streamed:  # fmt: skip
    result = Streamed(name, clients, 0, 0.0, [], 0)
    remaining = total
    deadline = time.perf_counter() + TIME_LIMIT
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as http:

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                started = time.perf_counter()
                async with http.post(url, headers=headers, data=body) as answer:
                    if answer.status >= 400:
                        result.errors += 1
                    if stream:
                        async for line in answer.content:
                            if line.startswith(b"data:"):
                                result.first.append(time.perf_counter() - started)
                                break
                    await answer.read()
                result.latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(clients)])
        result.seconds = time.perf_counter() - began
    result.count = len(result.latencies)
    return result


async def setup(api: str, mock_url: str) -> str:
    body = {
        "name": "bench",
        "type": "openai",
        "configuration": {"api_url": f"{mock_url}/v1", "auth_method": "api_key"},
        "credentials": {"api_key": TOKEN},
    }
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {KEY}"}) as http:
        async with http.post(f"{api}/api/v1/integrations", json=body) as created:
            integration_id = str((await created.json())["data"]["id"])
        async with http.post(f"{api}/api/v1/integrations/{integration_id}/activate") as activated:
            assert activated.status == 200, await activated.text()
    return integration_id


async def measure(requests: int, concurrency: int, single: int, rounds: int) -> list[Streamed]:
    mock_port, api_port = free_port(), free_port()
    mock_url, api = f"http://127.0.0.1:{mock_port}", f"http://127.0.0.1:{api_port}"
    api_env = {
        "INTERLINK_DATA_DIR": tempfile.mkdtemp(prefix="interlink-bench-"),
        "INTERLINK_PORT": str(api_port),
        "INTERLINK_ALLOW_PRIVATE_URLS": "true",
        "INTERLINK_API_RATE_LIMIT": "0",
        "INTERLINK_BOOTSTRAP_API_KEY": KEY,
        "INTERLINK_LOG_LEVEL": "warning",
    }
    results: list[Streamed] = []
    with (
        process([sys.executable, "-c", mock_program(mock_port)], {}, mock_url),
        process([sys.executable, "-m", "interlink", "serve"], api_env, api),
    ):
        integration_id = await setup(api, mock_url)
        json_type = {"Content-Type": "application/json"}
        direct = (
            f"{mock_url}/v1/chat/completions",
            {**json_type, "Authorization": f"Bearer {TOKEN}"},
        )
        gateway = (f"{api}/api/v1/ai/openai/v1/chat/completions",
                   {**json_type, "Authorization": f"Bearer {KEY}"})  # fmt: skip
        paths: list[tuple[str, str, dict[str, str], bytes, bool]] = []
        for stream in (False, True):
            kind = "streamed" if stream else "whole"
            for name, (url, headers), model in (
                ("direct", direct, "gpt-4o-mini"), ("gateway", gateway, "bench/gpt-4o-mini"),
            ):  # fmt: skip
                asked = {"model": model, "messages": PROMPT, "max_tokens": 50, "stream": stream}
                paths.append((f"{name} {kind}", url, headers, json.dumps(asked).encode(), stream))
        operation = {"model": "gpt-4o-mini", "messages": PROMPT, "max_tokens": 50}
        paths.append((
            "operation whole", f"{api}/api/v1/integrations/{integration_id}/operations/chat",
            gateway[1], json.dumps({"parameters": operation}).encode(), False,
        ))  # fmt: skip
        for clients, count in ((concurrency, requests), (1, single)):
            _, url, headers, body, _ = paths[1]
            await load("warm-up", url, headers, body, 100, clients, False)
            by_path: dict[str, list[Result]] = {p[0]: [] for p in paths}
            for _ in range(rounds):
                for name, url, headers, body, stream in paths:
                    part = await load(name, url, headers, body, max(1, count // rounds), clients,
                                      stream)  # fmt: skip
                    by_path[name].append(part)
            results.extend(Streamed.merged(parts) for parts in by_path.values())
    return results


def report(results: list[Streamed]) -> None:
    print(
        f"{'path':<22}{'clients':>8}{'ops/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}"
        f"{'1st ms':>10}"
    )
    for result in results:
        print(result.row())
    for clients in sorted({r.clients for r in results}, reverse=True):
        by = {r.name: r for r in results if r.clients == clients}
        for kind in ("whole", "streamed"):
            ours, theirs = by[f"gateway {kind}"], by[f"direct {kind}"]
            line = (
                f"{clients} clients, {kind}: gateway/direct throughput "
                f"{ours.rate / theirs.rate:.2f}; added p50 {ours.pct(0.5) - theirs.pct(0.5):.2f} ms"
            )
            if kind == "streamed":
                line += (
                    f"; added time to first event {ours.first_p50() - theirs.first_p50():.2f} ms"
                )
            print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--single", type=int, default=300, help="calls per path at one client")
    parser.add_argument("--rounds", type=int, default=3, help="turns each path takes")
    args = parser.parse_args()
    rounds = max(1, args.rounds)
    report(asyncio.run(measure(args.requests, args.concurrency, max(1, args.single), rounds)))


if __name__ == "__main__":
    main()
