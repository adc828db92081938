"""Profile `interlink serve` under operation load: py-spy records the server while this process
sends `get_repository` operations to it through the GitHub mock.

    python benchmarks/profile_operations.py [--requests 3000] [--concurrency 50] [--out prof.txt]

Needs `py-spy` (and the right to trace a child process). Writes py-spy's collapsed stacks to
`--out`, then prints the functions with the most samples, inclusive and exclusive.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from operations import free_port, load, mock_program, process, setup_integration


async def drive(requests: int, concurrency: int, out: Path) -> None:
    mock_port, api_port = free_port(), free_port()
    mock_url = f"http://127.0.0.1:{mock_port}"
    key = "sk_bench_0123456789abcdefghijklmn"
    api_env = {
        "INTERLINK_DATA_DIR": tempfile.mkdtemp(prefix="interlink-prof-"),
        "INTERLINK_PORT": str(api_port),
        "INTERLINK_ALLOW_PRIVATE_URLS": "true",
        "INTERLINK_API_RATE_LIMIT": "0",
        "INTERLINK_BOOTSTRAP_API_KEY": key,
        "INTERLINK_LOG_LEVEL": "warning",
    }
    python = sys.executable
    with (
        process([python, "-c", mock_program(mock_port)], {}, mock_url),
        process([python, "-m", "interlink", "serve"], api_env, f"http://x:{api_port}") as api_proc,
    ):
        api = f"http://127.0.0.1:{api_port}"
        integration_id = await setup_integration(api, key, mock_url)
        url = f"{api}/api/v1/integrations/{integration_id}/operations/get_repository"
        body = b'{"parameters": {"owner": "octo-org", "repo": "hello-world"}}'
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        await load("warm-up", "POST", url, headers, body, 200, concurrency)
        spy = subprocess.Popen(  # noqa: S603, ASYNC220 - our own tool, started once
            [str(Path(python).parent / "py-spy"), "record", "-r", "200", "-f", "raw", "-o",
             str(out), "--pid", str(api_proc.pid), "--nonblocking", "--gil"],
        )  # fmt: skip
        await asyncio.sleep(1)
        result = await load("interlink", "POST", url, headers, body, requests, concurrency)
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=30)
        print(result.row())


def summary(out: Path, top: int) -> None:
    inclusive: collections.Counter[str] = collections.Counter()
    exclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        n = int(count)
        total += n
        exclusive[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    print(f"{total} samples")
    for title, counter in (("inclusive", inclusive), ("exclusive", exclusive)):
        print(f"-- {title}")
        for frame, n in counter.most_common(top):
            print(f"{100 * n / total:6.1f}%  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path("profile.txt"))
    parser.add_argument("--top", type=int, default=60)
    args = parser.parse_args()
    asyncio.run(drive(args.requests, args.concurrency, args.out))
    summary(args.out, args.top)


if __name__ == "__main__":
    main()
