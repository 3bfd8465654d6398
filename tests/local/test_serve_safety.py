"""serve-local against hostile use: forged Host headers, guessed download URLs, other users' tokens,
readable data files, and renders piling up (cleaned after the keep window)."""

from __future__ import annotations

import os
import re
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nemo_skills import protocol
from nemo_skills.local import Faults, LocalBackend
from nemo_skills.local.job_store import EXPIRED_MESSAGE
from nemo_skills.local.renderer.expiry import RenderExpiry
from tests.clirun import nemo, only_json
from tests.local.helpers import Api

SMALL = {"resolution": 64, "fps": 5, "x264_preset": "ultrafast"}
HOURS = 3600.0


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask of a desktop (022): anything not set explicitly would come out world-readable."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalBackend, Api, str, str]]:
    """A backend with one finished render: (backend, its owner, render id, download URL)."""
    with LocalBackend(data_dir=tmp_path_factory.mktemp("served") / "data", **SMALL) as backend:
        owner = Api.connect(backend.base_url)
        owner.chat("a 1-second sunrise")
        render_id, _ = owner.start_render()
        body = owner.wait_render(render_id)
        assert body["status"] == "completed", body
        yield backend, owner, render_id, body["output"]["url"]


# --- the Host header ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example", "10.0.0.1"]
)
def test_a_forged_host_is_misdirected(local_backend: Any, host: str) -> None:
    forged = host.format(port=local_backend.port)
    for path in ("/healthz", protocol.PATH_CREDITS, "/files/AAAAAAAAAAAAAAAAAAAAAA/x.mp4"):
        r = httpx.get(local_backend.base_url + path, headers={"Host": forged})
        assert r.status_code == 421, (path, r.text)
        assert "Host header does not name this loopback server" in r.json()["message"]
        assert forged not in r.text


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "[::1]:{port}"]
)
def test_loopback_names_are_served_with_or_without_the_port(local_backend: Any, host: str) -> None:
    r = httpx.get(local_backend.base_url + "/healthz", headers={"Host": host.format(port=local_backend.port)})
    assert r.status_code == 200, r.text


# --- the Origin header (cross-site requests from a browser) --------------------------------------


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost.evil.example", "null"])
def test_a_request_from_another_sites_page_is_forbidden(local_backend: Any, origin: str) -> None:
    with httpx.Client(base_url=local_backend.base_url, headers={"Origin": origin}) as browser:
        answers = [
            browser.get("/healthz"),
            browser.post(protocol.PATH_ANON_TOKEN, json={}),
            browser.post(protocol.PATH_RENDER, json={}),
        ]
    for r in answers:
        assert r.status_code == 403, (r.request.url, r.text)
        assert r.headers["content-type"] == "application/json" and "\n" not in r.text
        assert "another site" in r.json()["message"] and origin not in r.text
        # Nothing reached the app: no anonymous token or render for the page.
        assert r.json()["data"] == {}


@pytest.mark.parametrize("origin", ["http://localhost:{port}", "http://127.0.0.1:{port}", "http://[::1]"])
def test_a_page_on_loopback_and_a_client_without_origin_are_served(local_backend: Any, origin: str) -> None:
    shown = origin.format(port=local_backend.port)
    assert httpx.get(local_backend.base_url + "/healthz", headers={"Origin": shown}).status_code == 200
    # The CLI and the SDK send no Origin at all.
    api = Api.connect(local_backend.base_url)
    assert api.http.get(protocol.PATH_CREDITS, headers=api.headers).status_code == 200


# --- downloads ----------------------------------------------------------------------------------


def test_the_download_url_holds_a_random_key_and_serves_its_owner(served: Any) -> None:
    _backend, owner, render_id, url = served
    match = re.search(rf"/files/([A-Za-z0-9_-]{{22}})/{render_id}\.mp4$", url)
    assert match, url
    with_token = httpx.get(url, headers=owner.headers)
    assert with_token.status_code == 200 and with_token.content[4:8] == b"ftyp"
    # Without a token the URL itself is the proof: it works in a browser, like a signed link.
    assert httpx.get(url).content == with_token.content


