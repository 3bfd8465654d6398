"""A job whose worker is killed (kill -9) at any step is finished by the same command, with one export."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nemo_skills.local import Faults
from nemo_skills.local.renderer.probe import probe
from tests.clirun import nemo, only_json, start

REQUEST = "a 2-second clip of rain on a window"


def renders_made(backend: Any) -> int:
    """How many exports the backend has rendered (each leaves one MP4 in its renders folder)."""
    return len(list((Path(backend.data_dir) / "renders").glob("*.mp4")))


def kill_when(proc: Any, seen: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Read --progress json lines until one matches, then kill -9 the process; the events read."""
    assert proc.stderr is not None
    events: list[dict[str, Any]] = []
    for line in proc.stderr:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        events.append(event)
        if seen(event):
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"the job ended before it could be killed: {events}"
    return events


def worker_of(job_id: str) -> int:
    """The pid of the worker process working on a job."""
    from nemo_skills.jobs.journal import Journal

    job = Journal().get(job_id)
    assert job is not None and job.owner, f"job {job_id} has no worker"
    return int(job.owner.rpartition(":")[2])


def kill_worker_when(
    proc: Any, seen: Callable[[dict[str, Any]], bool], ready: Callable[[], bool] = lambda: True
) -> list[dict[str, Any]]:
    """Read a `run`'s --progress json lines until one matches and `ready()` holds, then kill -9 its job's
    worker and the run."""
    assert proc.stderr is not None
    events: list[dict[str, Any]] = []
    for line in proc.stderr:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        events.append(event)
        if seen(event):
            for _ in range(500):
                if ready():
                    break
                time.sleep(0.01)
            os.kill(worker_of(event["job_id"]), signal.SIGKILL)
            proc.kill()
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"the job ended before it could be killed: {events}"
    return events


def in_chat(event: dict[str, Any]) -> bool:
    return event.get("kind") == "stage" and event.get("stage") == "chat"


def in_render(event: dict[str, Any]) -> bool:
    return event.get("kind") == "render" and event.get("status") in ("pending", "processing")


