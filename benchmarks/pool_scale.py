"""Many jobs on one machine's worker pool: the memory of every client process, and what each job costs.

.venv/bin/python benchmarks/pool_scale.py                       # 200 jobs from the terminal, then over MCP
.venv/bin/python benchmarks/pool_scale.py --jobs 10 --chat-delay 2 --no-mcp   # a quick run

A `serve-local` backend stands in for the cloud: each chat turn spends `--chat-delay` seconds generating,
renders are 144p, and it logs every request. Part "terminal": `--jobs` distinct `nemo-skills run
nemo-video-gen ... --detach --json` commands, a few at a time, with NEMO_SKILLS_WORKERS=`--workers`, so
every job runs at once in the one worker pool process (`python -m nemo_skills.jobs.pool`); then `nemo-skills
wait` for all of them. Part "MCP": one `nemo-skills mcp` server over stdio (the mcp SDK's client), `run_skill`
called `--jobs` times with `wait_seconds` 0, then `wait_job` (`--waiters` at once) until every job is done.
Each part starts with no pool running: after the terminal part, the pool is waited for to exit on its own
(NEMO_SKILLS_POOL_IDLE=5), as it must.

Every half second, the RSS of all client processes is summed and its peak kept: the pool, the `nemo-skills`
commands alive at that moment, the MCP server, and their children; never the backend. They are told
apart by their environment (this run's own data folder), so other nemo-skills processes on the machine
do not count. Printed: each figure beside its floor and the ratio, and the same peak as it was before
the pool, when each job had a worker process of its own (about 54 MB each).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nemo_skills.local.request_log import CHAT_TURN, RENDER_START, count_requests

CLI = [sys.executable, "-m", "nemo_skills"]
BEFORE_MB_PER_JOB = 54  # RSS of one job's own worker process, before the pool
RSS_FLOOR_MB = 400.0  # all client processes together, for 200 jobs
DETACH_FLOOR_S = 1.0  # median wall time of one `run --detach`
POOL_IDLE_S = 5
SAMPLE_EVERY_S = 0.5
RUN_WAIT_S = 30.0  # wait_seconds of each wait_job call


# --- the processes of this run -----------------------------------------------------------------------


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:  # gone meanwhile, or not ours to read
        return b""


def _kb(text: bytes, key: bytes) -> int:
    for line in text.splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


@dataclass
class Sample:
    """One look at the client processes: their summed RSS and PSS (MB), the pool's RSS, how many."""

    rss: float = 0.0
    pss: float = 0.0
    pool_rss: float = 0.0
    count: int = 0
    pools: int = 0
    # At the RSS peak: what ran, as kind -> (processes, MB).
    kinds: dict[str, tuple[int, float]] = field(default_factory=dict)


def kind_of(cmdline: bytes) -> str:
    """`pool`, `nemo-skills run` (a command, by subcommand), or the program's name (ffmpeg, say)."""
    argv = [part.decode(errors="replace") for part in cmdline.split(b"\0") if part]
    if "nemo_skills.jobs.pool" in argv:
        return "pool"
    for i, part in enumerate(argv[:-1]):
        if (part == "-m" and argv[i + 1] == "nemo_skills") or Path(part).name == "nemo-skills":
            rest = argv[i + 2 :] if part == "-m" else argv[i + 1 :]
            return f"nemo-skills {rest[0] if rest else ''}".strip()
    return Path(argv[0]).name if argv else "?"


def _parent(pid: int) -> int:
    stat = _read(f"/proc/{pid}/stat")
    fields = stat.rpartition(b")")[2].split()
    return int(fields[1]) if len(fields) > 1 else 0


def marker_of(env: dict[str, str]) -> bytes:
    """The environment entry that marks this run's client processes: its own data folder."""
    return f"NEMO_SKILLS_DATA_DIR={env['NEMO_SKILLS_DATA_DIR']}".encode()


def client_pids(marker: bytes) -> dict[int, bytes]:
    """The processes with this run's data folder in their environment, the backend aside: pid -> cmdline.

    A child forked but not yet turned into its program (ffmpeg, say) still shows its parent's command
    line and shares its parent's pages: it is left out, not counted twice.
    """
    found: dict[int, bytes] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        if marker not in _read(f"/proc/{entry}/environ").split(b"\0"):
            continue
        cmdline = _read(f"/proc/{entry}/cmdline")
        if not cmdline or b"serve-local" in cmdline:
            continue
        found[int(entry)] = cmdline
    return {pid: cmd for pid, cmd in found.items() if found.get(_parent(pid)) != cmd}