def test_a_guessed_or_old_style_url_is_404(served: Any) -> None:
    backend, owner, render_id, url = served
    key = url.split("/files/", 1)[1].split("/", 1)[0]
    wrong = ("A" if key[0] != "A" else "B") + key[1:]
    for guess in (
        f"/files/{render_id}.mp4",
        f"/files/{wrong}/{render_id}.mp4",
        f"/files/{key}/render_other.mp4",
        f"/files/{key}/..%2Fbackend.db",
        f"/files/{key}/backend.db",
    ):
        r = httpx.get(backend.base_url + guess, headers=owner.headers)
        assert r.status_code == 404, (guess, r.status_code)
        assert b"ftyp" not in r.content


def test_another_users_token_is_refused_even_with_the_url(served: Any) -> None:
    backend, _owner, render_id, url = served
    stranger = Api(backend.base_url)
    r = httpx.get(url, headers=stranger.headers)
    assert r.status_code == 403 and "another user" in r.json()["message"]
    assert httpx.head(url, headers=stranger.headers).status_code == 403
    # Nor can they read its status: render ids are not shared between users.
    assert (
        stranger.http.get(protocol.render_status_path(render_id), headers=stranger.headers).status_code == 404
    )


# --- owner-only files ---------------------------------------------------------------------------


def test_data_folder_database_uploads_and_renders_are_owner_only(
    backend_factory: Any, sample_media: Path, tmp_path: Path, loose_umask: None
) -> None:
    data = tmp_path / "data"
    backend = backend_factory(data_dir=data, **SMALL)
    api = Api.connect(backend.base_url, skill="free-generator-editor")
    assert api.upload(sample_media / "photo.jpg").json()["code"] == 0
    api.chat("use the images as slides, 1 second each")
    render_id, _ = api.start_render()
    assert api.wait_render(render_id)["status"] == "completed"
    folders = [data, data / "uploads", data / "uploads" / api.session_id, data / "renders"]
    assert {str(f): _mode(f) for f in folders} == {str(f): 0o700 for f in folders}
    files = [p for p in data.rglob("*") if p.is_file()]
    assert data / "backend.db" in files and data / "renders" / f"{render_id}.mp4" in files
    assert any(p.parent.name == api.session_id for p in files), "the upload is not there"
    assert {str(p): _mode(p) for p in files} == {str(p): 0o600 for p in files}


def test_a_readable_folder_left_by_an_older_version_is_tightened_on_start(
    backend_factory: Any, tmp_path: Path, loose_umask: None
) -> None:
    data = tmp_path / "data"
    (data / "renders").mkdir(parents=True)
    (data / "uploads" / "sess_old").mkdir(parents=True)
    old = [data / "renders" / "render_old.mp4", data / "uploads" / "sess_old" / "media_1.jpg"]
    for path in old:
        path.write_bytes(b"x")
        path.chmod(0o644)
    for folder in (data, data / "renders", data / "uploads", data / "uploads" / "sess_old"):
        folder.chmod(0o755)
    backend_factory(data_dir=data, keep_hours=None)
    assert _mode(data) == _mode(data / "renders") == _mode(data / "uploads" / "sess_old") == 0o700
    assert [_mode(p) for p in old] == [0o600, 0o600]
    assert _mode(data / "backend.db") == 0o600


