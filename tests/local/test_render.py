"""Export: real MP4s from the draft, render job states, downloads with Range, and render faults."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from nemo_skills import protocol
from nemo_skills.local import Faults
from nemo_skills.local.renderer.probe import probe
from tests.local.helpers import Api

SMALL = {"resolution": 240, "fps": 15, "x264_preset": "ultrafast"}


def test_prompt_to_1080p_mp4(local_backend: Any, tmp_path: Path) -> None:
    api = Api.connect(local_backend.base_url)
    api.chat("a 5-second sunset over a city skyline")
    api.chat('add a title "Golden Hour"')
    status = api.export(tmp_path / "sunset.mp4")
    assert status["progress"] == 100
    assert status["output"]["url"].startswith(local_backend.base_url + "/files/")
    info = probe(tmp_path / "sunset.mp4")
    assert (info.width, info.height) == (1920, 1080)
    assert abs(info.duration - 5.0) < 0.2
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert info.has_audio


def test_slides_clips_and_music_render_vertical(
    backend_factory: Any, sample_media: Path, tmp_path: Path
) -> None:
    backend = backend_factory(**SMALL)
    api = Api.connect(backend.base_url, skill="free-generator-editor")
    api.upload(*(sample_media / n for n in ("photo.jpg", "photo2.png", "clip.mp4", "clip2.mp4", "music.mp3")))
    api.chat("use the images as slides, 1 second each")
    api.chat("use my clips")
    api.chat("add background music at 50%")
    api.chat("make it 9:16")
    api.export(tmp_path / "mix.mp4")
    info = probe(tmp_path / "mix.mp4")
    assert (info.width, info.height) == (240, 426)
    assert abs(info.duration - 6.0) < 0.2
    assert info.has_audio


def test_aspect_ratio_can_come_from_the_request(backend_factory: Any, tmp_path: Path) -> None:
    backend = backend_factory(**SMALL)
    api = Api.connect(backend.base_url)
    api.chat("a 1-second sunrise")
    api.export(tmp_path / "square.mp4", output={"format": "mp4", "quality": "high", "aspectRatio": "1:1"})
    info = probe(tmp_path / "square.mp4")
    assert (info.width, info.height) == (240, 240)


def test_render_moves_through_statuses_with_progress(backend_factory: Any) -> None:
    backend = backend_factory(faults=Faults(render_delay=0.4, empty_reply_share=0.0), **SMALL)
    api = Api.connect(backend.base_url)
    api.chat("a 1-second sunrise")
    render_id, r = api.start_render()
    assert r.json() == {"success": True, "data": {"id": render_id, "status": "pending", "progress": 0.0}}
    seen = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = api.status(render_id)
        seen.append((body["status"], body["progress"]))
        if body["status"] in protocol.RenderStatus.TERMINAL:
            break
        time.sleep(0.02)
    statuses = [s for s, _ in seen]
    assert "processing" in statuses and statuses[-1] == "completed"
    assert [p for _, p in seen] == sorted(p for _, p in seen)


def test_render_fail_fault(backend_factory: Any) -> None:
    backend = backend_factory(faults=Faults(render_fail=1, empty_reply_share=0.0), **SMALL)
    api = Api.connect(backend.base_url)
    api.chat("a 1-second sunrise")
    render_id, _ = api.start_render()
    body = api.wait_render(render_id)
    assert body["status"] == "failed" and "injected" in body["error_message"]
    render_id, _ = api.start_render()
    assert api.wait_render(render_id)["status"] == "completed"


@pytest.mark.parametrize("shape", ["data", "alternate"])
def test_status_shapes(backend_factory: Any, shape: str) -> None:
    backend = backend_factory(status_shape=shape, **SMALL)
    api = Api.connect(backend.base_url)
    api.chat("a 1-second sunrise")
    render_id, _ = api.start_render()
    body = api.wait_render(render_id)
    if shape == "data":
        assert body["success"] is True and body["data"]["status"] == "completed"
        assert re.search(rf"/files/[A-Za-z0-9_-]{{22}}/{render_id}\.mp4$", body["data"]["outputUrl"])
    else:
        first, second = api.status(render_id), api.status(render_id)
        assert {"status" in first, "status" in second} == {True, False}


def test_export_needs_every_attribution_header(local_backend: Any) -> None:
    api = Api.connect(local_backend.base_url)
    api.chat("a 1-second sunrise")
    draft = api.state()["state"]["draft"]
    headers = {k: v for k, v in api.headers.items() if k != protocol.HEADER_SKILL_VERSION}
    r = api.http.post(
        protocol.PATH_RENDER, headers=headers, json=protocol.render_body("r_402", api.session_id, draft)
    )
    assert r.status_code == 402
    assert r.json()["success"] is False and "X-Skill-Version" in r.json()["error"]


def test_plan_tier_block(backend_factory: Any) -> None:
    backend = backend_factory(plan_blocks_export=True)
    api = Api.connect(backend.base_url)
    api.chat("a 1-second sunrise")
    _, r = api.start_render()
    assert r.status_code == 402 and "plan" in r.json()["error"]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"id": "../../etc/passwd"}, "letters, digits"),
        ({"draft": {"t": []}}, "no segments"),
        ({"draft": "nope"}, "not a valid draft"),
        ({"draft": {"t": [{"tt": "video", "sg": []}]}}, "t.0.tt"),
        ({"output": {"format": "gif"}}, "mp4"),
        ({"sessionId": None}, "sessionId"),
    ],
)
def test_bad_render_requests_get_400(local_backend: Any, change: dict[str, Any], needle: str) -> None:
    api = Api.connect(local_backend.base_url)
    api.chat("a 1-second sunrise")
    body = {**protocol.render_body("r_bad", api.session_id, api.state()["state"]["draft"]), **change}
    r = api.http.post(protocol.PATH_RENDER, headers=api.headers, json=body)
    assert r.status_code == 400 and needle in r.json()["error"]


def test_unknown_render_id_is_404(local_backend: Any) -> None:
    api = Api.connect(local_backend.base_url)
    r = api.http.get(protocol.render_status_path("render_nope"), headers=api.headers)
    assert r.status_code == 404 and r.json() == {
        "success": False,
        "error": "render 'render_nope' not found",
        "code": 404,
    }


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A backend with one finished render (small), and that file's bytes."""
    from nemo_skills.local import LocalBackend

    with LocalBackend(faults=Faults(drop_download_after=1000, empty_reply_share=0.0), **SMALL) as backend:
        api = Api.connect(backend.base_url)
        api.chat("a 2-second sunrise")
        render_id, _ = api.start_render()
        url = api.wait_render(render_id)["output"]["url"]
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(url)  # the first download is dropped after 1000 bytes
        whole = httpx.get(url)
        yield url, whole


