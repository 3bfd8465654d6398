"""One worker pool per machine: many jobs in one process, under the token each was asked with."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from nemo_skills.jobs.pool import machine_id, queue_name
from nemo_skills.local import Faults
from nemo_skills.local.renderer.probe import probe
from tests.clirun import nemo, only_json, pools_gone


def pool_processes(data_dir: Path) -> set[int]:
    """The pids of the worker pools whose environment names this data folder."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if b"nemo_skills.jobs.pool" not in (entry / "cmdline").read_bytes():
                continue
            if f"NEMO_SKILLS_DATA_DIR={data_dir}".encode() in (entry / "environ").read_bytes():
                found.add(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
def test_many_jobs_at_once_share_one_pool_process(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = backend_factory(
        data_dir=tmp_path / "backend",
        resolution=144,
        fps=12,
        faults=Faults(empty_reply_share=0.0, chat_delay=2.0),
    )

    def submit(n: int) -> str:
        done = nemo("run", "nemo-video-gen", f"a 2-second clip number {n}", "-o", f"{n}.mp4",
                    "--backend", backend.base_url, "--detach", "--json", cwd=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return str(only_json(done.stdout)["job_id"])

    seen: set[int] = set()
    most, submitting = 0, True

    def sample() -> None:
        nonlocal most
        while submitting:
            pools = pool_processes(Path(os.environ["NEMO_SKILLS_DATA_DIR"]))
            seen.update(pools)
            most = max(most, len(pools))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    with ThreadPoolExecutor(4) as run:
        jobs = list(run.map(submit, range(8)))
    submitting = False
    sampler.join()
    waited = nemo("wait", *jobs, "--json", cwd=tmp_path)
    assert waited.returncode == 0, waited.stderr
    assert most == 1 and len(seen) == 1, f"{len(seen)} pools started for 8 jobs asked at once"
    assert all(probe(tmp_path / f"{n}.mp4").duration_ms == 2000 for n in range(8))
    assert backend.chat_requests == 8
    pools_gone()  # and it exits once idle


def test_a_data_folder_gets_one_machine_id_however_many_ask_at_once() -> None:
    ids: list[str] = []
    threads = [threading.Thread(target=lambda: ids.append(machine_id())) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1 and len(ids) == 16


def test_a_job_is_queued_for_its_token_never_keeping_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    anonymous = queue_name()
    monkeypatch.setenv("NEMO_TOKEN", "secret-token-1")
    team = queue_name()
    assert team != anonymous and "secret-token-1" not in team
    monkeypatch.setenv("NEMO_SKILLS_DATA_DIR", str(tmp_path / "another-machine"))
    assert queue_name() == team  # every machine with the team's token takes its jobs
    monkeypatch.delenv("NEMO_TOKEN")
    assert queue_name() not in (team, anonymous)  # another machine's anonymous token is its own


@pytest.mark.parametrize("value", ["0", "many", "-3"])
def test_a_bad_pool_setting_is_one_error_line(tmp_path: Path, value: str) -> None:
    result = nemo("run", "nemo-video-gen", "a sunset", "--backend", "http://127.0.0.1:9", "--detach",
                  cwd=tmp_path, NEMO_SKILLS_WORKERS=value)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "NEMO_SKILLS_WORKERS" in result.stderr and result.stderr.count("Error:") == 1
