"""What an MCP host waits for: server start-up, tool listing, routing, and a prompt-to-MP4 run.

.venv/bin/python benchmarks/bench_mcp.py [--rounds N]

Spawns `python -m nemo_skills mcp` over stdio against a local backend on 127.0.0.1 (in
temporary config and data folders), drives it with the mcp SDK's client, and prints
median timings. Also prints import times: `import nemo_skills` (the lazy public API),
the client, and the mcp SDK the server loads.
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
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from nemo_skills.local import LocalBackend

FAST_CLIENT = json.dumps({"poll_initial": 0.05, "poll_max": 0.2})


def import_time(statement: str, rounds: int) -> float:
    """Median seconds a fresh interpreter spends on `statement`, timed inside it."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    samples = [
        float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)
        for _ in range(rounds)
    ]
    return statistics.median(samples)


async def one_round(base_url: str, env: dict[str, str], out_dir: Path) -> dict[str, float]:
    """Time each step of one server run."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "nemo_skills", "mcp", "--backend", base_url, "--output-dir", str(out_dir)],
        env=env,
    )
    times: dict[str, float] = {}
    start = time.perf_counter()
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        times["start + initialize"] = time.perf_counter() - start
        mark = time.perf_counter()
        await session.list_tools()
        times["list_tools"] = time.perf_counter() - mark
        mark = time.perf_counter()
        await session.call_tool("route_input", {"text": "a 5-second sunset over a city skyline"})
        times["route_input"] = time.perf_counter() - mark
        mark = time.perf_counter()
        result = await session.call_tool("run_skill", {"prompt": "a 5-second sunset over a city skyline"})
        times["run_skill (prompt -> 1080p MP4)"] = time.perf_counter() - mark
        if result.is_error:
            raise SystemExit(f"run_skill failed: {result.content}")
    return times


def main() -> None:
    """Print median timings over a few rounds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    for statement in (
        "import nemo_skills",
        "from nemo_skills import AsyncNemoClient",
        "import mcp.server.lowlevel",
    ):
        print(f"{statement}: median {import_time(statement, max(rounds, 5)) * 1e3:.0f} ms")
    with tempfile.TemporaryDirectory() as tmp, LocalBackend() as backend:
        env = dict(os.environ)
        env.update(
            NEMO_SKILLS_CONFIG_DIR=f"{tmp}/config",
            NEMO_SKILLS_DATA_DIR=f"{tmp}/data",
            NEMO_SKILLS_CLIENT_OPTIONS=FAST_CLIENT,
        )
        samples: dict[str, list[float]] = {}
        for i in range(rounds):
            got = asyncio.run(one_round(backend.base_url, env, Path(tmp) / f"out{i}"))
            for name, value in got.items():
                samples.setdefault(name, []).append(value)
    for name, values in samples.items():
        print(f"{name}: median {statistics.median(values) * 1e3:.0f} ms over {len(values)} runs")


if __name__ == "__main__":
    main()
