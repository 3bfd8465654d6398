"""Batches at the pace the backend allows: a rate-limited backend, requests per item, memory by batch size.

.venv/bin/python benchmarks/batch_pace.py                 # both parts, as the issue measures them
.venv/bin/python benchmarks/batch_pace.py --part limit    # only the rate-limited batch
.venv/bin/python benchmarks/batch_pace.py --part memory --items 100 1000 --concurrency 16 64

Part "limit": `serve-local --rate-limit-rps 10 --rate-limit-burst 10` (a token may make 10 API requests a
second; past that, HTTP 429 with Retry-After) with 5 s renders, and `run --batch` of 100 requests at
`--concurrency 16`. Printed: the exit code, MP4s made, chat turns and render requests (one each per item is
the only right answer: generations cost credits), the wall time beside its floor (items x 5 requests /
10 per second), and the share of API requests answered 429.

Part "memory": the same backend without a rate limit, batches of each size at the paired concurrency:
API requests per item (the token and the file downloads aside) and the client's peak RSS, with the ratio
of the largest batch's peak to the smallest's.

Both parts print the detection lag: for each render, the time from its completion (the backend records it)
to the client's last status poll of it, the one that saw it done; median and 90th percentile.

Beside each figure, the one measured before the shared pace (issue "batches at the pace the backend
allows"): one 429 ended the batch (14 s, 6 MP4s, exit 6, 41% of requests answered 429), 12 API requests
per item, peak RSS 138 MB for 100 items and 254 MB for 1,000.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nemo_skills import protocol
from nemo_skills.local.db import DB_FILE
from nemo_skills.local.records import RenderJob
from nemo_skills.local.request_log import (
    CHAT_TURN,
    RENDER_START,
    RENDER_STATUS,
    LoggedRequest,
    count_requests,
    read_request_log,
)

CLI = [sys.executable, "-m", "nemo_skills"]
PER_ITEM_REQUESTS = 5  # session, chat turn, state, render, one status poll: the floor's unit
MAX_PER_ITEM = 6
BEFORE_LIMIT = "14 s, 6 MP4s, exit 6, 41% answered 429"
BEFORE_PER_ITEM = 12
BEFORE_RSS = {100: 138, 1000: 254}


def start_backend(root: Path, *extra: str) -> tuple[subprocess.Popen[str], str, Path]:
    log = root / "requests.jsonl"
    proc = subprocess.Popen(
        [*CLI, "serve-local", "--port", "0", "--data-dir", str(root / "backend"), "--render-delay", "5",
         "--resolution", "144", "--starting-credits", "100000000", "--render-workers", "4",
         "--empty-reply-share", "0", "--request-log", str(log), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit(f"serve-local did not start: {url!r}")
    return proc, url, log


def detection_lags(requests: list[LoggedRequest], backend_dir: Path) -> list[float]:
    """Seconds from each polled render's completion to its last status poll (the one that saw it done)."""
    last_poll: dict[str, float] = {}
    prefix = protocol.PATH_RENDER + "/"
    for r in requests:
        if r.key == RENDER_STATUS and r.status == 200:
            last_poll[r.path.removeprefix(prefix)] = r.t
    with sqlite3.connect(f"file:{backend_dir / DB_FILE}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT data FROM renders").fetchall()
    jobs = (RenderJob.model_validate_json(raw) for (raw,) in rows)
    return sorted(last_poll[j.id] - j.finished for j in jobs if j.finished is not None and j.id in last_poll)


def lag_line(lags: list[float]) -> str:
    """Median and p90 of detection lags, beside the goal."""
    if not lags:
        return "no render was polled"
    p90 = lags[int(0.9 * (len(lags) - 1))]
    return f"median {statistics.median(lags):.2f} s   p90 {p90:.2f} s   (median at most 1 s; {len(lags)} renders)"


