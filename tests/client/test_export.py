"""Export: status shapes, adaptive polling, the deadline, and the resumable download."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from nemo_skills import protocol
from nemo_skills.client import ClientOptions
from nemo_skills.client.export import parse_render_status, poll_render
from nemo_skills.client.models import RenderProgress
from nemo_skills.errors import BackendError, NothingToExportError, RenderFailedError, RenderTimeoutError
from tests.client_fakes import DRAFT, FakeGateway, on

MOVIE = bytes(range(256)) * 400  # 100 KiB


@pytest.mark.parametrize(
    ("body", "status", "url", "progress"),
    [
        (
            {"success": True, "status": "completed", "output": {"url": "/f/a.mp4"}},
            "completed",
            "/f/a.mp4",
            1.0,
        ),
        (
            {"success": True, "data": {"status": "completed", "outputUrl": "/f/b.mp4"}},
            "completed",
            "/f/b.mp4",
            1,
        ),
        ({"success": True, "data": {"status": "processing", "progress": 42}}, "processing", None, 0.42),
        ({"success": True, "status": "pending", "progress": 0.1}, "pending", None, 0.1),
        ({"success": True, "data": {"state": "QUEUED"}}, "pending", None, None),
        ({"success": True, "status": "warming_up"}, "warming_up", None, None),
        (
            {"success": True, "data": {"status": "failed", "error": {"message": "ffmpeg died"}}},
            "failed",
            None,
            None,
        ),
    ],
)
def test_each_status_shape_is_read(body: dict, status: str, url: str | None, progress: float | None) -> None:  # type: ignore[type-arg]
    got = parse_render_status("render_1", body)
    assert (got.status, got.url, got.progress) == (status, url, progress)


def test_the_reason_of_a_failed_render_is_read_from_error_message() -> None:
    body = {"success": True, "status": "failed", "error_message": "render expired; run the export again"}
    assert parse_render_status("render_1", body).message == "render expired; run the export again"


def test_status_without_a_status_is_a_backend_error() -> None:
    with pytest.raises(BackendError):
        parse_render_status("render_1", {"success": True, "data": {}})


def _status_sequence(*bodies: dict) -> list:  # type: ignore[type-arg]
    return [on("/api/render/proxy/lambda/", httpx.Response(200, json=b)) for b in bodies]


def _serve_movie(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=MOVIE, headers={"Content-Length": str(len(MOVIE))})


async def test_full_export_polls_each_status_and_downloads(tmp_path: Path) -> None:
    seen: list[RenderProgress] = []
    gw = FakeGateway(
        draft=DRAFT,
        script=[
            on(protocol.PATH_RENDER, httpx.Response(200, json={"success": True, "data": {"id": "x"}})),
            *_status_sequence(
                {"success": True, "status": "pending"},
                {"success": True, "status": "rendering_frames"},
                {"success": True, "data": {"status": "processing", "progress": 50}},
                {"success": True, "data": {"status": "completed", "outputUrl": "/files/out.mp4"}},
            ),
            on("/files/out.mp4", _serve_movie),
        ],
    )
    async with gw.client() as client:
        result = await client.export(tmp_path, on_progress=seen.append)
    assert [p.status for p in seen] == ["pending", "rendering_frames", "processing", "completed"]
    assert result.path == tmp_path / f"{result.render_id}.mp4"
    assert result.path.read_bytes() == MOVIE and result.size == len(MOVIE)
    assert result.url == "http://gw.test/files/out.mp4"
    create = json.loads(gw.bodies[gw.paths().index(protocol.PATH_RENDER)])
    assert create["id"] == result.render_id and result.render_id.startswith("render_")
    assert create["sessionId"] == "sess-1" and create["draft"] == DRAFT
    assert create["output"] == {"format": "mp4", "quality": "high"}
    download = gw.requests[-1]
    assert download.headers["Authorization"] == "Bearer tok-anon-1"


async def test_empty_timeline_is_not_exported() -> None:
    gw = FakeGateway()
    async with gw.client() as client:
        with pytest.raises(NothingToExportError):
            await client.start_export()
    assert protocol.PATH_RENDER not in gw.paths()


async def test_deadline_raises_with_the_render_id() -> None:
    gw = FakeGateway(script=_status_sequence(*[{"success": True, "status": "processing"}] * 3))
    async with gw.client(options=ClientOptions(poll_initial=0.01, poll_max=0.01)) as client:
        with pytest.raises(RenderTimeoutError) as info:
            await client.wait_render("render_123", deadline=0.0)
    assert info.value.render_id == "render_123"
    assert "render_123" in info.value.user_message()


async def test_failed_render_raises_with_the_reason() -> None:
    gw = FakeGateway(script=_status_sequence({"success": True, "status": "failed", "error": "no frames"}))
    async with gw.client() as client:
        with pytest.raises(RenderFailedError, match="no frames"):
            await client.wait_render("render_9")


async def test_completed_without_a_link_is_a_failure() -> None:
    gw = FakeGateway(script=_status_sequence({"success": True, "status": "completed"}))
    async with gw.client() as client:
        with pytest.raises(RenderFailedError, match="no download link"):
            await client.wait_render("render_9")


async def test_retry_after_on_a_status_answer_holds_off_the_next_poll() -> None:
    now = 0.0
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        nonlocal now
        waits.append(seconds)
        now += seconds

    gw = FakeGateway(
        script=[
            on(
                "/api/render/proxy/lambda/",
                httpx.Response(200, headers={"Retry-After": "7"}, json={"status": "x"}),
            ),
            on("/api/render/proxy/lambda/", httpx.Response(200, json={"data": {"status": "processing"}})),
            *_status_sequence({"status": "completed", "output": {"url": "/f"}}),
        ]
    )
    options = ClientOptions(poll_initial=2, poll_blind=2.5, poll_max=30, poll_factor=2)
    async with gw.client(options=options) as client:
        await poll_render(
            "render_1",
            lambda: client.render_status("render_1"),
            options,
            clock=lambda: now,
            sleep=fake_sleep,
        )
    # The server's 7 s, then the policy's own wait (no progress reported: a short one).
    assert waits == [7, 2.5]


def _dropping_server(fail_after: list[int], honour_range: bool = True):  # type: ignore[no-untyped-def]
    """Serve MOVIE; the n-th response breaks off after fail_after[n] bytes."""
    calls: list[str | None] = []

    async def body(data: bytes, cut: int | None) -> AsyncIterator[bytes]:
        if cut is None:
            yield data
            return
        yield data[:cut]
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    def handler(request: httpx.Request) -> httpx.Response:
        rng = request.headers.get("Range")
        calls.append(rng)
        cut = fail_after[len(calls) - 1] if len(calls) <= len(fail_after) else None
        if rng and honour_range:
            start = int(rng.removeprefix("bytes=").rstrip("-"))
            part = MOVIE[start:]
            headers = {
                "Content-Range": f"bytes {start}-{len(MOVIE) - 1}/{len(MOVIE)}",
                "Content-Length": str(len(part)),
            }
            return httpx.Response(206, headers=headers, content=body(part, cut))
        return httpx.Response(200, headers={"Content-Length": str(len(MOVIE))}, content=body(MOVIE, cut))

    return handler, calls


async def test_download_resumes_with_range_after_drops(tmp_path: Path) -> None:
    handler, calls = _dropping_server([30_000, 20_000])
    gw = FakeGateway(script=[on("/files/", handler)] * 3)
    dest = tmp_path / "out.mp4"
    seen: list[tuple[int, int | None]] = []
    async with gw.client() as client:
        await client.download("/files/out.mp4", dest, on_progress=lambda a, b: seen.append((a, b)))
    assert calls == [None, "bytes=30000-", "bytes=50000-"]
    assert dest.read_bytes() == MOVIE
    assert seen[-1] == (len(MOVIE), len(MOVIE))
    assert list(tmp_path.iterdir()) == [dest]


async def test_download_restarts_when_the_server_ignores_range(tmp_path: Path) -> None:
    handler, _ = _dropping_server([10_000], honour_range=False)
    gw = FakeGateway(script=[on("/files/", handler)] * 2)
    dest = tmp_path / "out.mp4"
    async with gw.client() as client:
        await client.download("/files/out.mp4", dest)
    assert dest.read_bytes() == MOVIE


async def test_download_that_keeps_breaking_leaves_no_file(tmp_path: Path) -> None:
    handler, _ = _dropping_server([100] * 10)
    gw = FakeGateway(script=[on("/files/", handler)] * 10)
    dest = tmp_path / "out.mp4"
    async with gw.client(options=ClientOptions(download_retries=2, download_retry_wait=0)) as client:
        with pytest.raises(BackendError, match="kept breaking off"):
            await client.download("/files/out.mp4", dest)
    assert list(tmp_path.iterdir()) == []


async def test_download_shorter_than_announced_is_not_renamed_into_place(tmp_path: Path) -> None:
    def short(request: httpx.Request) -> httpx.Response:
        # Content-Length lies: httpx sees the body end early, like a dropped connection.
        return httpx.Response(200, headers={"Content-Length": str(len(MOVIE) + 10)}, content=MOVIE)

    gw = FakeGateway(script=[on("/files/", short)] * 3)
    dest = tmp_path / "out.mp4"
    async with gw.client(options=ClientOptions(download_retries=1, download_retry_wait=0)) as client:
        with pytest.raises(BackendError):
            await client.download("/files/out.mp4", dest)
    assert not dest.exists()


async def test_the_token_is_not_sent_to_another_host(tmp_path: Path) -> None:
    gw = FakeGateway(script=[on("/out.mp4", _serve_movie)])
    async with gw.client() as client:
        await client.download("https://cdn.example/out.mp4", tmp_path / "out.mp4")
    assert "Authorization" not in gw.requests[-1].headers
