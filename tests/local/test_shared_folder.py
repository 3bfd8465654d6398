"""Many backend processes on one data folder: nothing lost or mixed, renders shared, a stable port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from nemo_skills import protocol
from nemo_skills.errors import ExitCode
from nemo_skills.files.atomic import data_dir
from nemo_skills.local import Faults
from nemo_skills.local.renderer.probe import probe
from tests.clirun import nemo, only_json, start
from tests.local.helpers import Api

SERVE = [sys.executable, "-m", "nemo_skills", "serve-local"]
TINY = ("--resolution", "96")
RUNS = 6


def _serve(*args: str | Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [*SERVE, *TINY, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url:
        proc.kill()
        _out, err = proc.communicate(timeout=20)
        raise AssertionError(f"serve-local did not start: {err}")
    return proc, url


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return err


def _status(body: dict[str, Any]) -> str:
    return str(body.get("status") or body.get("data", {}).get("status"))


def test_concurrent_local_runs_lose_no_session(tmp_path: Path) -> None:
    runs = [
        start(
            "run",
            "auto",
            f"a 1-second sunset number {i}",
            "--backend",
            "local",
            "--no-export",
            "--json",
            cwd=tmp_path,
        )
        for i in range(RUNS)
    ]
    results = [(proc.communicate(timeout=180), proc.returncode) for proc in runs]
    for (_out, err), code in results:
        assert code == 0, err
    sessions = [only_json(out)["session_id"] for (out, _err), _code in results]
    assert len(set(sessions)) == RUNS

    # Read back concurrently too: each reader is one more backend process on the same folder.
    readers = [
        start("state", "--session", sid, "--backend", "local", "--json", cwd=tmp_path) for sid in sessions
    ]
    for i, (sid, proc) in enumerate(zip(sessions, readers, strict=True)):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, (proc.returncode, err)
        state = only_json(out)
        assert state["session_id"] == sid
        assert f"sunset number {i}" in state["timeline"]
    assert not (data_dir() / "local-backend" / "state.json").exists()


def test_a_render_started_through_one_server_finishes_through_another(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    # The first server renders slowly, so it is killed mid-render; the second has to take the job over.
    first, first_url = _serve("--data-dir", folder, "--port", "0", "--render-delay", "30")
    second, second_url = _serve("--data-dir", folder, "--port", "0")
    try:
        assert first_url != second_url
        api = Api.connect(first_url)
        api.chat("a 1-second sunrise")
        render_id, r = api.start_render()
        assert r.json()["success"] is True, r.text

        other = Api(second_url, token=api.token)  # the token is known to every server on the folder
        other.session_id = api.session_id
        assert other.state()["timeline"] == api.state()["timeline"]
        assert _status(other.status(render_id)) in ("pending", "processing")

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=20)
        body = other.wait_render(render_id)
        assert body["status"] == "completed", body
        url = body["output"]["url"]
        assert url.startswith(second_url + "/files/")
        video = tmp_path / "out.mp4"
        video.write_bytes(httpx.get(url, timeout=30).content)
        info = probe(video)
        assert info.video_codec == "h264" and abs(info.duration - 1.0) < 0.2
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=20)
        _stop(second)


def test_a_render_finished_by_one_server_is_polled_and_downloaded_through_another(
    backend_factory: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "data"
    one = backend_factory(data_dir=folder, resolution=96, fps=10, x264_preset="ultrafast")
    two = backend_factory(data_dir=folder, resolution=96, fps=10, x264_preset="ultrafast")
    api = Api.connect(one.base_url)
    api.chat("a 1-second sunrise")
    render_id, _ = api.start_render()
    other = Api(two.base_url, token=api.token)
    body = other.wait_render(render_id)
    assert body["status"] == "completed", body
    assert body["output"]["url"].startswith(two.base_url + "/files/")
    assert (
        httpx.get(body["output"]["url"]).content
        == httpx.get(api.wait_render(render_id)["output"]["url"]).content
    )


def test_a_render_id_belongs_to_one_request(backend_factory: Any, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    one = backend_factory(data_dir=folder, faults=Faults(render_delay=0.2), resolution=96, fps=10)
    two = backend_factory(data_dir=folder, resolution=96, fps=10)
    api = Api.connect(one.base_url)
    api.chat("a 1-second sunrise")
    credits = api.credits()["available"]
    render_id, first = api.start_render("render_shared_1")
    assert first.status_code == 200 and first.json()["data"]["id"] == render_id

    # The same request again (a client retrying after a dropped connection), even through the other
    # server: the render already started, not a second one.
    again = Api(two.base_url, token=api.token)
    again.session_id = api.session_id
    _, retry = again.start_render(render_id)
    assert retry.status_code == 200 and retry.json()["success"] is True, retry.text
    assert retry.json()["data"]["id"] == render_id
    assert api.wait_render(render_id)["status"] == "completed"
    assert api.credits()["available"] == credits

    # Another user's session, on either server: 409 with a message saying what to do.
    for base_url in (one.base_url, two.base_url):
        stranger = Api.connect(base_url)
        stranger.chat("a 1-second sunset")
        _, taken = stranger.start_render(render_id)
        assert taken.status_code == protocol.HTTP_RENDER_ID_TAKEN
        body = taken.json()
        assert body["success"] is False and body["code"] == protocol.HTTP_RENDER_ID_TAKEN
        assert "already used by another session" in body["error"] and "new id" in body["error"]

    # The same session with a changed draft is another request: 409 too.
    api.chat('add a title "Hello"')
    _, changed = api.start_render(render_id)
    assert changed.status_code == protocol.HTTP_RENDER_ID_TAKEN
    assert "different draft" in changed.json()["error"]
    assert api.status(render_id)["status"] == "completed"


def test_serve_local_keeps_its_port_across_restarts(tmp_path: Path) -> None:
    folder = tmp_path / "served"
    proc, url = _serve("--data-dir", folder)
    try:
        made = nemo(
            "run",
            "nemo-video-gen",
            "a 1-second sunset",
            "--backend",
            url,
            "--no-export",
            "--json",
            cwd=tmp_path,
        )
        assert made.returncode == 0, made.stderr
        session_id = only_json(made.stdout)["session_id"]

        # While it runs, a second start on the folder cannot have the port: one line, exit 2.
        busy = subprocess.run(
            [*SERVE, "--data-dir", str(folder)],
            capture_output=True,
            text=True,
            env={**os.environ},
            timeout=60,
        )
        assert busy.returncode == ExitCode.BAD_INPUT, busy.stderr
        assert busy.stdout == "" and "--port" in busy.stderr and "Traceback" not in busy.stderr
        assert len(busy.stderr.strip().splitlines()) == 1
    finally:
        _stop(proc)

    proc, again = _serve("--data-dir", folder)
    try:
        assert again == url
        more = nemo(
            "run", "--continue", 'add a title "Dusk"', "--backend", url, "--no-export", "--json", cwd=tmp_path
        )
        assert more.returncode == 0, more.stderr
        result = only_json(more.stdout)
        assert result["session_id"] == session_id and result["session_replaced"] is None
        assert "Dusk" in result["timeline"] and "sunset" in result["timeline"]
    finally:
        _stop(proc)


def test_a_state_file_of_an_earlier_version_is_moved_into_the_database(
    backend_factory: Any, tmp_path: Path
) -> None:
    from nemo_skills.local.records import Account, BackendSession, StoreData, TokenRecord
    from nemo_skills.local.state import token_key

    folder = tmp_path / "data"
    folder.mkdir()
    token = "nemo_local_from_an_earlier_version"
    old = StoreData(
        accounts={"anon_1": Account(user_id="anon_1", anonymous=True, available=42)},
        tokens={token_key(token): TokenRecord(user_id="anon_1", issued_at=0, expires_at=time.time() + 3600)},
        sessions={
            "sess_old": BackendSession(
                session_id="sess_old", task_id="t", bind_id=None, user_id="anon_1", created=0, updated=0
            )
        },
    )
    (folder / "state.json").write_text(old.model_dump_json())
    backend = backend_factory(data_dir=folder)
    api = Api(backend.base_url, token=token)
    api.session_id = "sess_old"
    assert api.credits()["available"] == 42
    assert api.state()["session_id"] == "sess_old"
    assert not (folder / "state.json").exists() and (folder / "state.json.imported").is_file()
