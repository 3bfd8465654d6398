"""How long an agent host waits for each answer, and what one video costs in requests, under a time limit.

.venv/bin/python benchmarks/host_waits.py [--scale 0.1]

A host (the MCP SDK's client over stdio, as MCP hosts run `nemo-skills mcp`) gives up on any tool call
after `cut` seconds, as OpenClaw (about 30 s) and TypeScript-SDK clients (60 s) do. The backend is a
separate `serve-local` process standing in for the cloud: a generation takes `generate` seconds, a render
`render` seconds, and it logs every request. The host calls run_skill, then wait_job until the video is
there. Then the same from the terminal: `run --detach`, and `wait --timeout` until done.

Printed beside the figures measured before jobs had bounded waits (issue "long work inside agent hosts"):
ten cut calls, ten chat turns and ten renders for one request, and no video. `--scale` shrinks every
duration (0.1: a 6 s render instead of 60 s) for a quick run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from nemo_skills.local.request_log import CHAT_TURN, RENDER_START, count_requests

# Measured before bounded waits: a host cutting calls at 25 s, renders of 60 s, a generation of 10 s.
BEFORE = {"cut_calls": "10 of 10", "chat_turns": 10, "renders": 10, "video": "no"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_backend(root: Path, env: dict[str, str], render: float, generate: float) -> tuple[Any, str, Path]:
    port, log = free_port(), root / "requests.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "nemo_skills", "serve-local", "--port", str(port), "--data-dir", str(root / "be"),
         "--render-delay", str(render), "--chat-delay", str(generate), "--empty-reply-share", "0",
         "--resolution", "144", "--request-log", str(log)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                return proc, url, log
        except OSError:
            time.sleep(0.05)
    raise SystemExit("serve-local did not start")


async def mcp_host(url: str, env: dict[str, str], out: Path, cut: float, wait: float) -> dict[str, Any]:
    """One video through run_skill and wait_job, each call cut after `cut` s; the waits and outcome."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    from mcp.shared.exceptions import MCPError

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "nemo_skills", "mcp", "--backend", url, "--output-dir", str(out)],
        env=env,
    )
    waits: list[float] = []
    cut_calls = 0
    result: dict[str, Any] | None = None
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        name, args = "run_skill", {"prompt": "a 3-second clip of a harbour at dawn", "wait_seconds": wait}
        for _ in range(200):
            started = time.perf_counter()
            try:
                answer = await session.call_tool(name, args, read_timeout_seconds=cut)
            except MCPError:
                cut_calls += 1
                waits.append(time.perf_counter() - started)
                continue  # the host asks the same thing again
            waits.append(time.perf_counter() - started)
            result = answer.structured_content
            if answer.is_error or result is None or result.get("status") != "running":
                break
            name, args = "wait_job", {"job_id": result["job_id"], "wait_seconds": wait}
    return {"waits": waits, "cut_calls": cut_calls, "result": result}


def cli_detached(url: str, env: dict[str, str], root: Path, wait: float) -> dict[str, Any]:
    """`run --detach`, then `wait --timeout` until done: how long each command took, and the exits."""

    def nemo(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "nemo_skills", *args], cwd=root, env=env,
                              capture_output=True, text=True, timeout=600)  # fmt: skip
        return done, time.perf_counter() - started

    started, detach_took = nemo("run", "auto", "a 3-second clip of rain at night", "--backend", url,
                                "--detach", "--json")  # fmt: skip
    job_id = json.loads(started.stdout)["job_id"]
    waits, exits = [], []
    for _ in range(200):
        done, took = nemo("wait", job_id, "--timeout", str(wait), "--json")
        waits.append(took)
        exits.append(done.returncode)
        if done.returncode != 9:
            break
    return {"detach": detach_took, "waits": waits, "exits": exits}


def main() -> None:
    """Run both hosts against one slow backend and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="Multiply every duration (default 1).")
    parser.add_argument("--cut", type=float, default=25.0, help="Seconds before the host gives up a call.")
    parser.add_argument("--wait", type=float, default=20.0, help="wait_seconds of each call.")
    parser.add_argument("--render", type=float, default=60.0, help="Seconds a render takes.")
    parser.add_argument("--generate", type=float, default=10.0, help="Seconds a generation takes.")
    a = parser.parse_args()
    cut, wait, render, generate = (v * a.scale for v in (a.cut, a.wait, a.render, a.generate))
    with tempfile.TemporaryDirectory(prefix="nemo-bench-") as tmp:
        root = Path(tmp)
        env = {
            **os.environ,
            "NEMO_SKILLS_CONFIG_DIR": str(root / "config"),
            "NEMO_SKILLS_DATA_DIR": str(root / "data"),
            "NEMO_SKILLS_CLIENT_OPTIONS": json.dumps({"poll_initial": 0.2, "poll_max": 1.0}),
        }
        backend, url, log = start_backend(root, env, render, generate)
        try:
            mcp = asyncio.run(mcp_host(url, env, root / "videos", cut, wait))
            after_mcp = count_requests(log)
            cli = cli_detached(url, env, root, wait)
            after_cli = count_requests(log)
        finally:
            backend.terminate()
            backend.wait(timeout=30)
    api = sum(n for key, n in after_mcp.items() if not key.startswith("GET /files/"))
    result = mcp["result"] or {}
    print(f"backend: generation {generate:g} s, render {render:g} s; host cuts a call at {cut:g} s; "
          f"wait_seconds {wait:g}")  # fmt: skip
    print("\nMCP host (run_skill, then wait_job)          now        before")
    print(f"  calls                                      {len(mcp['waits']):>5}")
    print(f"  calls cut by the host                      {mcp['cut_calls']:>5}        {BEFORE['cut_calls']}")
    print(f"  wait per answer, median / max (s)    {statistics.median(mcp['waits']):>5.1f} / {max(mcp['waits']):<5.1f}"
          f"   bound {wait + 1:g} (wait_seconds + 1)")  # fmt: skip
    print(
        f"  chat turns (paid generations)              {after_mcp[CHAT_TURN]:>5}        {BEFORE['chat_turns']}"
    )
    print(
        f"  render requests                            {after_mcp[RENDER_START]:>5}        {BEFORE['renders']}"
    )
    print(f"  API requests for the job (no download)     {api:>5}")
    video = "yes" if result.get("status") == "completed" and Path(str(result.get("path"))).name else "no"
    print(f"  got the video                              {video:>5}        {BEFORE['video']}")
    cli_chats = after_cli[CHAT_TURN] - after_mcp[CHAT_TURN]
    cli_renders = after_cli[RENDER_START] - after_mcp[RENDER_START]
    print("\nTerminal (run --detach, then wait --timeout)")
    print(f"  run --detach returned in (s)               {cli['detach']:>5.2f}   bound 5")
    print(f"  wait commands, median / max (s)      {statistics.median(cli['waits']):>5.1f} / {max(cli['waits']):<5.1f}"
          f"   bound {wait + 1:g} (--timeout + 1)")  # fmt: skip
    print(f"  exits                                      {' '.join(map(str, cli['exits']))}")
    print(f"  chat turns / render requests               {cli_chats:>2} / {cli_renders}")


if __name__ == "__main__":
    main()
