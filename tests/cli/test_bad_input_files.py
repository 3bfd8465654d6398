"""Files and links a skill cannot take are refused at once, before anything is read in full or sent."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.clirun import nemo, only_json

# Nothing listens here: a request that reached the network would fail with exit 7, not 2.
NOWHERE = "http://127.0.0.1:9"


def refused(tmp_path: Path, *args: str) -> str:
    began = time.monotonic()
    result = nemo(*args, "--backend", NOWHERE, "--no-export", cwd=tmp_path, timeout=30)
    assert time.monotonic() - began < 10  # Python start-up included; the check itself is a stat
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("Error:") == 1 and "Traceback" not in result.stderr
    return result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_is_refused_without_being_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.mp4")
    assert "is not a file" in refused(tmp_path, "run", "auto", "make it", "--file", "pipe.mp4")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_link_to_a_device_is_refused_without_being_read(tmp_path: Path, device: str) -> None:
    if not Path(device).exists():
        pytest.skip(f"no {device} here")
    (tmp_path / "noise.jpg").symlink_to(device)
    assert "is not a file" in refused(tmp_path, "run", "video-leonardo", "animate", "--file", "noise.jpg")


def test_a_huge_file_is_refused_from_its_size(tmp_path: Path) -> None:
    huge = tmp_path / "huge.mp4"
    with huge.open("wb") as fh:  # sparse: 16 GB that take no disk
        fh.truncate(16 * 1024**3)
    error = refused(tmp_path, "run", "free-generator-editor", "cut it", "--file", "huge.mp4")
    assert "500 MB upload limit" in error and "free-generator-editor" in error
    error = refused(tmp_path, "run", "auto", "cut it", "--file", "huge.mp4")
    assert "500 MB upload limit" in error


def test_a_link_to_a_skill_that_takes_none_is_refused_naming_the_one_that_does(tmp_path: Path) -> None:
    error = refused(tmp_path, "run", "video-leonardo", "animate it", "--url", "https://example.com/post")
    assert "video-leonardo takes no links" in error and "generator-by-link" in error


def test_wait_json_on_a_running_job_reads_like_run_detach(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    from nemo_skills.local import Faults

    backend = backend_factory(data_dir=tmp_path / "b", resolution=144, fps=12,
                              faults=Faults(empty_reply_share=0.0, chat_delay=3.0))  # fmt: skip
    started = nemo("run", "nemo-video-gen", "a 2-second clip of hail", "--backend", backend.base_url,
                   "-o", "hail.mp4", "--detach", "--json", cwd=tmp_path)  # fmt: skip
    handle = only_json(started.stdout)
    waited = nemo("wait", handle["job_id"], "--timeout", "0.5", "--json", cwd=tmp_path)
    assert waited.returncode == 9
    shape = only_json(waited.stdout)
    for key in ("job_id", "status", "stage", "skill", "output"):
        assert shape[key] == handle[key] or key == "stage", key
    assert shape["status"] == "running" and "progress" in shape
    assert shape["error"]["code"] == "still_running"
    assert nemo("wait", handle["job_id"], cwd=tmp_path).returncode == 0
