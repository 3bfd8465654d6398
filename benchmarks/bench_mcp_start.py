"""`nemo-skills mcp` start-up beside a one-tool server on the same `mcp` SDK, and the CLI's start-up.

.venv/bin/python benchmarks/bench_mcp_start.py [--rounds N]

Each round spawns both servers over stdio, back to back, and times spawn + initialize + tools/list with
the SDK's client: `python -m nemo_skills mcp` (in temporary config and data folders, against a backend
URL it never needs to reach for these calls) and the floor, a server written here with the SDK's
low-level `Server` and one tool. Then it times `nemo-skills --help` and `nemo-skills route TEXT` (spawn
to exit). Prints medians, and the ratio of the servers' times as the median of the pairs, for wall time
and for the server process's own CPU time (steadier on a busy machine); the goal is at most 1.2x. Run it with another tree's interpreter to compare that tree's figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

GOAL = 1.2
ONE_TOOL_SERVER = """
import anyio
import mcp.types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server


async def list_tools(ctx, params):
    return types.ListToolsResult(
        tools=[types.Tool(name="echo", description="Echo the text.", input_schema={
            "type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]})]
    )


async def call_tool(ctx, params):
    return types.CallToolResult(content=[types.TextContent(type="text", text=params.arguments["text"])])


async def main():
    server = Server("one-tool", on_list_tools=list_tools, on_call_tool=call_tool)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


anyio.run(main)
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def start_and_list(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Seconds from spawn to the tools/list answer, the server's CPU seconds, and how many tools it listed."""
    params = StdioServerParameters(command=sys.executable, args=args, env=env)
    cpu = _children_cpu()
    start = time.perf_counter()
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = await session.list_tools()
        seconds = time.perf_counter() - start
    # The server has exited and been reaped here: its CPU time counts in RUSAGE_CHILDREN.
    return seconds, _children_cpu() - cpu, len(tools.tools)


def run_seconds(args: list[str], env: dict[str, str]) -> float:
    """Seconds from spawn to exit of one command, which must succeed."""
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NEMO_SKILLS_CONFIG_DIR=f"{tmp}/config", NEMO_SKILLS_DATA_DIR=f"{tmp}/data")
        floor_script = Path(tmp) / "one_tool_server.py"
        floor_script.write_text(ONE_TOOL_SERVER, encoding="utf-8")
        ours_args = ["-m", "nemo_skills", "mcp", "--backend", "http://127.0.0.1:9"]
        ours, floor, ours_cpu, floor_cpu, help_s, route_s = [], [], [], [], [], []
        tools = 0
        for _ in range(rounds):
            seconds, cpu, tools = asyncio.run(start_and_list(ours_args, env))
            ours.append(seconds)
            ours_cpu.append(cpu)
            seconds, cpu, _ = asyncio.run(start_and_list([str(floor_script)], env))
            floor.append(seconds)
            floor_cpu.append(cpu)
            help_s.append(run_seconds(["-m", "nemo_skills", "--help"], env))
            route_s.append(run_seconds(["-m", "nemo_skills", "route", "a 5-second sunset"], env))
    ratio = statistics.median(o / f for o, f in zip(ours, floor, strict=True))
    cpu_ratio = statistics.median(o / f for o, f in zip(ours_cpu, floor_cpu, strict=True))
    print(f"spawn + initialize + tools/list over stdio, {rounds} rounds (medians; CPU: the server's own)")
    print(
        f"  nemo-skills mcp ({tools} tools)   {statistics.median(ours) * 1e3:6.0f} ms   CPU {statistics.median(ours_cpu) * 1e3:5.0f} ms"
    )
    print(
        f"  floor: one-tool SDK server    {statistics.median(floor) * 1e3:6.0f} ms   CPU {statistics.median(floor_cpu) * 1e3:5.0f} ms"
    )
    print(f"  ratio                         {ratio:6.2f}x      CPU {cpu_ratio:5.2f}x (goal: at most {GOAL}x)")
    # Load on a shared machine only ever adds time: the best runs are the steadiest comparison.
    print(
        f"  ratio of the best runs        {min(ours) / min(floor):6.2f}x      CPU {min(ours_cpu) / min(floor_cpu):5.2f}x"
    )
    print(
        f"nemo-skills --help              {statistics.median(help_s) * 1e3:6.0f} ms (best {min(help_s) * 1e3:.0f})"
    )
    print(
        f"nemo-skills route TEXT          {statistics.median(route_s) * 1e3:6.0f} ms (best {min(route_s) * 1e3:.0f})"
    )


if __name__ == "__main__":
    main()