@pytest.mark.parametrize("phase", [in_chat, in_render], ids=["while-chatting", "while-rendering"])
def test_killed_run_is_finished_by_the_same_command_with_one_export(
    tmp_path: Path, backend_factory: Callable[..., Any], phase: Callable[[dict[str, Any]], bool]
) -> None:
    backend = backend_factory(
        data_dir=tmp_path / "backend", resolution=144, fps=12, step_delay=0.3, faults=Faults(render_delay=1.5)
    )
    args = ("run", "nemo-video-gen", REQUEST, "-o", "rain.mp4", "--backend", backend.base_url)
    # Mid-chat, the worker dies once the backend has the request: before, whether it was sent is unknown,
    # and the job would (rightly) wait out the reply's whole cap before it may send it again.
    kill_worker_when(
        start(*args, "--progress", "json", cwd=tmp_path), phase, lambda: backend.chat_requests > 0
    )
    assert not (tmp_path / "rain.mp4").exists()

    jobs = only_json(nemo("jobs", "--json", cwd=tmp_path).stdout)["jobs"]
    assert len(jobs) == 1 and jobs[0]["state"] in ("sent", "rendering") and not jobs[0]["running"]

    again = nemo(*args, "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    result = only_json(again.stdout)
    assert result["resumed"] is True and result["job_id"] == jobs[0]["job_id"]
    assert probe(tmp_path / "rain.mp4").duration_ms == 2000  # the scene once, not twice
    assert renders_made(backend) == 1
    state = only_json(nemo("state", "--session", result["session_id"], "--backend", backend.base_url,
                           "--json", cwd=tmp_path).stdout)  # fmt: skip
    assert state["timeline"].count("rain on a window") == 1


def test_killed_batch_finishes_what_is_missing_and_exports_each_item_once(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = backend_factory(
        data_dir=tmp_path / "backend", resolution=144, fps=12, faults=Faults(render_delay=1.0)
    )
    batch = tmp_path / "batch.jsonl"
    prompts = [
        "a 1-second clip of snow",
        "a 1-second clip of fog",
        "a 1-second clip of hail",
        "a 1-second clip of sun",
    ]
    batch.write_text("".join(json.dumps({"text": p}) + "\n" for p in prompts), encoding="utf-8")
    args = (
        "run",
        "nemo-video-gen",
        "--batch",
        batch,
        "-o",
        "out",
        "--concurrency",
        "2",
        "--backend",
        backend.base_url,
    )
    events = kill_when(
        start(*args, "--progress", "json", cwd=tmp_path),
        lambda e: e.get("kind") == "job" and e.get("state") == "done",
    )
    assert sum(1 for e in events if e.get("kind") == "job" and e.get("state") == "done") == 1
    # Another job may have finished in the instant before the kill landed: the journal says which.
    journal = only_json(nemo("jobs", "--json", cwd=tmp_path).stdout)["jobs"]
    done_before = sum(1 for j in journal if j["state"] == "done")
    assert 1 <= done_before < 4 and len(journal) == 4

    again = nemo(*args, "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    result = only_json(again.stdout)
    assert result["succeeded"] == 4
    assert sum(1 for i in result["items"] if i["skipped"]) == done_before
    assert len({i["output"] for i in result["items"]}) == 4
    assert renders_made(backend) == 4  # one export per item, whatever was in flight when killed
    for item in result["items"]:
        assert probe(item["output"]).duration_ms == 1000

    third = nemo(*args, "--json", cwd=tmp_path)
    assert third.returncode == 0 and all(i["skipped"] for i in only_json(third.stdout)["items"])
    assert renders_made(backend) == 4


def orphaned_mid_render(tmp_path: Path, backend_factory: Callable[..., Any]) -> tuple[Any, dict[str, Any]]:
    """A detached job whose worker was killed while it rendered: the backend and the job (--json)."""
    backend = backend_factory(
        data_dir=tmp_path / "backend", resolution=144, fps=12, faults=Faults(render_delay=1.5)
    )
    started = nemo("run", "nemo-video-gen", REQUEST, "-o", "rain.mp4", "--detach", "--backend",
                   backend.base_url, "--json", cwd=tmp_path)  # fmt: skip
    assert started.returncode == 0, started.stderr
    job_id = only_json(started.stdout)["job_id"]
    from nemo_skills.jobs.journal import Journal

    journal = Journal()
    # Killed once the backend reports on the render: it was asked for, and it is still going.
    for _ in range(1500):
        if any('"kind":"render"' in event for _, event in journal.events_after(job_id, 0)):
            break
        time.sleep(0.02)
    os.kill(worker_of(job_id), signal.SIGKILL)
    listed = only_json(nemo("jobs", "--json", cwd=tmp_path).stdout)["jobs"]
    assert [(j["job_id"], j["state"], j["running"]) for j in listed] == [(job_id, "rendering", False)]
    return backend, listed[0]


def test_a_job_whose_worker_died_mid_render_is_finished_by_resume_job(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend, job = orphaned_mid_render(tmp_path, backend_factory)
    assert job["job_id"] and job["session_id"] and job["render_id"]

    done = nemo("resume", job["job_id"], "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    item = only_json(done.stdout)["items"][0]
    assert item["render_id"] == job["render_id"] and Path(item["output"]) == tmp_path / "rain.mp4"
    assert probe(tmp_path / "rain.mp4").duration_ms == 2000
    assert renders_made(backend) == 1

    listed = only_json(nemo("jobs", "--json", cwd=tmp_path).stdout)["jobs"]
    assert [(j["job_id"], j["state"]) for j in listed] == [(job["job_id"], "done")]


def test_resume_of_an_unknown_job_is_one_clear_line(tmp_path: Path) -> None:
    done = nemo("resume", "job_nope", cwd=tmp_path)
    assert done.returncode == 2
    assert "no job job_nope" in done.stderr and "Traceback" not in done.stderr


def test_a_download_that_keeps_failing_is_finished_later_without_a_new_export(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    # Every try of the first run's download is cut off (1 try and 5 resumes); the next run's goes through.
    backend = backend_factory(
        data_dir=tmp_path / "backend", resolution=144, fps=12,
        faults=Faults(drop_download_after=100, drop_download_times=6),
    )  # fmt: skip
    args = ("run", "nemo-video-gen", REQUEST, "-o", "rain.mp4", "--backend", backend.base_url)
    first = nemo(*args, "--json", cwd=tmp_path)
    assert first.returncode == 7, first.stderr
    error = only_json(first.stdout)
    assert error["job_id"] and error["render_id"] and not (tmp_path / "rain.mp4").exists()
    jobs = only_json(nemo("jobs", "--json", cwd=tmp_path).stdout)["jobs"]
    assert jobs[0]["state"] == "failed" and jobs[0]["render_id"] == error["render_id"]

    again = nemo(*args, "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    result = only_json(again.stdout)
    assert result["job_id"] == error["job_id"] and result["render_id"] == error["render_id"]
    assert probe(tmp_path / "rain.mp4").duration_ms == 2000
    assert renders_made(backend) == 1


@pytest.mark.parametrize("finish", ["resume", "export"])
def test_a_job_whose_render_is_saved_by_the_session_commands_is_listed_done(
    tmp_path: Path, backend_factory: Callable[..., Any], finish: str
) -> None:
    backend, error = orphaned_mid_render(tmp_path, backend_factory)
    # `export --render` of the job's render, or `resume` for the session's render.
    args = ["--session", error["session_id"], "--backend", backend.base_url, "--json"]
    if finish == "export":
        args += ["--render", error["render_id"], "-o", "rain.mp4"]
    done = nemo(finish, *args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert only_json(done.stdout)["render_id"] == error["render_id"]

    listed = only_json(nemo("jobs", "--json", cwd=tmp_path).stdout)["jobs"]
    assert [(j["job_id"], j["state"], j["output"]) for j in listed] == [
        (error["job_id"], "done", str(tmp_path / "rain.mp4"))
    ]
    assert nemo("jobs", "--unfinished", "--json", cwd=tmp_path).stdout.count("job_") == 0
    assert renders_made(backend) == 1
