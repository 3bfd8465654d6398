"""Batch throughput: N independent jobs against a local backend whose renders take a fixed time.

    .venv/bin/python benchmarks/batch.py                       # 8, 32, 100 items at concurrency 1, 4, 16
    .venv/bin/python benchmarks/batch.py --items 8 32 --concurrency 4 16 --render-delay 3

Starts `nemo-skills serve-local --render-delay D --resolution 144` (small renders, so the delay stands for
the cloud's render time), then runs `nemo-skills run nemo-video-gen --batch FILE --concurrency C` for each
size and concurrency with the client's default settings. For each run it prints the wall time beside two
floors: the backend's render time alone (ceil(N / C) waves of one render delay each) and ceil(N / C) waves of
one item run alone (render, chat turn, ffmpeg and client work, with nothing else running); then the speed-up
over N items one after another, the client's peak RSS, and the render requests per item (one is the only
right answer: exports cost credits).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = [sys.executable, "-m", "nemo_skills"]


def start_backend(data: Path, delay: float, workers: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [*CLI, "serve-local", "--port", "0", "--data-dir", str(data), "--render-delay", str(delay),
         "--resolution", "144", "--starting-credits", "1000000", "--render-workers", str(workers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit(f"serve-local did not start: {url!r}")
    return proc, url


def renders(data: Path) -> int:
    return len(list((data / "renders").glob("*.mp4")))


def run_batch(
    url: str, items: int, concurrency: int, work: Path, env: dict[str, str]
) -> tuple[float, float, dict]:
    """Wall seconds, the CLI's peak RSS in MB, and its --json result."""
    batch = work / f"batch-{items}-{concurrency}.jsonl"
    stamp = time.time_ns()
    batch.write_text(
        "".join(json.dumps({"text": f"a 1-second clip of scene {stamp}-{i}"}) + "\n" for i in range(items)),
        encoding="utf-8",
    )
    out = work / f"out-{items}-{concurrency}"
    code = (
        "import resource, subprocess, sys, time\n"
        "t = time.monotonic()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.monotonic() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "sys.stderr.write(p.stderr)\n"
        "print(f'{wall} {rss} {p.returncode}')\n"
        "print(p.stdout)\n"
    )
    args = [*CLI, "run", "nemo-video-gen", "--batch", str(batch), "-o", str(out), "--concurrency",
            str(concurrency), "--backend", url, "--json", "--progress", "none"]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=work
    )
    head, _, body = done.stdout.partition("\n")
    wall, rss, rc = head.split()
    if rc != "0":
        raise SystemExit(f"batch of {items} at {concurrency} failed (exit {rc}): {done.stderr[-800:]}")
    return float(wall), float(rss), json.loads(body)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, nargs="+", default=[8, 32, 100])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--render-delay", type=float, default=3.0)
    parser.add_argument("--render-workers", type=int, default=16, help="The backend's parallel renders.")
    opts = parser.parse_args()
    _ = resource  # the child reports its own peak RSS

    with tempfile.TemporaryDirectory(prefix="nemo-batch-bench-") as tmp:
        work = Path(tmp)
        env = dict(
            os.environ, NEMO_SKILLS_DATA_DIR=str(work / "user-data"), NEMO_SKILLS_CONFIG_DIR=str(work / "cfg")
        )
        env.pop("NEMO_SKILLS_CLIENT_OPTIONS", None)
        data = work / "backend"
        backend, url = start_backend(data, opts.render_delay, opts.render_workers)
        try:
            before = renders(data)
            one, _, _ = run_batch(url, 1, 1, work, env)
            overhead = max(one - opts.render_delay, 0.0)
            renders_one = renders(data) - before
            print(f"one item alone: {one:.2f} s (render delay {opts.render_delay:g} s, client overhead "
                  f"{overhead:.2f} s, {renders_one} render request)")  # fmt: skip
            print()
            print(f"{'items':>5} {'conc':>4} {'wall s':>8} {'renders s':>9} {'ratio':>6} {'alone s':>8} "
                  f"{'ratio':>6} {'speed-up':>8} {'peak RSS MB':>11} {'renders/item':>12}")  # fmt: skip
            for items in opts.items:
                for concurrency in opts.concurrency:
                    before = renders(data)
                    wall, rss, result = run_batch(url, items, concurrency, work, env)
                    made = renders(data) - before
                    waves = math.ceil(items / concurrency)
                    renders_floor = waves * opts.render_delay
                    alone_floor = waves * one
                    assert result["succeeded"] == items, result
                    print(f"{items:>5} {concurrency:>4} {wall:>8.2f} {renders_floor:>9.2f} {wall / renders_floor:>6.2f} "
                          f"{alone_floor:>8.2f} {wall / alone_floor:>6.2f} {items * one / wall:>8.1f} {rss:>11.0f} "
                          f"{made / items:>12.2f}")  # fmt: skip
        finally:
            backend.terminate()
            backend.wait(timeout=30)


if __name__ == "__main__":
    main()
