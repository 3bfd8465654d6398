"""Jobs shared by several machines through one PostgreSQL database (NEMO_SKILLS_JOBS_URL).

A "machine" here is a data folder of its own (its own pool, sessions and anonymous token); every test
starts a throwaway database on the test session's PostgreSQL server. The backend counts what it was
asked: one chat turn and one render per job, whichever machine ran it and however many died.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from nemo_skills.local import Faults
from nemo_skills.local.renderer.probe import probe
from nemo_skills.local.request_log import CHAT_TURN, RENDER_START
from tests.clirun import FAST_CLIENT, nemo, only_json

TEAM_TOKEN = "team-token-for-tests"
# A pool whose heartbeat stops for this long counts as gone: its jobs go to another machine's pool.
STALLED = "2"


def shared_backend(backend_factory: Callable[..., Any], tmp_path: Path, chat_delay: float) -> Any:
    return backend_factory(
        data_dir=tmp_path / "backend",
        resolution=144,
        fps=12,
        request_log=tmp_path / "requests.jsonl",
        registered_tokens={TEAM_TOKEN: 100_000.0},
        faults=Faults(empty_reply_share=0.0, chat_delay=chat_delay),
    )


def machine(tmp_path: Path, name: str, url: str, **extra: str) -> dict[str, str]:
    """The environment of one machine: its own data and config folders, the shared jobs database."""
    return {
        "NEMO_SKILLS_DATA_DIR": str(tmp_path / name / "data"),
        "NEMO_SKILLS_CONFIG_DIR": str(tmp_path / name / "config"),
        "NEMO_SKILLS_JOBS_URL": url,
        "NEMO_SKILLS_POOL_STALLED": STALLED,
        "NEMO_SKILLS_POOL_IDLE": "3",
        "NEMO_SKILLS_CLIENT_OPTIONS": json.dumps({**FAST_CLIENT, "pending_reply_poll": 0.2}),
        **extra,
    }


def pool_pids(data_dir: str) -> list[int]:
    """The worker pool processes of one machine (by the data folder in their environment)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"nemo_skills.jobs.pool" in cmdline and f"NEMO_SKILLS_DATA_DIR={data_dir}".encode() in environ:
            found.append(int(entry.name))
    return found


def until(check: Callable[[], bool], what: str, seconds: float = 60) -> None:
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def test_two_machines_share_jobs_and_one_finishes_what_a_dead_one_started(
    tmp_path: Path, backend_factory: Callable[..., Any], jobs_db_url: str
) -> None:
    backend = shared_backend(backend_factory, tmp_path, chat_delay=3.0)
    a = machine(tmp_path, "a", jobs_db_url, NEMO_TOKEN=TEAM_TOKEN)
    b = machine(tmp_path, "b", jobs_db_url, NEMO_TOKEN=TEAM_TOKEN)
    (tmp_path / "out").mkdir()  # a folder both machines see, as a team's shared one

    def submit(env: dict[str, str], n: int) -> str:
        done = nemo("run", "nemo-video-gen", f"a 2-second clip number {n}", "-o", f"out/{n}.mp4",
                    "--backend", backend.base_url, "--detach", "--json", cwd=tmp_path, **env)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return str(only_json(done.stdout)["job_id"])

    with ThreadPoolExecutor(4) as run:
        jobs = list(run.map(lambda n: submit(a if n < 20 else b, n), range(40)))
    assert len(set(jobs)) == 40
    # Machine A's pool dies (kill -9) while its jobs generate.
    until(lambda: bool(pool_pids(a["NEMO_SKILLS_DATA_DIR"])) and backend.chat_requests > 0, "A generating")
    for pid in pool_pids(a["NEMO_SKILLS_DATA_DIR"]):
        os.kill(pid, signal.SIGKILL)

    waited = nemo("wait", *jobs, "--json", cwd=tmp_path, timeout=240, **b)
    assert waited.returncode == 0, waited.stderr[-3000:]
    results = only_json(waited.stdout)["jobs"]
    assert sorted(r["job_id"] for r in results) == sorted(jobs)
    for n in range(40):
        assert probe(tmp_path / "out" / f"{n}.mp4").duration_ms == 2000
    counts = backend.request_counts()
    assert counts[CHAT_TURN] == 40 and counts[RENDER_START] == 40
    for env in (a, b):
        listed = only_json(nemo("jobs", "--json", "--limit", "100", cwd=tmp_path, **env).stdout)["jobs"]
        assert sorted(j["job_id"] for j in listed) == sorted(jobs)
        assert {j["state"] for j in listed} == {"done"}


def test_the_same_request_from_two_machines_is_one_job(
    tmp_path: Path, backend_factory: Callable[..., Any], jobs_db_url: str
) -> None:
    backend = shared_backend(backend_factory, tmp_path, chat_delay=1.0)
    out = str(tmp_path / "shared" / "snow.mp4")
    (tmp_path / "shared").mkdir()
    args = ("run", "nemo-video-gen", "a 2-second clip of snow", "-o", out, "--backend", backend.base_url)
    first = nemo(*args, "--detach", "--json", cwd=tmp_path, **machine(tmp_path, "a", jobs_db_url))
    second = nemo(*args, "--json", cwd=tmp_path, **machine(tmp_path, "b", jobs_db_url))
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    assert only_json(first.stdout)["job_id"] == only_json(second.stdout)["job_id"]
    assert probe(Path(out)).duration_ms == 2000
    counts = backend.request_counts()
    assert counts[CHAT_TURN] == 1 and counts[RENDER_START] == 1


