"""What a terminal user waits for: `--help`, the quick start end to end, a batch, and peak memory.

.venv/bin/python benchmarks/bench_cli_run.py [--rounds N]

Runs the CLI as a subprocess (as a user does) in temporary config and data
folders, against the local backend, and prints median wall times and the
largest resident set size of the CLI process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUICK_START = [
    "run",
    "auto",
    "a 5-second sunset over a city skyline",
    "--backend",
    "local",
    "-o",
    "sunset.mp4",
]


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Seconds one CLI invocation takes; fails loudly if it fails."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "nemo_skills", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"nemo-skills {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def main() -> None:
    """Print the timings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory(prefix="nemo-bench-") as tmp:
        root = Path(tmp)
        env = {
            **os.environ,
            "NEMO_SKILLS_CONFIG_DIR": str(root / "config"),
            "NEMO_SKILLS_DATA_DIR": str(root / "data"),
            "NEMO_SKILLS_CLIENT_OPTIONS": json.dumps({"poll_initial": 0.1, "poll_max": 0.5}),
        }
        env.pop("NEMO_TOKEN", None)
        env.pop("NEMO_API_BASE", None)
        helps, quick, batch = [], [], []
        for n in range(rounds):
            work = root / f"round{n}"
            work.mkdir()
            # A fresh data folder each round: the local backend's 100 free credits last about ten edits.
            env["NEMO_SKILLS_DATA_DIR"] = str(work / "data")
            helps.append(timed(["--help"], work, env))
            quick.append(timed(QUICK_START, work, env))
            jobs = work / "jobs.jsonl"
            jobs.write_text(
                "\n".join(json.dumps({"text": f"a 3-second clip of scene {i}"}) for i in range(3)) + "\n",
                encoding="utf-8",
            )
            batch.append(
                timed(["run", "nemo-video-gen", "--batch", str(jobs), "--backend", "local"], work, env)
            )
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        f"nemo-skills --help                       median {statistics.median(helps):6.2f} s  ({rounds} rounds)"
    )
    print(f"quick start (5 s 1080p MP4, local)       median {statistics.median(quick):6.2f} s")
    print(f"batch of 3 (3 s 1080p MP4s, one session) median {statistics.median(batch):6.2f} s")
    print(f"peak RSS of one process (the CLI with its in-process backend, or ffmpeg) {peak_kb / 1024:.0f} MB")


if __name__ == "__main__":
    main()