def test_a_folder_holding_other_things_keeps_its_own_mode(
    backend_factory: Any, tmp_path: Path, loose_umask: None
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    (shared / "notes.txt").write_text("mine")
    backend_factory(data_dir=shared)
    assert _mode(shared) == 0o755 and _mode(shared / "notes.txt") == 0o644
    assert _mode(shared / "renders") == 0o700 and _mode(shared / "backend.db") == 0o600


# --- old renders --------------------------------------------------------------------------------


def _finished(backend: Any) -> tuple[Api, str, str]:
    api = Api.connect(backend.base_url)
    api.chat("a 1-second sunrise")
    render_id, _ = api.start_render()
    body = api.wait_render(render_id)
    assert body["status"] == "completed", body
    return api, render_id, body["output"]["url"]


def test_a_render_past_the_keep_window_is_deleted_and_reported_expired(
    backend_factory: Any, tmp_path: Path
) -> None:
    backend = backend_factory(data_dir=tmp_path / "data", **SMALL)
    api, render_id, url = _finished(backend)
    mp4 = tmp_path / "data" / "renders" / f"{render_id}.mp4"
    assert backend.sweep_renders(now=time.time() + 23 * HOURS).removed == []
    assert mp4.is_file()
    swept = backend.sweep_renders(now=time.time() + 25 * HOURS)
    assert swept.expired == [mp4.name] and not mp4.exists()
    status = api.status(render_id)
    assert status["status"] == "failed" and status["error_message"] == EXPIRED_MESSAGE
    gone = httpx.get(url, headers=api.headers)
    assert gone.status_code == 410 and gone.json()["message"] == EXPIRED_MESSAGE


def test_a_download_within_the_window_keeps_the_render(backend_factory: Any, tmp_path: Path) -> None:
    backend = backend_factory(data_dir=tmp_path / "data", **SMALL)
    api, render_id, url = _finished(backend)
    # Downloaded 20 hours from now: 25 hours from now it is 5 hours old, not 25.
    later = time.time() + 20 * HOURS
    backend._require().store.update_render(render_id, accessed=later)
    assert backend.sweep_renders(now=time.time() + 25 * HOURS).removed == []
    assert httpx.get(url, headers=api.headers).status_code == 200


def test_a_render_in_progress_and_its_temporary_file_are_never_cleaned(
    backend_factory: Any, tmp_path: Path
) -> None:
    backend = backend_factory(data_dir=tmp_path / "data", faults=Faults(render_delay=600), **SMALL)
    api = Api.connect(backend.base_url)
    api.chat("a 1-second sunrise")
    render_id, _ = api.start_render()
    renders = tmp_path / "data" / "renders"
    part = renders / f".{render_id}.mp4.0123456789ab.part"
    stale = renders / ".render_crashed.mp4.0123456789ab.part"
    for path in (part, stale):
        path.write_bytes(b"partial")
        os.utime(path, (0, 0))
    swept = backend.sweep_renders(now=time.time() + 1000 * HOURS)
    assert swept.removed == [stale.name]
    assert part.exists()
    assert api.status(render_id)["status"] in ("pending", "processing")


def test_keep_renders_keeps_everything(backend_factory: Any, tmp_path: Path) -> None:
    backend = backend_factory(data_dir=tmp_path / "data", keep_hours=None, **SMALL)
    _api, _render_id, url = _finished(backend)
    assert backend.sweep_renders(now=time.time() + 10_000 * HOURS).removed == []
    assert httpx.get(url).status_code == 200


def test_old_renders_are_cleaned_when_a_backend_starts(backend_factory: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = backend_factory(data_dir=data, **SMALL)
    api, render_id, _url = _finished(first)
    first.stop()
    second = backend_factory(data_dir=data, clock=lambda: time.time() + 25 * HOURS, **SMALL)
    assert not (data / "renders" / f"{render_id}.mp4").exists()
    api.http = httpx.Client(base_url=second.base_url, timeout=30)
    assert api.status(render_id)["error_message"] == EXPIRED_MESSAGE


def test_the_periodic_sweep_runs_on_its_interval(backend_factory: Any, tmp_path: Path) -> None:
    backend = backend_factory(data_dir=tmp_path / "data", keep_hours=None, **SMALL)
    _api, render_id, _url = _finished(backend)
    mp4 = tmp_path / "data" / "renders" / f"{render_id}.mp4"
    expiry = RenderExpiry(backend._require().store, 1, 0.001, clock=lambda: time.time() + 2 * HOURS)
    expiry.start()
    try:
        deadline = time.monotonic() + 10
        while mp4.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        expiry.stop()
    assert not mp4.exists()


def test_the_cli_says_an_expired_render_expired(backend_factory: Any, tmp_path: Path) -> None:
    backend = backend_factory(data_dir=tmp_path / "data", **SMALL)
    done = nemo("run", "auto", "a 1-second sunrise", "--backend", backend.base_url, "-o", "a.mp4", "--json",
                cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    first = only_json(done.stdout)
    assert (tmp_path / "a.mp4").stat().st_size > 0
    backend.sweep_renders(now=time.time() + 25 * HOURS)
    again = nemo("export", "--render", first["render_id"], "--session", first["session_id"],
                 "--backend", backend.base_url, "-o", "b.mp4", "--json", cwd=tmp_path)  # fmt: skip
    assert again.returncode == 8, again.stderr
    assert EXPIRED_MESSAGE in again.stderr and "Traceback" not in again.stderr
    assert EXPIRED_MESSAGE in only_json(again.stdout)["error"]["message"]
    assert not (tmp_path / "b.mp4").exists()
    # What the message says to do works: the timeline is kept, and a new export renders it again.
    fresh = nemo("export", "--session", first["session_id"], "--backend", backend.base_url, "-o", "b.mp4",
                 cwd=tmp_path)  # fmt: skip
    assert fresh.returncode == 0, fresh.stderr
    assert (tmp_path / "b.mp4").stat().st_size > 0


def test_a_render_finished_before_keys_existed_gets_one_when_asked(
    backend_factory: Any, tmp_path: Path
) -> None:
    backend = backend_factory(data_dir=tmp_path / "data", **SMALL)
    api, render_id, url = _finished(backend)
    backend._require().store.update_render(render_id, file_key=None)
    assert httpx.get(url).status_code == 404
    new_url = api.status(render_id)["output"]["url"]
    assert new_url != url and re.search(r"/files/[A-Za-z0-9_-]{22}/", new_url)
    assert httpx.get(new_url, headers=api.headers).status_code == 200
    assert api.status(render_id)["output"]["url"] == new_url


# --- unfinished uploads -------------------------------------------------------------------------


def _upload_part(data: Path, session: str, name: str, hours_old: float) -> Path:
    """A temporary upload file as a crashed upload leaves it, last written `hours_old` ago."""
    folder = data / "uploads" / session
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f".upload-{name}.part"
    part.write_bytes(b"half an upload")
    then = time.time() - hours_old * HOURS
    os.utime(part, (then, then))
    return part


def test_a_crashed_uploads_temporary_file_is_cleaned_after_an_hour(
    backend_factory: Any, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    # --keep-renders keeps renders, not the leftovers of uploads.
    backend = backend_factory(data_dir=data, keep_hours=None)
    stale = _upload_part(data, "sess_a", "stale", hours_old=0)
    fresh = _upload_part(data, "sess_b", "fresh", hours_old=0)
    media = data / "uploads" / "sess_a" / "media_1.jpg"
    media.write_bytes(b"an accepted upload")
    os.utime(media, (0, 0))
    os.utime(fresh, (time.time() + HOURS, time.time() + HOURS))
    assert backend.sweep_renders(now=time.time() + 0.9 * HOURS).removed == []
    swept = backend.sweep_renders(now=time.time() + 1.1 * HOURS)
    assert swept.removed == [stale.name]
    assert not stale.exists() and fresh.exists() and media.exists()


def test_stale_upload_files_are_cleaned_when_a_backend_starts(backend_factory: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    stale = _upload_part(data, "sess_a", "stale", hours_old=2)
    recent = _upload_part(data, "sess_a", "recent", hours_old=0.5)
    backend_factory(data_dir=data)
    assert not stale.exists() and recent.exists()


def test_how_long_an_unfinished_upload_is_kept_is_a_setting(backend_factory: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    part = _upload_part(data, "sess_a", "slow", hours_old=2)
    backend = backend_factory(data_dir=data, upload_part_hours=3)
    assert part.exists()
    assert backend.sweep_renders(now=time.time() + 1.1 * HOURS).removed == [part.name]


def test_an_upload_being_received_is_never_cleaned(
    backend_factory: Any, tmp_path: Path, sample_media: Path
) -> None:
    data = tmp_path / "data"
    backend = backend_factory(data_dir=data)
    api = Api.connect(backend.base_url, skill="free-generator-editor")
    photo = (sample_media / "photo.jpg").read_bytes()
    head = (
        b'--B\r\nContent-Disposition: form-data; name="files"; filename="photo.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n"
    )
    go_on = threading.Event()

    def body() -> Iterator[bytes]:
        yield head + photo[:100]
        go_on.wait(30)
        yield photo[100:] + b"\r\n--B--\r\n"

    headers = {**api.headers, "Content-Type": "multipart/form-data; boundary=B"}
    answer: list[httpx.Response] = []
    sender = threading.Thread(
        target=lambda: answer.append(
            httpx.post(
                backend.base_url + protocol.upload_path(api.session_id),
                headers=headers,
                content=body(),
                timeout=30,
            )
        )
    )
    sender.start()
    try:
        folder = data / "uploads" / api.session_id
        deadline = time.monotonic() + 10
        while not list(folder.glob(".upload-*.part")) and time.monotonic() < deadline:
            time.sleep(0.01)
        (part,) = folder.glob(".upload-*.part")
        # Old by its modification time, yet still being received: a slow upload is not cut off.
        os.utime(part, (0, 0))
        assert backend.sweep_renders(now=time.time() + 1000 * HOURS).removed == []
        assert part.exists()
    finally:
        go_on.set()
        sender.join(30)
    assert answer and answer[0].status_code == 200, answer
    assert [f["name"] for f in answer[0].json()["data"]["files"]] == ["photo.jpg"]
    assert not list(folder.glob(".upload-*.part"))