def test_a_job_under_a_machines_anonymous_token_stays_with_that_machine(
    tmp_path: Path, backend_factory: Callable[..., Any], jobs_db_url: str
) -> None:
    backend = shared_backend(backend_factory, tmp_path, chat_delay=2.0)
    a = machine(tmp_path, "a", jobs_db_url)
    b = machine(tmp_path, "b", jobs_db_url)
    started = nemo("run", "nemo-video-gen", "a 2-second clip of rain", "-o", "rain.mp4",
                   "--backend", backend.base_url, "--detach", "--json", cwd=tmp_path, **a)  # fmt: skip
    job_id = only_json(started.stdout)["job_id"]
    until(lambda: backend.chat_requests > 0, "the request sent")
    for pid in pool_pids(a["NEMO_SKILLS_DATA_DIR"]):
        os.kill(pid, signal.SIGKILL)

    # B has another anonymous token, which cannot continue A's session: it follows the job, never runs it.
    other = nemo("wait", job_id, "--timeout", "5", "--json", cwd=tmp_path, **b)
    assert other.returncode == 9, other.stderr
    assert "runs under another token" in other.stderr
    assert pool_pids(b["NEMO_SKILLS_DATA_DIR"]) == []

    mine = nemo("wait", job_id, "--json", cwd=tmp_path, **a)
    assert mine.returncode == 0, mine.stderr
    assert probe(tmp_path / "rain.mp4").duration_ms == 2000
    counts = backend.request_counts()
    assert counts[CHAT_TURN] == 1 and counts[RENDER_START] == 1


def test_the_jobs_database_keeps_no_token(
    tmp_path: Path, backend_factory: Callable[..., Any], jobs_db_url: str
) -> None:
    import psycopg

    backend = shared_backend(backend_factory, tmp_path, chat_delay=0.1)
    env = machine(tmp_path, "a", jobs_db_url, NEMO_TOKEN=TEAM_TOKEN)
    done = nemo("run", "nemo-video-gen", "a 2-second clip of fog", "-o", "fog.mp4",
                "--backend", backend.base_url, "--json", cwd=tmp_path, **env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    with psycopg.connect(jobs_db_url) as conn:
        dump = " ".join(
            str(row)
            for table in ("jobs", "job_events", "procrastinate_jobs")
            for row in conn.execute(f"SELECT * FROM {table}").fetchall()
        )
    assert "fog" in dump and TEAM_TOKEN not in dump


@pytest.mark.parametrize(
    ("url", "code", "words"),
    [
        ("mysql://nemo:hunter2@127.0.0.1:5432/jobs", 2, "not a PostgreSQL URL"),
        ("postgresql://nemo:hunter2@127.0.0.1:99999/jobs", 2, "does not parse"),
        ("postgresql://nemo:hunter2@127.0.0.1/", 2, "needs a host and a database name"),
    ],
)
def test_a_bad_jobs_url_is_one_line(tmp_path: Path, url: str, code: int, words: str) -> None:
    for args in (("jobs",), ("wait", "job_000000000000", "--timeout", "1")):
        result = nemo(*args, cwd=tmp_path, NEMO_SKILLS_JOBS_URL=url)
        assert result.returncode == code, result.stderr
        assert words in result.stderr and result.stderr.count("Error:") == 1
        assert "hunter2" not in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_an_unreachable_or_refused_database_is_one_line(tmp_path: Path, postgres_server: Any) -> None:
    from tests.postgres import free_port

    closed = f"postgresql://nemo:hunter2@127.0.0.1:{free_port()}/postgres"
    refused = postgres_server.url(password="hunter2")
    for url in (closed, refused):
        began = time.monotonic()
        result = nemo("jobs", cwd=tmp_path, NEMO_SKILLS_JOBS_URL=url)
        assert time.monotonic() - began < 15
        assert result.returncode == 7, result.stderr
        assert "jobs database" in result.stderr and result.stderr.count("Error:") == 1
        assert "hunter2" not in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_a_database_of_a_newer_version_is_refused(tmp_path: Path, jobs_db_url: str) -> None:
    import psycopg

    assert nemo("jobs", cwd=tmp_path, NEMO_SKILLS_JOBS_URL=jobs_db_url).returncode == 0
    with psycopg.connect(jobs_db_url, autocommit=True) as conn:
        conn.execute("UPDATE nemo_skills_meta SET value = '99' WHERE name = 'schema_version'")
    result = nemo("jobs", cwd=tmp_path, NEMO_SKILLS_JOBS_URL=jobs_db_url)
    assert result.returncode == 7, result.stderr
    assert "newer nemo-skills" in result.stderr and result.stderr.count("Error:") == 1


def test_an_unknown_job_is_bad_input_on_postgres(tmp_path: Path, jobs_db_url: str) -> None:
    for args in (("wait", "job_000000000000"), ("resume", "job_000000000000")):
        result = nemo(*args, "--json", cwd=tmp_path, NEMO_SKILLS_JOBS_URL=jobs_db_url)
        assert result.returncode == 2, result.stderr
        assert only_json(result.stdout)["error"]["code"] == "bad_input"
