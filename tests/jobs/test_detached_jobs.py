"""A job outlives the command that asked for it: detach, wait, kill the command, ask twice.

Every case counts what the backend was asked: one chat turn (the paid generation) and one render,
however the command that asked was cut.
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
from tests.clirun import nemo, only_json, start
from tests.jobs.test_interrupted_jobs import kill_when, renders_made

REQUEST = "a 2-second clip of snow over a harbour"


def slow_backend(backend_factory: Callable[..., Any], tmp_path: Path, render: float, generate: float) -> Any:
    return backend_factory(
        data_dir=tmp_path / "backend",
        resolution=144,
        fps=12,
        faults=Faults(render_delay=render, stall_seconds=generate, empty_reply_share=0.0),
    )


def test_detach_returns_the_job_and_wait_fetches_the_video(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = slow_backend(backend_factory, tmp_path, render=3.0, generate=0.5)
    args = ("run", "nemo-video-gen", REQUEST, "-o", "snow.mp4", "--backend", backend.base_url)
    started = nemo(*args, "--detach", "--json", cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    handle = only_json(started.stdout)
    assert handle["status"] == "running" and handle["job_id"].startswith("job_")
    assert handle["output"] == str(tmp_path / "snow.mp4")

    early = nemo("wait", handle["job_id"], "--timeout", "0.2", "--json", cwd=tmp_path)
    assert early.returncode == 9, early.stderr
    assert only_json(early.stdout)["error"]["code"] == "still_running"
    assert f"nemo-skills wait {handle['job_id']}" in early.stderr
    assert not (tmp_path / "snow.mp4").exists()

    done = nemo("wait", handle["job_id"], "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = only_json(done.stdout)
    assert result["job_id"] == handle["job_id"] and result["output"] == str(tmp_path / "snow.mp4")
    assert probe(tmp_path / "snow.mp4").duration > 1.5
    # The same output `run` gives, for the text face too.
    again = nemo("wait", handle["job_id"], cwd=tmp_path)
    assert again.returncode == 0 and f"Saved: {tmp_path / 'snow.mp4'}" in again.stdout
    assert backend.chat_requests == 1
    assert renders_made(backend) == 1


def test_a_run_killed_mid_generation_is_joined_by_the_same_command(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = slow_backend(backend_factory, tmp_path, render=0.5, generate=3.0)
    args = ("run", "nemo-video-gen", REQUEST, "-o", "snow.mp4", "--backend", backend.base_url)
    events = kill_when(start(*args, "--progress", "json", cwd=tmp_path), lambda e: e.get("stage") == "chat")
    killed = events[-1]["job_id"]
    rerun = nemo(*args, "--json", "--progress", "json", cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert only_json(rerun.stdout)["output"] == str(tmp_path / "snow.mp4")
    assert only_json(rerun.stdout)["job_id"] == killed
    assert "nothing is sent twice" in rerun.stderr
    assert probe(tmp_path / "snow.mp4").duration > 1.5
    assert backend.chat_requests == 1
    assert renders_made(backend) == 1


def test_the_same_command_twice_makes_one_video(tmp_path: Path, backend_factory: Callable[..., Any]) -> None:
    backend = slow_backend(backend_factory, tmp_path, render=2.0, generate=1.0)
    args = ("run", "nemo-video-gen", REQUEST, "-o", "snow.mp4", "--backend", backend.base_url, "--json")
    first = start(*args, cwd=tmp_path)
    journal = Journal()
    # The second command starts once the first has recorded its job, as a host retrying it would.
    for _ in range(600):
        if journal.list(limit=1):
            break
        time.sleep(0.02)
    second = nemo(*args, cwd=tmp_path)
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert second.returncode == 0, second.stderr
    assert only_json(out)["output"] == only_json(second.stdout)["output"] == str(tmp_path / "snow.mp4")
    assert only_json(out)["job_id"] == only_json(second.stdout)["job_id"]
    assert backend.chat_requests == 1
    assert renders_made(backend) == 1


def test_ctrl_c_leaves_the_job_to_its_worker(tmp_path: Path, backend_factory: Callable[..., Any]) -> None:
    backend = slow_backend(backend_factory, tmp_path, render=1.0, generate=1.0)
    args = ("run", "nemo-video-gen", REQUEST, "-o", "snow.mp4", "--backend", backend.base_url)
    proc = start(*args, "--progress", "json", cwd=tmp_path)
    assert proc.stderr is not None
    for line in proc.stderr:
        if '"stage": "chat"' in line:
            break
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    job_id = Journal().list(limit=1)[0].job_id
    assert "goes on in the background" in err and f"nemo-skills wait {job_id}" in err
    done = nemo("wait", job_id, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "snow.mp4").is_file()
    assert backend.chat_requests == 1


def test_a_changed_file_is_a_new_request(tmp_path: Path, backend_factory: Callable[..., Any]) -> None:
    backend = slow_backend(backend_factory, tmp_path, render=5.0, generate=0.1)
    photo = tmp_path / "photo.txt"
    photo.write_text("a lighthouse at dusk", encoding="utf-8")
    args = ("run", "ai-video-maker-sora", "--file", str(photo), "--backend", backend.base_url)
    first = only_json(nemo(*args, "-o", "a.mp4", "--detach", "--json", cwd=tmp_path).stdout)
    same = only_json(nemo(*args, "-o", "a.mp4", "--detach", "--json", cwd=tmp_path).stdout)
    assert same["job_id"] == first["job_id"] and same["joined"] is True
    photo.write_text("a lighthouse at dawn", encoding="utf-8")
    changed = only_json(nemo(*args, "-o", "a.mp4", "--detach", "--json", cwd=tmp_path).stdout)
    assert changed["job_id"] != first["job_id"] and changed["joined"] is False
    # Both finish before the backend stops: a pool polling a stopped backend would linger past the test.
    assert nemo("wait", first["job_id"], changed["job_id"], cwd=tmp_path).returncode == 0


def test_wait_for_an_unknown_job_is_bad_input(tmp_path: Path) -> None:
    result = nemo("wait", "job_000000000000", "--json", cwd=tmp_path)
    assert result.returncode == 2
    assert json.loads(result.stdout)["error"]["code"] == "bad_input"
    assert result.stderr.count("Error:") == 1