def sample(marker: bytes) -> Sample:
    """Sum the memory of the client processes alive now."""
    got = Sample()
    for pid, cmdline in client_pids(marker).items():
        rss = _kb(_read(f"/proc/{pid}/status"), b"VmRSS:") / 1024
        if rss == 0:
            continue  # exited between the listing and the read
        got.rss += rss
        got.pss += _kb(_read(f"/proc/{pid}/smaps_rollup"), b"Pss:") / 1024
        got.count += 1
        kind = kind_of(cmdline)
        count, mb = got.kinds.get(kind, (0, 0.0))
        got.kinds[kind] = (count + 1, mb + rss)
        if kind == "pool":
            got.pool_rss += rss
            got.pools += 1
    return got


def _higher(a: Sample, b: Sample) -> Sample:
    return Sample(
        kinds=a.kinds if a.rss >= b.rss else b.kinds,
        rss=max(a.rss, b.rss),
        pss=max(a.pss, b.pss),
        pool_rss=max(a.pool_rss, b.pool_rss),
        count=max(a.count, b.count),
        pools=max(a.pools, b.pools),
    )


@dataclass
class Sampler:
    """Samples the client processes every SAMPLE_EVERY_S seconds in a thread, keeping each figure's peak:
    over the whole part, and from `mark()` on (once every job was asked for: the pool and the waiters)."""

    marker: bytes
    peak: Sample = field(default_factory=Sample)
    later: Sample | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def mark(self) -> None:
        self.later = Sample()

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = sample(self.marker)
            self.peak = _higher(self.peak, now)
            if self.later is not None:
                self.later = _higher(self.later, now)
            self._stop.wait(SAMPLE_EVERY_S)


# --- the backend -------------------------------------------------------------------------------------