def run_batch(root: Path, url: str, items: int, concurrency: int) -> tuple[int, float, float, Path]:
    """One `run --batch` in a child that reports its peak RSS: exit code, wall seconds, peak MB, outputs."""
    tag = f"{items}x{concurrency}"
    batch = root / f"batch-{tag}.jsonl"
    batch.write_text(
        "".join(json.dumps({"text": f"a 1-second clip of wave {i}"}) + "\n" for i in range(items))
    )
    out = root / f"out-{tag}"
    env = {
        **os.environ,
        "NEMO_SKILLS_CONFIG_DIR": str(root / "config"),
        "NEMO_SKILLS_DATA_DIR": str(root / f"data-{tag}"),
    }
    # A fresh child per batch: RUSAGE_CHILDREN then reads this batch's peak, not an earlier one's.
    probe = (
        "import resource, subprocess, sys; "
        "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    args = [*CLI, "run", "nemo-video-gen", "--batch", str(batch), "-o", str(out), "--backend", url,
            "--concurrency", str(concurrency), "--progress", "none", "--json"]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    code, rss_kb = done.stdout.split()
    return int(code), wall, int(rss_kb) / 1024, out


def part_limit(items: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory(prefix="nemo-bench-") as tmp:
        root = Path(tmp)
        backend, url, log = start_backend(root, "--rate-limit-rps", "10", "--rate-limit-burst", "10")
        try:
            code, wall, _, out = run_batch(root, url, items, concurrency)
        finally:
            backend.terminate()
            backend.wait(timeout=30)
        requests = [r for r in read_request_log(log) if not r.path.startswith("/files/")]
        limited = sum(1 for r in requests if r.status == 429)
        counts = count_requests(log, status=200)  # a 429 starts no turn and no render
        mp4s = len(list(out.glob("*.mp4")))
        lags = detection_lags(requests, root / "backend")
    floor = items * PER_ITEM_REQUESTS / 10
    print(f"rate limit 10/s (burst 10), {items} items at --concurrency {concurrency}, renders 5 s")
    print(f"  exit code                     {code}")
    print(f"  MP4s                          {mp4s} of {items}")
    print(f"  chat turns / render requests  {counts[CHAT_TURN]} / {counts[RENDER_START]}")
    print(
        f"  wall time                     {wall:.0f} s   floor {floor:.0f} s   ratio {wall / floor:.2f} (at most 1.25)"
    )
    print(f"  answered 429                  {limited} of {len(requests)} API requests "
          f"({limited / max(1, len(requests)):.0%}; at most 20%)")  # fmt: skip
    print(f"  detection lag                 {lag_line(lags)}")
    print(f"  before                        {BEFORE_LIMIT}")


def part_memory(sizes: list[int], concurrencies: list[int]) -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="nemo-bench-") as tmp:
        root = Path(tmp)
        backend, url, log = start_backend(root)
        try:
            for items, concurrency in zip(sizes, concurrencies, strict=True):
                seen = len(read_request_log(log))
                code, wall, rss, out = run_batch(root, url, items, concurrency)
                batch = read_request_log(log)[seen:]
                api = sum(
                    1
                    for r in batch
                    if not r.path.startswith("/files/") and not r.path.endswith("anonymous-token")
                )
                lags = detection_lags(batch, root / "backend")
                rows.append(
                    (items, concurrency, code, wall, api / items, rss, len(list(out.glob("*.mp4"))), lags)
                )
        finally:
            backend.terminate()
            backend.wait(timeout=30)
    print("no rate limit, renders 5 s")
    print("  items  conc  exit  wall s  API req/item (before)  peak RSS MB (before)  MP4s")
    for items, conc, code, wall, per_item, rss, mp4s, _ in rows:
        before = BEFORE_RSS.get(items)
        print(f"  {items:>5}  {conc:>4}  {code:>4}  {wall:>6.0f}  {per_item:>6.1f} ({BEFORE_PER_ITEM})"
              f"          {rss:>6.0f} ({before if before else '-'})            {mp4s}")  # fmt: skip
    print(f"  API requests per item: at most {MAX_PER_ITEM} asked")
    for items, conc, *_, lags in rows:
        print(f"  detection lag, {items} at {conc}: {lag_line(lags)}")
    if len(rows) > 1:
        print(f"  peak RSS {rows[-1][0]} items / {rows[0][0]} items: {rows[-1][5] / rows[0][5]:.2f} (at most 1.25; "
              f"before {BEFORE_RSS[1000] / BEFORE_RSS[100]:.2f})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=["limit", "memory", "both"], default="both")
    parser.add_argument("--items", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--limit-items", type=int, default=100)
    a = parser.parse_args()
    if a.part in ("limit", "both"):
        part_limit(a.limit_items, 16)
    if a.part in ("memory", "both"):
        part_memory(a.items, a.concurrency)
    resource.getrusage(resource.RUSAGE_SELF)


if __name__ == "__main__":
    main()
