"""A full disk while downloading, and render ids the backend does not know.

The disk fills up for real only in the CLI subprocess: a `sitecustomize` hook on its
PYTHONPATH makes every file opened for writing inside one folder fail with ENOSPC
after a few kilobytes, the way a full file system does. Nothing here fills a disk.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from nemo_skills.jobs.session_store import SessionRecord, SessionStore
from nemo_skills.local.renderer.probe import probe
from tests.clirun import nemo, only_json, pools_gone

SMALL = {"resolution": 144, "fps": 10}
FULL_AFTER = 4096

HOOK = textwrap.dedent(
    '''
    """Test hook: files written inside NEMO_TEST_FULL_DIR fail with ENOSPC after NEMO_TEST_FULL_AFTER bytes."""
    import builtins
    import errno
    import io
    import os

    _FOLDER = os.path.realpath(os.environ["NEMO_TEST_FULL_DIR"])
    _LIMIT = int(os.environ["NEMO_TEST_FULL_AFTER"])
    _open = io.open


    class _FillingUp:
        def __init__(self, fh):
            self._fh = fh
            self._written = 0

        def write(self, data):
            room = _LIMIT - self._written
            if len(data) > room:
                self._fh.write(data[: max(room, 0)])
                self._written = _LIMIT
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self._written += len(data)
            return self._fh.write(data)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self._fh.__exit__(*exc)

        def __getattr__(self, name):
            return getattr(self._fh, name)


    def _full_open(file, mode="r", *args, **kwargs):
        fh = _open(file, mode, *args, **kwargs)
        if isinstance(file, (str, os.PathLike)) and any(m in mode for m in "wax+"):
            if os.path.dirname(os.path.realpath(os.fspath(file))) == _FOLDER:
                return _FillingUp(fh)
        return fh


    io.open = builtins.open = _full_open
    '''
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One small backend for this module."""
    from nemo_skills.local import LocalBackend

    with LocalBackend(data_dir=tmp_path_factory.mktemp("backend"), **SMALL) as backend:
        yield backend


def full_disk_env(tmp_path: Path, folder: Path) -> dict[str, str]:
    """Environment for a CLI run whose writes into `folder` hit a full disk."""
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
    path = os.pathsep.join(p for p in (str(hook), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "NEMO_TEST_FULL_DIR": str(folder), "NEMO_TEST_FULL_AFTER": str(FULL_AFTER)}


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, stderr
    return lines[0]


def new_session(server: Any, cwd: Path) -> str:
    done = nemo(
        "run", "nemo-video-gen", "a 2-second sunset", "--no-export", "--backend", server.base_url, "--json",
        cwd=cwd,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return str(only_json(done.stdout)["session_id"])


def test_a_full_disk_keeps_the_old_file_and_the_render_for_resume(server: Any, tmp_path: Path) -> None:
    videos = tmp_path / "videos"
    videos.mkdir()
    old = videos / "sunset.mp4"
    old.write_bytes(b"the video from yesterday")
    sid = new_session(server, tmp_path)

    full = nemo(
        "export", "--session", sid, "-o", old, "--force", "--backend", server.base_url, "--json",
        cwd=tmp_path, **full_disk_env(tmp_path, videos),
    )  # fmt: skip

    assert full.returncode == 8, full.stderr
    line = one_error_line(full.stderr)
    assert "No space left on device" in line
    assert f"nemo-skills resume --session {sid} --backend {server.base_url}" in line
    error = only_json(full.stdout)
    assert error["error"]["code"] == "save_failed" and error["error"]["exit_code"] == 8
    assert error["session_id"] == sid and error["render_id"]
    assert sorted(p.name for p in videos.iterdir()) == ["sunset.mp4"], "a temporary file was left behind"
    assert old.read_bytes() == b"the video from yesterday"
    record = SessionStore().get(sid)
    assert record is not None and record.pending_render == error["render_id"]

    # Space freed: the same render is downloaded, not rendered again, to where the export was headed.
    done = nemo("resume", "--session", sid, "--backend", server.base_url, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = only_json(done.stdout)
    assert result["render_id"] == error["render_id"] and Path(result["output"]) == old
    assert probe(old).has_video
    record = SessionStore().get(sid)
    assert record is not None and record.pending_render is None


def test_a_full_disk_during_a_run_leaves_no_file_and_the_job_resumes(server: Any, tmp_path: Path) -> None:
    videos = tmp_path / "videos"
    videos.mkdir()
    full = nemo(
        "run", "nemo-video-gen", "a 2-second green field", "-o", videos / "field.mp4",
        "--backend", server.base_url, "--json",
        cwd=tmp_path, **full_disk_env(tmp_path, videos),
    )  # fmt: skip

    assert full.returncode == 8, full.stderr
    assert "No space left on device" in one_error_line(full.stderr)
    error = only_json(full.stdout)
    assert error["error"]["code"] == "save_failed" and error["job_id"] and error["render_id"]
    assert list(videos.iterdir()) == []

    # Space freed: the pool that met the full disk (started with its environment) is gone first.
    pools_gone()
    done = nemo("resume", error["job_id"], "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert probe(videos / "field.mp4").has_video
    assert [p.name for p in videos.iterdir()] == ["field.mp4"]


def test_a_render_id_the_backend_does_not_know_is_refused_and_not_stored(server: Any, tmp_path: Path) -> None:
    sid = new_session(server, tmp_path)
    refused = nemo(
        "export", "--session", sid, "--render", "render_never_started", "--backend", server.base_url, "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 2, refused.stderr
    line = one_error_line(refused.stderr)
    assert "render_never_started is not known to the backend" in line
    assert f"nemo-skills export --session {sid}" in line
    error = only_json(refused.stdout)
    assert error["error"]["code"] == "unknown_render" and error["session_id"] == sid
    record = SessionStore().get(sid)
    assert record is not None and record.pending_render is None
    assert list(tmp_path.glob("*.mp4")) == []

    nothing = nemo("resume", "--session", sid, "--backend", server.base_url, cwd=tmp_path)
    assert nothing.returncode == 2
    assert "has no unfinished render" in one_error_line(nothing.stderr)


def test_resume_clears_a_pending_render_that_has_vanished(server: Any, tmp_path: Path) -> None:
    sid = new_session(server, tmp_path)

    def left_pending(record: SessionRecord | None) -> SessionRecord:
        assert record is not None
        return record.model_copy(update={"pending_render": "render_gone", "pending_output": "gone.mp4"})

    SessionStore().modify(sid, left_pending)
    gone = nemo("resume", "--session", sid, "--backend", server.base_url, "--json", cwd=tmp_path)
    assert gone.returncode == 2, gone.stderr
    line = one_error_line(gone.stderr)
    assert "render_gone is no longer known to the backend" in line and "cleared" in line
    assert only_json(gone.stdout)["error"]["code"] == "unknown_render"
    record = SessionStore().get(sid)
    assert record is not None and record.pending_render is None and record.pending_output is None

    again = nemo("resume", "--session", sid, "--backend", server.base_url, cwd=tmp_path)
    assert again.returncode == 2
    assert "has no unfinished render" in one_error_line(again.stderr)
