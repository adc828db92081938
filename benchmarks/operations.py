"""Interlink operations against the GitHub mock, beside two baselines measured in the same run.

    python benchmarks/operations.py [--requests 3000] [--concurrency 50] [--single 1500]
                                    [--rounds 3]

Four servers, each a real process on 127.0.0.1: the GitHub mock; a bare proxy (an ASGI app that
forwards to the mock with one shared aiohttp session, no database); a FastAPI proxy (the same
behind a FastAPI endpoint with a JSON body: the framework's own cost); and `interlink serve` on
SQLite with a GitHub integration pointing at the mock. The load comes from this process with
aiohttp, at N concurrent clients (`--requests` calls per path) and at one client (`--single` calls
per path, enough for a steady median; about a millisecond each): calls made directly to the mock,
through each proxy, and as Interlink `get_repository` operations. The four paths take turns,
`--rounds` times, each with its share of the requests, so that a slow spell of the host (seen here
on shared machines) weighs on all of them alike. Prints ops/s, p50 and p99 of each path over its
rounds and Interlink's ratios to the proxies. Bounded in count and time; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

TOKEN = "ghp_bench_token"  # noqa: S105 - the mock's test token
ROOT = Path(__file__).resolve().parent.parent
TIME_LIMIT = 120.0  # seconds per measured run, at most


def mock_program(port: int) -> str:
    """A Python program serving the GitHub mock on `port`, for `python -c`."""
    return (
        "import asyncio; from interlink.testing import GitHubMock, serve_mock\n"
        "async def main():\n"
        f"    mock = GitHubMock(token={TOKEN!r}, rate_limit=10**9)\n"
        f"    async with serve_mock(mock, port={port}):\n"
        "        await asyncio.Event().wait()\n"
        "asyncio.run(main())\n"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def process(
    args: list[str], env: dict[str, str], ready_url: str
) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(  # noqa: S603 - our own programs
        args,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", int(ready_url.rsplit(":", 1)[1])), 0.2):
                    break
            except OSError:
                time.sleep(0.1)  # waiting for start-up, not timing anything
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@dataclass
class Result:
    name: str
    clients: int
    count: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    @classmethod
    def merged(cls, parts: list[Result]) -> Result:
        first = parts[0]
        return cls(
            first.name,
            first.clients,
            sum(p.count for p in parts),
            sum(p.seconds for p in parts),
            [latency for p in parts for latency in p.latencies],
            sum(p.errors for p in parts),
        )

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def row(self) -> str:
        return (
            f"{self.name:<22}{self.clients:>8}{self.rate:>10.0f}{self.pct(0.5):>10.2f}"
            f"{self.pct(0.99):>10.2f}{self.errors:>8}"
        )


async def load(
    name: str,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    total: int,
    clients: int,
) -> Result:
    latencies: list[float] = []
    errors = 0
    remaining = total
    deadline = time.perf_counter() + TIME_LIMIT
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                started = time.perf_counter()
                async with http.request(method, url, headers=headers, data=body) as answer:
                    await answer.read()
                    if answer.status >= 400:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(clients)])
        elapsed = time.perf_counter() - began
    return Result(name, clients, len(latencies), elapsed, latencies, errors)


async def setup_integration(api: str, key: str, mock_url: str) -> str:
    headers = {"Authorization": f"Bearer {key}"}
    body = {
        "name": "bench",
        "type": "github",
        "configuration": {"api_url": mock_url, "auth_method": "oauth"},
        "credentials": {"access_token": TOKEN},
    }
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.post(f"{api}/api/v1/integrations", json=body) as created:
            integration_id = str((await created.json())["data"]["id"])
        async with http.post(f"{api}/api/v1/integrations/{integration_id}/activate") as activated:
            assert activated.status == 200
    return integration_id


async def measure(requests: int, concurrency: int, single: int, rounds: int) -> list[Result]:
    mock_port, proxy_port, api_port = free_port(), free_port(), free_port()
    fastapi_port = free_port()
    mock_url = f"http://127.0.0.1:{mock_port}"
    data_dir = Path(tempfile.mkdtemp(prefix="interlink-bench-"))
    python = sys.executable
    key = "sk_bench_0123456789abcdefghijklmn"
    api_env = {
        "INTERLINK_DATA_DIR": str(data_dir),
        "INTERLINK_PORT": str(api_port),
        "INTERLINK_ALLOW_PRIVATE_URLS": "true",
        "INTERLINK_API_RATE_LIMIT": "0",
        "INTERLINK_BOOTSTRAP_API_KEY": key,
        "INTERLINK_LOG_LEVEL": "warning",
    }
    proxy_env = {"BENCH_UPSTREAM": mock_url, "BENCH_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    results: list[Result] = []
    with (
        process([python, "-c", mock_program(mock_port)], {}, mock_url),
        process(
            [
                python,
                "-m",
                "uvicorn",
                "benchmarks.proxy_app:app",
                "--port",
                str(proxy_port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            proxy_env,
            f"http://x:{proxy_port}",
        ),
        process(
            [
                python,
                "-m",
                "uvicorn",
                "benchmarks.fastapi_proxy_app:app",
                "--port",
                str(fastapi_port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            proxy_env,
            f"http://x:{fastapi_port}",
        ),
        process([python, "-m", "interlink", "serve"], api_env, f"http://x:{api_port}"),
    ):
        api = f"http://127.0.0.1:{api_port}"
        integration_id = await setup_integration(api, key, mock_url)
        auth = {"Authorization": f"Bearer {TOKEN}"}
        run_url = f"{api}/api/v1/integrations/{integration_id}/operations/get_repository"
        run_body = json.dumps({"parameters": {"owner": "octo-org", "repo": "hello-world"}}).encode()
        run_headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        paths = [
            ("direct to mock", "GET", f"{mock_url}/repos/octo-org/hello-world", auth, None),
            ("bare proxy", "GET", f"http://127.0.0.1:{proxy_port}/repo", {}, None),
            (
                "fastapi proxy",
                "POST",
                f"http://127.0.0.1:{fastapi_port}/repo",
                {"Content-Type": "application/json"},
                run_body,
            ),
            ("interlink operation", "POST", run_url, run_headers, run_body),
        ]
        for clients, count in ((concurrency, requests), (1, single)):
            await load("warm-up", "POST", run_url, run_headers, run_body, 200, clients)
            per_round = max(1, count // rounds)
            by_path: dict[str, list[Result]] = {name: [] for name, *_ in paths}
            for _ in range(rounds):  # the paths take turns, so a slow spell of the host hits all
                for name, method, url, headers, body in paths:
                    measured = await load(name, method, url, headers, body, per_round, clients)
                    by_path[name].append(measured)
            results.extend(Result.merged(parts) for parts in by_path.values())
    return results


def report(results: list[Result]) -> None:
    print(f"{'path':<22}{'clients':>8}{'ops/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for result in results:
        print(result.row())
    for clients in sorted({r.clients for r in results}, reverse=True):
        by = {r.name: r for r in results if r.clients == clients}
        ours, proxy, framework = by["interlink operation"], by["bare proxy"], by["fastapi proxy"]
        print(
            f"{clients} clients: interlink/proxy throughput {ours.rate / proxy.rate:.2f}; "
            f"added p50 over proxy {ours.pct(0.5) - proxy.pct(0.5):.2f} ms; "
            f"interlink/fastapi proxy throughput {ours.rate / framework.rate:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--single", type=int, default=1500, help="calls per path at one client")
    parser.add_argument("--rounds", type=int, default=3, help="turns each path takes")
    args = parser.parse_args()
    rounds = max(1, args.rounds)
    report(asyncio.run(measure(args.requests, args.concurrency, max(1, args.single), rounds)))


if __name__ == "__main__":
    main()
