"""A request whose reply is unknown is never sent again while the backend may still be working on it.

The local backend, like the cloud, goes on with a generation after the client is gone (`chat_delay`).
A cut stream or a killed worker leaves the job waiting for the session to show the change; only
`resume JOB --resend` sends the request again, and only once its reply can no longer be running.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nemo_skills.jobs.journal import Journal
from nemo_skills.local import Faults
from nemo_skills.local.renderer.probe import probe
from nemo_skills.local.request_log import CHAT_TURN, RENDER_START
from tests.clirun import FAST_CLIENT, nemo, only_json
from tests.jobs.test_interrupted_jobs import worker_of

REQUEST = "a 2-second clip of waves on a pier"


def logged_backend(backend_factory: Callable[..., Any], tmp_path: Path, **faults: Any) -> Any:
    return backend_factory(
        data_dir=tmp_path / "backend",
        resolution=144,
        fps=12,
        request_log=tmp_path / "requests.jsonl",
        faults=Faults(empty_reply_share=0.0, **faults),
    )


def wait_for_state(job_id: str, state: str) -> None:
    journal = Journal()
    for _ in range(1500):
        job = journal.get(job_id)
        if job is not None and job.state == state:
            return
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never reached {state}")


def test_a_cut_stream_waits_for_the_generation_instead_of_resending(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = logged_backend(backend_factory, tmp_path, chat_delay=2.0, drop_stream_after=1)
    done = nemo("run", "nemo-video-gen", REQUEST, "-o", "waves.mp4", "--backend", backend.base_url,
                "--json", "--progress", "json", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "may still be working on the request, so it is not sent again" in done.stderr
    assert probe(tmp_path / "waves.mp4").duration_ms == 2000  # the scene once
    counts = backend.request_counts()
    assert counts[CHAT_TURN] == 1 and counts[RENDER_START] == 1


def test_a_worker_killed_mid_generation_is_followed_by_one_that_waits_for_it(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = logged_backend(backend_factory, tmp_path, chat_delay=2.0)
    started = nemo("run", "nemo-video-gen", REQUEST, "-o", "waves.mp4", "--backend", backend.base_url,
                   "--detach", "--json", cwd=tmp_path)  # fmt: skip
    job_id = only_json(started.stdout)["job_id"]
    wait_for_state(job_id, "sent")
    # Killed once the backend has the request (before, it could not tell whether it was sent).
    for _ in range(1500):
        if backend.chat_requests:
            break
        time.sleep(0.02)
    os.kill(worker_of(job_id), signal.SIGKILL)

    done = nemo("wait", job_id, "--json", "--progress", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "The request sent earlier was applied." in done.stderr
    assert probe(tmp_path / "waves.mp4").duration_ms == 2000
    counts = backend.request_counts()
    assert counts[CHAT_TURN] == 1 and counts[RENDER_START] == 1


def test_a_reply_that_can_no_longer_run_is_resent_only_on_request(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    # A question changes nothing, and its stream is cut: the session can never show it applied. The
    # reply's cap (sse_max_seconds) is short here, so the job stops waiting soon.
    backend = logged_backend(backend_factory, tmp_path, drop_stream_after=0)
    options = json.dumps({**FAST_CLIENT, "sse_max_seconds": 1.0})
    args = ("run", "nemo-video-gen", "what can you do?", "--no-export", "--backend", backend.base_url)
    first = nemo(*args, "--json", cwd=tmp_path, NEMO_SKILLS_CLIENT_OPTIONS=options)
    assert first.returncode == 7, first.stderr
    error = only_json(first.stdout)["error"]
    assert error["code"] == "not_applied" and "not sent again" in error["message"]
    job_id = only_json(first.stdout)["job_id"]
    assert f"nemo-skills resume {job_id} --resend" in first.stderr
    assert backend.request_counts()[CHAT_TURN] == 1

    # Running the same command again does not resend it either.
    again = nemo(*args, "--json", cwd=tmp_path, NEMO_SKILLS_CLIENT_OPTIONS=options)
    assert again.returncode == 7 and only_json(again.stdout)["job_id"] == job_id
    assert backend.request_counts()[CHAT_TURN] == 1

    resent = nemo("resume", job_id, "--resend", "--json", cwd=tmp_path, NEMO_SKILLS_CLIENT_OPTIONS=options)
    assert resent.returncode == 0, resent.stderr
    assert backend.request_counts()[CHAT_TURN] == 2