def test_downloads_support_ranges(rendered: Any) -> None:
    url, whole = rendered
    size = len(whole.content)
    assert whole.headers["accept-ranges"] == "bytes" and int(whole.headers["content-length"]) == size
    part = httpx.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == whole.content[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{size}"
    tail = httpx.get(url, headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.content == whole.content[-100:]
    rest = httpx.get(url, headers={"Range": "bytes=1000-"})
    assert whole.content[:1000] + rest.content == whole.content
    bad = httpx.get(url, headers={"Range": f"bytes={size}-"})
    assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{size}"
    head = httpx.head(url)
    assert head.status_code == 200 and head.content == b""


def test_download_of_an_unknown_or_tricky_name_is_404(rendered: Any) -> None:
    url, _ = rendered
    base = url.rsplit("/files/", 1)[0]
    for name in ("nope.mp4", "..%2Fbackend.db", "backend.db"):
        assert httpx.get(f"{base}/files/{name}").status_code == 404


def test_state_survives_a_restart_with_a_data_dir(backend_factory: Any, tmp_path: Path) -> None:
    first = backend_factory(data_dir=tmp_path / "data", **SMALL)
    api = Api.connect(first.base_url)
    api.chat("a 1-second sunrise")
    render_id, _ = api.start_render()
    api.wait_render(render_id)
    first.stop()
    stored = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("backend.db*"))
    assert stored and b"nemo_local_" not in stored
    second = backend_factory(data_dir=tmp_path / "data", **SMALL)
    again = Api(second.base_url, token=api.token)
    again.session_id = api.session_id
    assert again.state()["timeline"] == "Timeline (1 track): 1. Video: sunrise (0-1s)"
    assert again.status(render_id)["status"] == "completed"
    assert again.credits()["available"] == 90


def test_progress_never_goes_back_when_ffmpeg_starts_after_a_slow_phase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nemo_skills.local.config import BackendSettings
    from nemo_skills.local.faults import FaultState
    from nemo_skills.local.records import RenderJob
    from nemo_skills.local.renderer import jobs
    from nemo_skills.local.renderer.render_plan import RenderPlan
    from nemo_skills.local.state import Store

    def fake_render(draft: Any, lookup: Any, dest: Path, **kw: Any) -> RenderPlan:
        for done in (0.05, 0.5, 1.0):
            kw["on_progress"](done)
        dest.write_bytes(b"mp4")
        return RenderPlan(args=[], duration=1.0, width=2, height=2, captions=False)

    monkeypatch.setattr(jobs, "render_draft", fake_render)
    settings = BackendSettings(faults=Faults(render_delay=0.01))
    faults = FaultState(settings.faults)
    store = Store(tmp_path, settings, faults)
    seen: list[float] = []
    update = store.update_render

    def record(render_id: str, **changes: Any) -> None:
        if "progress" in changes:
            seen.append(changes["progress"])
        update(render_id, **changes)

    monkeypatch.setattr(store, "update_render", record)
    store.add_render(RenderJob(id="r1", session_id="s", user_id="u", created=0, updated=0, draft={}))
    queue = jobs.RenderQueue(store, settings, faults)
    try:
        queue._run("r1")
    finally:
        queue.shutdown()
    assert store.render("r1").status == "completed"  # type: ignore[union-attr]
    assert seen == sorted(seen) and seen[-1] == 100.0, seen


def test_a_render_records_when_it_finished_and_a_restart_clears_it(tmp_path: Path) -> None:
    # The batch benchmark measures how late a client notices a finished render from this stamp.
    from nemo_skills.local.config import BackendSettings
    from nemo_skills.local.faults import FaultState
    from nemo_skills.local.records import RenderJob
    from nemo_skills.local.state import Store

    settings = BackendSettings()
    store = Store(tmp_path, settings, FaultState(settings.faults))
    try:
        store.add_render(RenderJob(id="r1", session_id="s", user_id="u", created=0, updated=0, draft={}))
        store.update_render("r1", status="processing", progress=50.0)
        assert store.render("r1").finished is None  # type: ignore[union-attr]
        before = time.time()
        store.update_render("r1", status="completed", progress=100.0)
        finished = store.render("r1").finished  # type: ignore[union-attr]
        assert finished is not None and before <= finished <= time.time()
        store.update_render("r1", accessed=time.time())
        assert store.render("r1").finished == finished  # type: ignore[union-attr]
        store.update_render("r1", status="pending", progress=0.0)
        assert store.render("r1").finished is None  # type: ignore[union-attr]
    finally:
        store.close()