def start_backend(
    root: Path, env: dict[str, str], chat_delay: float
) -> tuple[subprocess.Popen[str], str, Path]:
    """`serve-local` on a free port with slow chat turns and small renders; its URL and request log."""
    log = root / "requests.jsonl"
    # Its own data folder in its environment too: the sampler tells clients apart by theirs.
    backend_env = {**env, "NEMO_SKILLS_DATA_DIR": str(root / "backend")}
    proc = subprocess.Popen(
        [*CLI, "serve-local", "--port", "0", "--data-dir", str(root / "backend"), "--chat-delay", str(chat_delay),
         "--resolution", "144", "--starting-credits", "100000000", "--empty-reply-share", "0",
         "--request-log", str(log)],
        env=backend_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit(f"serve-local did not start: {url!r}")
    return proc, url, log


# --- part "terminal" ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one part measured."""

    name: str
    jobs: int
    peak: Sample
    later: Sample
    mp4s: int
    chat_turns: int
    renders: int
    wall: float
    start_times: list[float] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def job_states(env: dict[str, str], root: Path, limit: int) -> tuple[dict[str, int], list[str]]:
    """The journal's jobs by state; the problems: each distinct error of failed jobs once, every job not
    finished (its queue and owner), and the queues when the jobs are not all in one."""
    done = subprocess.run([*CLI, "jobs", "--json", "--limit", str(limit)], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    try:
        jobs = json.loads(done.stdout)["jobs"]
    except (ValueError, KeyError):
        return {}, [f"`jobs --json` exit {done.returncode}: {done.stderr.strip()[-400:]}"]
    states: dict[str, int] = {}
    errors: dict[str, int] = {}
    stuck: list[str] = []
    for job in jobs:
        states[job["state"]] = states.get(job["state"], 0) + 1
        if job.get("error"):
            errors[str(job["error"])] = errors.get(str(job["error"]), 0) + 1
        if job["state"] not in ("done", "failed"):
            stuck.append(f"job {job['job_id']} still {job['state']}: queue {job.get('queue')}, owner "
                         f"{job.get('owner')}, sent_by {job.get('sent_by')}, {job['spec']['text']!r}")  # fmt: skip
    queues: dict[str, int] = {}
    for job in jobs:
        queues[str(job.get("queue"))] = queues.get(str(job.get("queue")), 0) + 1
    found = [f"{n} job(s) failed: {error}" for error, n in errors.items()] + stuck
    if len(queues) > 1:
        found.append(f"jobs in more than one queue: {json.dumps(queues, sort_keys=True)}")
    return states, found


def part_terminal(
    root: Path, env: dict[str, str], url: str, log: Path, jobs: int, starters: int, timeout: float
) -> Outcome:
    out = root / "terminal"
    out.mkdir()
    marker = marker_of(env)
    before = count_requests(log) if log.exists() else {}
    problems: list[str] = []

    def start(k: int) -> tuple[float, str | None]:
        args = [*CLI, "run", "nemo-video-gen", f"a 2-second clip number {k}", "--backend", url,
                "-o", str(out / f"{k}.mp4"), "--detach", "--json", "--progress", "none"]  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=300)
        took = time.perf_counter() - started
        try:
            job_id = json.loads(done.stdout).get("job_id")
        except ValueError:
            job_id = None
        if done.returncode != 0 or not job_id:
            problems.append(f"run --detach #{k}: exit {done.returncode}: {done.stderr.strip()[-400:]}")
        return took, job_id

    began = time.perf_counter()
    with Sampler(marker) as sampler:
        with ThreadPoolExecutor(max_workers=starters) as pool:
            started = list(pool.map(start, range(1, jobs + 1)))
        sampler.mark()
        ids = [job_id for _, job_id in started if job_id]
        left = max(1.0, timeout - (time.perf_counter() - began))
        waited = subprocess.run([*CLI, "wait", *ids, "--json", "--progress", "none", "--timeout", f"{left:.0f}"],
                                cwd=root, env=env, capture_output=True, text=True, timeout=left + 120)  # fmt: skip
        wall = time.perf_counter() - began
    if waited.returncode == 9:
        problems.append(f"`wait` timed out after {left:.0f} s: jobs still running")
    elif waited.returncode != 0:
        problems.append(f"`wait` exit {waited.returncode}: {waited.stderr.strip()[-400:]}")
    states, errors = job_states(env, root, jobs)
    after = count_requests(log)
    return Outcome(
        name="terminal (run --detach, then wait)",
        jobs=jobs,
        peak=sampler.peak,
        later=sampler.later or Sample(),
        mp4s=len(list(out.glob("*.mp4"))),
        chat_turns=after[CHAT_TURN] - before.get(CHAT_TURN, 0),
        renders=after[RENDER_START] - before.get(RENDER_START, 0),
        wall=wall,
        start_times=[took for took, _ in started],
        states=states,
        problems=problems + errors,
    )


# --- part "MCP" --------------------------------------------------------------------------------------


async def drive_mcp(
    env: dict[str, str], url: str, out: Path, jobs: int, waiters: int, timeout: float, sampler: Sampler
) -> tuple[list[float], list[str], list[str]]:
    """run_skill `jobs` times (wait_seconds 0), then wait_job on each until it ends: call times, ids, problems."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "nemo_skills", "mcp", "--backend", url, "--output-dir", str(out)],
        env=env,
    )
    problems: list[str] = []
    times: list[float] = []
    ids: list[str] = []
    deadline = time.monotonic() + timeout
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        for k in range(1, jobs + 1):
            args = {"prompt": f"a 2-second clip of lane {k}", "skill": "nemo-video-gen",
                    "output": f"lane-{k}.mp4", "wait_seconds": 0}  # fmt: skip
            started = time.perf_counter()
            answer = await session.call_tool("run_skill", args)
            times.append(time.perf_counter() - started)
            result: dict[str, Any] = answer.structured_content or {}
            if answer.is_error or not result.get("job_id"):
                problems.append(f"run_skill #{k}: {str(answer.content)[:400]}")
                continue
            ids.append(str(result["job_id"]))

        sampler.mark()
        gate = asyncio.Semaphore(waiters)

        async def follow(job_id: str) -> None:
            async with gate:
                while time.monotonic() < deadline:
                    wait = min(RUN_WAIT_S, max(1.0, deadline - time.monotonic()))
                    answer = await session.call_tool("wait_job", {"job_id": job_id, "wait_seconds": wait})
                    result: dict[str, Any] = answer.structured_content or {}
                    if answer.is_error:
                        problems.append(f"wait_job {job_id}: {str(answer.content)[:400]}")
                        return
                    if result.get("status") != "running":
                        return
                problems.append(f"wait_job {job_id}: still running at the time limit")

        await asyncio.gather(*(follow(job_id) for job_id in ids))
    return times, ids, problems


def part_mcp(
    root: Path, env: dict[str, str], url: str, log: Path, jobs: int, waiters: int, timeout: float
) -> Outcome:
    out = root / "mcp"
    out.mkdir()
    marker = marker_of(env)
    before = count_requests(log) if log.exists() else {}
    began = time.perf_counter()
    with Sampler(marker) as sampler:
        times, _ids, problems = asyncio.run(drive_mcp(env, url, out, jobs, waiters, timeout, sampler))
        wall = time.perf_counter() - began
    states, errors = job_states(env, root, jobs)
    after = count_requests(log)
    return Outcome(
        name="MCP (run_skill wait_seconds 0, then wait_job)",
        jobs=jobs,
        peak=sampler.peak,
        later=sampler.later or Sample(),
        mp4s=len(list(out.glob("*.mp4"))),
        chat_turns=after[CHAT_TURN] - before.get(CHAT_TURN, 0),
        renders=after[RENDER_START] - before.get(RENDER_START, 0),
        wall=wall,
        start_times=times,
        states=states,
        problems=problems + errors,
    )


# --- the table ---------------------------------------------------------------------------------------


def row(label: str, value: str, floor: str, ratio: float | None) -> None:
    shown = f"{ratio:.2f}" if ratio is not None else ""
    print(f"  {label:<40} {value:>12}   {floor:<22} {shown:>6}")


def breakdown(got: Sample) -> str:
    parts = sorted(got.kinds.items(), key=lambda item: -item[1][1])
    return ", ".join(f"{kind} x{n} {mb:.0f} MB" for kind, (n, mb) in parts) or "-"


def report(o: Outcome, workers: int) -> None:
    n = o.jobs
    print(
        f"\n{o.name}: {n} jobs, NEMO_SKILLS_WORKERS={workers}, {o.wall:.0f} s from the first start to the last end"
    )
    print(f"  {'':<40} {'measured':>12}   {'floor':<22} {'ratio':>6}")
    row("peak RSS, all client processes (MB)", f"{o.peak.rss:.0f}", f"{RSS_FLOOR_MB:.0f} (for 200 jobs)",
        o.peak.rss / RSS_FLOOR_MB)  # fmt: skip
    row("  the pool processes alone (MB)", f"{o.peak.pool_rss:.0f}", "", None)
    row("  once every job was asked for (MB)", f"{o.later.rss:.0f}", "", o.later.rss / RSS_FLOOR_MB)
    row("peak PSS, all client processes (MB)", f"{o.peak.pss:.0f}", "", None)
    row("client processes at once, most", f"{o.peak.count}", f"{o.later.count} once all asked", None)
    row("pool processes at once, most", f"{o.peak.pools}", f"{o.later.pools} once all asked", None)
    print(f"  at the peak: {breakdown(o.peak)}")
    print(f"  at the peak once all were asked for: {breakdown(o.later)}")
    verb = "run --detach" if o.name.startswith("terminal") else "run_skill call"
    if o.start_times:
        median = statistics.median(o.start_times)
        row(f"{verb} wall time, median (s)", f"{median:.3f}", f"{DETACH_FLOOR_S:g}", median / DETACH_FLOOR_S)
        row(f"{verb} wall time, max (s)", f"{max(o.start_times):.3f}", "", None)
    row("MP4s written", f"{o.mp4s}", f"{n}", o.mp4s / n)
    row("chat turns", f"{o.chat_turns}", f"{n}", o.chat_turns / n)
    row("render requests", f"{o.renders}", f"{n}", o.renders / n)
    row("before: one worker process a job (MB)", f"{n * BEFORE_MB_PER_JOB}", f"{n} x {BEFORE_MB_PER_JOB} MB",
        None)  # fmt: skip
    print(f"  jobs in the journal by state: {json.dumps(o.states, sort_keys=True)}")
    for problem in o.problems[:20]:
        print(f"  ! {problem}")
    if len(o.problems) > 20:
        print(f"  ! ... and {len(o.problems) - 20} more")


def wait_for_pools(marker: bytes, limit: float) -> tuple[float | None, list[int]]:
    """Seconds until no client process of this run is left (None if some still live), and those left."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if not client_pids(marker):
            return time.monotonic() - started, []
        time.sleep(0.25)
    return None, sorted(client_pids(marker))


def settle(marker: bytes, part: str) -> None:
    """Wait for the pool to exit after a part (it should, NEMO_SKILLS_POOL_IDLE s after its last job)."""
    gone, left = wait_for_pools(marker, POOL_IDLE_S + 30)
    if gone is not None:
        print(f"  no client process left (the pool exited) {gone:.1f} s after {part} ended "
              f"(NEMO_SKILLS_POOL_IDLE={POOL_IDLE_S})")  # fmt: skip
        return
    print(f"  ! client processes still alive {POOL_IDLE_S + 30} s after {part} ended: {left}; stopping them")
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def show_pool_logs(data: Path) -> None:
    for path in sorted((data / "workers").glob("pool-*.log")):
        text = path.read_text(errors="replace").strip()
        if text:
            lines = text.splitlines()
            print(f"\n{path.name} ({len(lines)} lines), the last 40:")
            print("\n".join(f"  | {line}" for line in lines[-40:]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=200, help="Jobs in each part (default 200).")
    parser.add_argument(
        "--chat-delay", type=float, default=8.0, help="Seconds each chat turn takes (default 8)."
    )
    parser.add_argument("--workers", type=int, default=None, help="NEMO_SKILLS_WORKERS (default: --jobs).")
    parser.add_argument(
        "--starters", type=int, default=4, help="`run --detach` commands at once (default 4: two a core)."
    )
    parser.add_argument(
        "--waiters", type=int, default=8, help="MCP part: wait_job calls at once (default 8)."
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="Seconds each part may take (default 900)."
    )
    parser.add_argument("--mcp", action=argparse.BooleanOptionalAction, default=True,
                        help="Also run the MCP part (--no-mcp: only the terminal part).")  # fmt: skip
    parser.add_argument("--only-mcp", action="store_true", help="Only the MCP part.")
    parser.add_argument(
        "--keep", action="store_true", help="Keep the temporary folder (its path is printed)."
    )
    a = parser.parse_args()
    workers = a.workers or a.jobs
    root = Path(tempfile.mkdtemp(prefix="nemo-pool-scale-"))
    env = {
        key: value for key, value in os.environ.items() if key not in ("NEMO_TOKEN", "NEMO_SKILLS_JOBS_URL")
    }
    env.update(
        NEMO_SKILLS_CONFIG_DIR=str(root / "config"),
        NEMO_SKILLS_DATA_DIR=str(root / "data"),
        NEMO_SKILLS_WORKERS=str(workers),
        NEMO_SKILLS_POOL_IDLE=str(POOL_IDLE_S),
    )
    env.pop("NEMO_API_BASE", None)
    env.pop("NEMO_SKILLS_BACKEND", None)
    marker = marker_of(env)
    outcomes: list[Outcome] = []
    backend, url, log = start_backend(root, env, a.chat_delay)
    try:
        print(f"backend {url}: chat turns {a.chat_delay:g} s, renders 144p; {os.cpu_count()} CPUs; "
              f"`run --detach` {a.starters} at a time; data in {root}")  # fmt: skip
        if not a.only_mcp:
            outcomes.append(part_terminal(root, env, url, log, a.jobs, a.starters, a.timeout))
            report(outcomes[-1], workers)
            # The MCP part starts with no pool running, as a host's first calls of the day do.
            settle(marker, "the terminal part")
        if a.mcp or a.only_mcp:
            outcomes.append(part_mcp(root, env, url, log, a.jobs, a.waiters, a.timeout))
            report(outcomes[-1], workers)
            settle(marker, "the MCP part")
        show_pool_logs(root / "data")
    finally:
        backend.terminate()
        try:
            backend.wait(timeout=30)
        except subprocess.TimeoutExpired:
            backend.kill()
        if a.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    if any(o.problems or o.mp4s != o.jobs for o in outcomes):
        sys.exit(1)


if __name__ == "__main__":
    main()
