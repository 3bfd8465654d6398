"""Many `run --backend local` processes at once on one data folder: wall time, exits, sessions kept.

.venv/bin/python benchmarks/bench_local_shared.py [-n 8]

Starts N CLI runs together in fresh temporary config and data folders (each run
starts its own local backend on the shared folder), then reads every session
back with `state --session ID --backend local`, and prints the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path


def cli(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start one CLI invocation."""
    return subprocess.Popen(
        [sys.executable, "-m", "nemo_skills", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=8, help="Concurrent runs.")
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory(prefix="nemo-bench-") as tmp:
        root = Path(tmp)
        env = {
            **os.environ,
            "NEMO_SKILLS_CONFIG_DIR": str(root / "config"),
            "NEMO_SKILLS_DATA_DIR": str(root / "data"),
            "NEMO_SKILLS_CLIENT_OPTIONS": json.dumps({"poll_initial": 0.05, "poll_max": 0.2}),
        }
        started = time.perf_counter()
        runs = [
            cli(
                ["run", "auto", f"a 1-second sunset {i}", "--backend", "local", "--no-export", "--json"],
                root,
                env,
            )
            for i in range(n)
        ]
        outputs = [proc.communicate() for proc in runs]
        wall = time.perf_counter() - started
        exits = Counter(proc.returncode for proc in runs)
        sessions = [json.loads(out).get("session_id") for out, _err in outputs if out.strip().startswith("{")]
        readers = [
            cli(["state", "--session", str(s), "--backend", "local"], root, env) for s in sessions if s
        ]
        for proc in readers:
            proc.communicate()
        reachable = sum(proc.returncode == 0 for proc in readers)
    print(f"{n} concurrent runs: {wall:.1f} s wall, exit codes {dict(exits)}")
    print(f"sessions: {len(set(filter(None, sessions)))} distinct, {reachable} reachable afterwards")


if __name__ == "__main__":
    main()
