"""What one tenant flooding the API over its key's request limit costs the other tenants.

    python benchmarks/tenant_flood.py [--tenants 10] [--clients 4] [--flood-clients 8]
                                      [--flood-rate 500] [--seconds 8] [--rounds 3]
                                      [--flood-limit 60/minute]

Built like operations.py: the GitHub mock and `interlink serve` on SQLite are real processes on
127.0.0.1. Each tenant is a workspace of its own with a GitHub integration pointing at the mock
and an API key (`--calm-limit` for the calm tenants, `--flood-limit` for the flooder). The calm
tenants (all but one) run `get_repository` operations from this process, `--clients` connections
each. The flooder, a child process of its own as another machine would be, sends the same
operation at `--flood-rate` a second over `--flood-clients` connections (with `--flood-rate 0`,
each call as soon as the last was answered), nearly all of it over its limit (429). At a set rate
the flooder's own CPU, on a machine it shares with the server, is the same before and after a
change of the server; as fast as answered, a cheaper 429 makes it send more. The calm run (no
flooder) and the flooded run take turns, `--rounds` times, so that a slow spell of the host weighs
on both; each round ends with the flooder alone, to read the server's CPU per 429 (Linux /proc).
Prints the calm tenants' throughput and p50/p95 without and with the flooder, the flooder's
rate, the server's CPU per calm operation and per 429, and the ratio. Bounded in time; loopback
only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from operations import free_port, mock_program, process, setup_integration

ADMIN_KEY = "sk_bench_0123456789abcdefghijklmn"
OPERATION_BODY = json.dumps({"parameters": {"owner": "octo-org", "repo": "hello-world"}}).encode()


@dataclass(frozen=True)
class Tenant:
    url: str  # its operation's URL
    key: str


@dataclass
class Run:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    client_cpu: float = 0.0  # seconds of CPU the calling process used (the flooder's)

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0

    def errors(self, but: int = 0) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 400 and status != but)


async def drive(tenants: list[Tenant], clients: int, seconds: float, rate: float = 0) -> Run:
    """Each tenant's `clients` connections call its operation, one call after another, until
    `seconds` have passed; at `rate` calls per second in all when given (a connection still
    waits for its answer), else each call as soon as the last one was answered."""
    run = Run(seconds)
    interval = clients * len(tenants) / rate if rate else 0.0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker(tenant: Tenant) -> None:
            headers = {"Authorization": f"Bearer {tenant.key}", "Content-Type": "application/json"}
            due = time.perf_counter()
            while time.perf_counter() < deadline:
                if interval:
                    due += interval
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                started = time.perf_counter()
                async with http.post(tenant.url, headers=headers, data=OPERATION_BODY) as answer:
                    await answer.read()
                run.latencies.append(time.perf_counter() - started)
                run.statuses[answer.status] = run.statuses.get(answer.status, 0) + 1

        await asyncio.gather(*[worker(t) for t in tenants for _ in range(clients)])
    return run


async def make_tenants(api: str, mock_url: str, count: int, limits: list[str]) -> list[Tenant]:
    """`count` workspaces, each with an integration on the mock and a key with its own limit."""
    tenants = []
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as http:
        for number in range(count):
            async with http.post(f"{api}/api/v1/workspaces", json={"name": f"t{number}"}) as made:
                admin = str((await made.json())["data"]["admin_key"]["key"])
            integration_id = await setup_integration(api, admin, mock_url)
            scopes = {
                "name": "load",
                "scopes": ["integrations:write"],
                "rate_limit": limits[number],
            }
            headers = {"Authorization": f"Bearer {admin}"}
            async with http.post(f"{api}/api/v1/api-keys", json=scopes, headers=headers) as key:
                assert key.status == 201, await key.text()
                plaintext = str((await key.json())["data"]["key"])
            url = f"{api}/api/v1/integrations/{integration_id}/operations/get_repository"
            tenants.append(Tenant(url, plaintext))
    return tenants


def start_flooder(
    tenant: Tenant, options: argparse.Namespace, seconds: float
) -> subprocess.Popen[str]:
    args = [
        sys.executable,
        __file__,
        "--flood-only",
        tenant.url,
        tenant.key,
        "--seconds",
        str(seconds),
    ]
    args += ["--flood-clients", str(options.flood_clients), "--flood-rate", str(options.flood_rate)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True)  # noqa: S603 - this script


async def flood_result(spawned: subprocess.Popen[str]) -> Run:
    out, _ = await asyncio.to_thread(spawned.communicate)
    found = json.loads(out)
    statuses = {int(status): n for status, n in found["statuses"].items()}
    latencies = [ms / 1000 for ms in found["latencies_ms"]]
    return Run(found["seconds"], latencies, statuses, client_cpu=found["cpu"])


async def flooded(calm: list[Tenant], flooder: Tenant, args: argparse.Namespace) -> tuple[Run, Run]:
    spawned = start_flooder(flooder, args, args.seconds + 2)
    await asyncio.sleep(1)  # the flooder connects and reaches its pace before the measure starts
    measured = await drive(calm, args.clients, args.seconds)
    return measured, await flood_result(spawned)


class ServerCpu:
    """CPU seconds the server process has used (Linux /proc), less its idle pace (the embedded
    worker's polling), measured for a second before each measure."""

    def __init__(self, pid: int) -> None:
        self.stat = Path(f"/proc/{pid}/stat")
        self.idle_per_second = 0.0

    def used(self) -> float:
        fields = self.stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def per_request(self, work: Callable[[], Awaitable[Run]]) -> tuple[float, Run]:
        """Microseconds of server CPU per request that `work()` made, and its run."""
        await self.settle()
        began, started = self.used(), time.perf_counter()
        run = await work()
        spent = self.used() - began - self.idle_per_second * (time.perf_counter() - started)
        return spent / max(1, run.count) * 1e6, run

    async def settle(self) -> None:
        began = self.used()
        await asyncio.sleep(1)  # measuring the idle pace: nothing else to wait on
        self.idle_per_second = self.used() - began


@dataclass
class Measured:
    calm: list[Run] = field(default_factory=list)
    flooded: list[Run] = field(default_factory=list)
    floods: list[Run] = field(default_factory=list)
    cpu_per_operation: list[float] = field(default_factory=list)  # us, calm run
    cpu_per_refusal: list[float] = field(default_factory=list)  # us, the flooder alone


async def measure(args: argparse.Namespace) -> Measured:
    mock_port, api_port = free_port(), free_port()
    mock_url = f"http://127.0.0.1:{mock_port}"
    api_env = {
        "INTERLINK_DATA_DIR": tempfile.mkdtemp(prefix="interlink-bench-"),
        "INTERLINK_PORT": str(api_port),
        "INTERLINK_ALLOW_PRIVATE_URLS": "true",
        "INTERLINK_BOOTSTRAP_API_KEY": ADMIN_KEY,
        "INTERLINK_LOG_LEVEL": "warning",
    }
    python = sys.executable
    out = Measured()
    with (
        process([python, "-c", mock_program(mock_port)], {}, mock_url),
        process([python, "-m", "interlink", "serve"], api_env, f"http://x:{api_port}") as server,
    ):
        api = f"http://127.0.0.1:{api_port}"
        limits = [args.flood_limit] + [args.calm_limit] * (args.tenants - 1)
        flooder, *calm = await make_tenants(api, mock_url, args.tenants, limits)
        await drive(calm, args.clients, 2)  # warm-up
        cpu = ServerCpu(server.pid)
        for _ in range(args.rounds):  # taking turns, a slow spell of the host hits every run
            per_operation, run = await cpu.per_request(
                lambda: drive(calm, args.clients, args.seconds)
            )
            out.cpu_per_operation.append(per_operation)
            out.calm.append(run)
            measured, flood = await flooded(calm, flooder, args)
            out.flooded.append(measured)
            out.floods.append(flood)
            per_refusal, _ = await cpu.per_request(
                lambda: flood_result(start_flooder(flooder, args, args.seconds / 2))
            )
            out.cpu_per_refusal.append(per_refusal)
    return out


def merged(runs: list[Run]) -> Run:
    out = Run(sum(r.seconds for r in runs))
    for run in runs:
        out.latencies += run.latencies
        out.client_cpu += run.client_cpu
        for status, n in run.statuses.items():
            out.statuses[status] = out.statuses.get(status, 0) + n
    return out


def report(found: Measured) -> None:
    calm, flooded, flood = merged(found.calm), merged(found.flooded), merged(found.floods)
    print(f"{'calm tenants':<26}{'ops/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'errors':>8}")
    for name, run in (("without the flooder", calm), ("with the flooder", flooded)):
        print(
            f"{name:<26}{run.rate:>10.0f}{run.pct(0.5):>10.2f}{run.pct(0.95):>10.2f}"
            f"{run.errors():>8}"
        )
    refused = flood.statuses.get(429, 0)
    print(
        f"{'flooder':<26}{flood.rate:>10.0f}{flood.pct(0.5):>10.2f}{flood.pct(0.95):>10.2f}"
        f"{flood.errors(but=429):>8}   ({refused / max(1, len(flood.latencies)):.1%} answered 429)"
    )
    print(
        f"server CPU per calm operation {statistics.median(found.cpu_per_operation):.0f} us, "
        f"per 429 {statistics.median(found.cpu_per_refusal):.0f} us (medians of the rounds); "
        f"the flooder's own, per request {flood.client_cpu / max(1, flood.count) * 1e6:.0f} us"
    )
    print(
        f"with the flooder the calm tenants keep {flooded.rate / calm.rate:.2f} of their "
        f"throughput; p95 {calm.pct(0.95):.1f} -> {flooded.pct(0.95):.1f} ms"
    )


async def flood_only(url: str, key: str, clients: int, seconds: float, rate: float) -> None:
    began = time.process_time()
    run = await drive([Tenant(url, key)], clients, seconds, rate)
    cpu = time.process_time() - began
    ms = [round(x * 1000, 3) for x in run.latencies]
    print(
        json.dumps({"seconds": seconds, "latencies_ms": ms, "statuses": run.statuses, "cpu": cpu})
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--clients", type=int, default=4, help="connections per calm tenant")
    parser.add_argument("--flood-clients", type=int, default=8, help="the flooder's connections")
    parser.add_argument("--seconds", type=float, default=8.0, help="per run")
    parser.add_argument("--rounds", type=int, default=3, help="turns each run takes")
    parser.add_argument(
        "--flood-rate",
        type=float,
        default=500,
        help="the flooder's requests/s; 0: as fast as answered",
    )
    parser.add_argument("--flood-limit", default="60/minute", help="the flooder's key limit")
    parser.add_argument("--calm-limit", default="100000/minute", help="the others' key limit")
    parser.add_argument("--flood-only", nargs=2, metavar=("URL", "KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flood_only:
        asyncio.run(flood_only(*args.flood_only, args.flood_clients, args.seconds, args.flood_rate))
        return
    report(asyncio.run(measure(args)))


if __name__ == "__main__":
    main()
