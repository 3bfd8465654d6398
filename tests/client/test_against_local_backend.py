"""The client against the local backend over real loopback HTTP and SSE, faults included."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nemo_skills.client import AsyncNemoClient, ClientOptions
from nemo_skills.client.events import (
    ChatEvent,
    Heartbeat,
    PartialText,
    ReplyDone,
    SessionReplaced,
    StateChange,
    StillWorking,
    StreamError,
    TextEvent,
    ToolCall,
    ToolResult,
)
from nemo_skills.errors import BackendError, NoCreditsError, PlanTierError, RenderTimeoutError
from nemo_skills.local import Faults
from nemo_skills.local.renderer.probe import probe
from tests.client_fakes import make_wav

FAST = ClientOptions(
    poll_initial=0.05, poll_max=0.2, still_working_interval=60, download_retry_wait=0, settle_interval=0.05
)
SMALL = {"resolution": 144}  # renders that only need to exist, not to look good

Factory = Callable[..., Any]


def client(backend: Any, skill: str = "nemo-video-gen", **kwargs: Any) -> AsyncNemoClient:
    kwargs.setdefault("options", FAST)
    return AsyncNemoClient(skill, base_url=backend.base_url, **kwargs)


async def events_of(c: AsyncNemoClient, text: str) -> list[ChatEvent]:
    return [e async for e in c.chat(text)]


async def test_token_is_fetched_cached_0600_and_reused(backend_factory: Factory, tmp_path: Path) -> None:
    backend = backend_factory(**SMALL)
    async with client(backend, config_dir=tmp_path) as c:
        await c.connect()
        assert c.anonymous
    auth = tmp_path / "auth.json"
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600
    token = json.loads(auth.read_text())["tokens"][backend.base_url]["token"]
    # The backend allows one live token per client id (429 otherwise): a second
    # client can only get through by reusing the cached one.
    async with client(backend, config_dir=tmp_path) as c:
        assert (await c.credits()).available == 100
    assert json.loads(auth.read_text())["tokens"][backend.base_url]["token"] == token


@pytest.mark.parametrize("auth_http_401", [False, True])
async def test_expired_token_is_replaced_and_the_call_retried(
    backend_factory: Factory, tmp_path: Path, auth_http_401: bool
) -> None:
    backend = backend_factory(
        faults=Faults(expire_token_after=2, empty_reply_share=0), auth_http_401=auth_http_401
    )
    async with client(backend, config_dir=tmp_path) as c:
        await c.connect()
        first = json.loads((tmp_path / "auth.json").read_text())["tokens"][backend.base_url]["token"]
        for _ in range(3):
            await c.credits()
        await c.state()
    second = json.loads((tmp_path / "auth.json").read_text())["tokens"][backend.base_url]["token"]
    assert second != first


async def test_lost_session_gets_a_new_one_and_the_caller_is_told(backend_factory: Factory) -> None:
    backend = backend_factory(faults=Faults(lose_session_after=2, empty_reply_share=0), **SMALL)
    async with client(backend) as c:
        info = await c.connect()
        await c.send("a 3-second sunset")
        events = await events_of(c, "add the title 'Again'")
    replaced = [e for e in events if isinstance(e, SessionReplaced)]
    assert len(replaced) == 1 and replaced[0].old_session_id == info.session_id
    done = events[-1]
    assert isinstance(done, ReplyDone)
    assert done.reply.session_replaced == info.session_id
    assert "timeline" in done.reply.text and "lost" in done.reply.text
    assert c.session_id != info.session_id


async def test_429_is_retried_once_after_retry_after(backend_factory: Factory) -> None:
    backend = backend_factory(faults=Faults(rate_limit=1, rate_limit_retry_after=0, empty_reply_share=0))
    # Without Retry-After the client would wait 30 s, longer than it may: honouring it is the only way through.
    options = ClientOptions(rate_limit_wait=30, rate_limit_max_wait=5)
    async with client(backend, options=options) as c:
        assert (await c.credits()).total == 100


async def test_every_event_kind_of_a_real_stream(backend_factory: Factory) -> None:
    backend = backend_factory(
        faults=Faults(heartbeat_delay=0.3, stall_seconds=0.3, empty_reply_share=0), heartbeat_interval=0.02
    )
    options = FAST.model_copy(update={"still_working_interval": 0.1})
    async with client(backend, options=options) as c:
        events = await events_of(c, "a 5-second sunset over the sea")
    kinds = {type(e) for e in events}
    assert {PartialText, TextEvent, ToolCall, ToolResult, StateChange, Heartbeat, StillWorking} <= kinds
    assert isinstance(events[-1], ReplyDone)
    reply = events[-1].reply
    texts = [e.text for e in events if isinstance(e, TextEvent)]
    # Partials are previews of the final text, which appears once, GUI phrases translated.
    assert reply.text.count("sunset over the sea") == texts[0].count("sunset over the sea")
    assert "click" not in reply.text.lower()
    assert "generate_scene" not in reply.text
    assert any("Video: sunset over the sea (0-5s)" in change for change in reply.changes)


async def test_error_frame_mid_stream_is_an_event_then_a_clear_error(backend_factory: Factory) -> None:
    backend = backend_factory(faults=Faults(stream_error_times=1, empty_reply_share=0))
    events: list[ChatEvent] = []
    async with client(backend) as c:
        with pytest.raises(BackendError, match=r"broke off: .*fault.*not applied") as info:
            async for event in c.chat("a 4-second forest at dawn"):
                events.append(event)
        assert "send the request again" in info.value.user_message()
        assert backend.chat_requests == 1
        again = await c.send("add the title 'Dawn'")
    assert isinstance(events[-1], StreamError)
    assert again.error is None and "Dawn" in again.text


async def test_dropped_stream_still_tells_the_user_what_changed(backend_factory: Factory) -> None:
    # Slow heartbeats: the stream's 4th frame comes after the edit landed, and the drop happens there.
    faults = Faults(drop_stream_after=3, empty_reply_share=0)
    backend = backend_factory(faults=faults, heartbeat_interval=30)
    async with client(backend) as c:
        events = await events_of(c, "a 4-second forest at dawn")
        credits = await c.credits()
    assert any(isinstance(e, StreamError) and "dropped" in e.message for e in events)
    done = events[-1]
    assert isinstance(done, ReplyDone)
    assert done.reply.from_state and done.reply.error
    assert done.reply.timeline == "Timeline (1 track): 1. Video: forest at dawn (0-4s)"
    assert "forest at dawn (0-4s)" in done.reply.text
    assert "broke off" in done.reply.text and "shows the request was applied" in done.reply.text
    assert backend.chat_requests == 1 and credits.total < 100


async def test_dropped_stream_whose_edit_then_failed_says_not_applied(backend_factory: Factory) -> None:
    # Dropped before the first frame; the turn goes on without the client, and fails.
    faults = Faults(drop_stream_after=0, stream_error_times=1, empty_reply_share=0)
    backend = backend_factory(faults=faults)
    async with client(backend) as c:
        with pytest.raises(BackendError, match="dropped") as info:
            await c.send("a 4-second forest at dawn")
        state = await c.state()
        credits = await c.credits()
    message = info.value.user_message()
    assert "not applied" in message and "send the request again" in message
    assert backend.chat_requests == 1
    assert not state.draft.ready_to_export and credits.total == 100


async def test_empty_stream_falls_back_to_the_state_diff(backend_factory: Factory) -> None:
    backend = backend_factory(faults=Faults(empty_reply_share=1.0))
    async with client(backend) as c:
        events = await events_of(c, "a 6-second city timelapse")
    assert not [e for e in events if isinstance(e, TextEvent | PartialText)]
    done = events[-1]
    assert isinstance(done, ReplyDone)
    reply = done.reply
    assert reply.from_state
    assert reply.timeline == "Timeline (1 track): 1. Video: city timelapse (0-6s)"
    assert "city timelapse (0-6s)" in reply.text


async def test_uploads_state_and_the_timeline_summary(local_backend: Any, sample_media: Path) -> None:
    async with client(local_backend) as c:
        music = await c.upload_file(sample_media / "music.mp3")
        assert music.files == ["music.mp3"] and music.items[0].kind == "audio"
        await c.send("a 10-second city timelapse")
        await c.send("add the uploaded music as background music at 35%")
        await c.send("add the title 'Urban Dreams'")
        state = await c.state()
    assert state.timeline == (
        'Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: music.mp3 (0-10s, 35%) 3. Title: "Urban Dreams" (0-3s)'
    )
    assert any(m.get("name") == "music.mp3" for m in state.video_infos)


async def test_large_upload_is_streamed_with_progress(local_backend: Any, tmp_path: Path) -> None:
    size = 48 * 1024 * 1024
    wav = make_wav(tmp_path / "long.wav", size)
    seen: list[int] = []
    async with client(local_backend, "free-generator-editor") as c:
        result = await c.upload_file(wav, on_progress=lambda sent, total: seen.append(sent))
    assert result.files == ["long.wav"]
    assert result.items[0].size == size  # type: ignore[attr-defined]
    assert seen[-1] == size and len(seen) > 100


async def test_upload_urls(local_backend: Any) -> None:
    async with client(local_backend, "generator-by-link") as c:
        result = await c.upload_urls(["https://www.youtube.com/watch?v=abc"])
    assert result.urls == ["https://www.youtube.com/watch?v=abc"]


async def test_full_export_produces_a_1080p_mp4(
    local_backend: Any, tmp_path: Path, sample_media: Path
) -> None:
    progress: list[str] = []
    async with client(local_backend) as c:
        await c.upload_file(sample_media / "music.wav")
        await c.send("a 3-second sunset over a city skyline")
        await c.send("add the uploaded music as background music at 50%")
        result = await c.export(tmp_path / "sunset.mp4", on_progress=lambda p: progress.append(p.status))
    assert result.path == tmp_path / "sunset.mp4" and result.size == result.path.stat().st_size
    assert progress[-1] == "completed"
    info = probe(result.path)
    assert (info.width, info.height) == (1920, 1080)
    assert info.has_audio and info.video_codec == "h264"
    assert 2.5 <= info.duration <= 3.5
    assert [p.name for p in tmp_path.iterdir()] == ["sunset.mp4"]


@pytest.mark.parametrize("shape", ["data", "alternate"])
async def test_export_reads_each_status_shape(backend_factory: Factory, tmp_path: Path, shape: str) -> None:
    backend = backend_factory(status_shape=shape, **SMALL)
    async with client(backend) as c:
        await c.send("a 2-second blue sky")
        result = await c.export(tmp_path)
    assert result.path.suffix == ".mp4" and result.size > 1000


async def test_download_resumes_after_a_dropped_connection(backend_factory: Factory, tmp_path: Path) -> None:
    backend = backend_factory(faults=Faults(drop_download_after=5000, empty_reply_share=0), **SMALL)
    seen: list[int] = []
    async with client(backend) as c:
        await c.send("a 2-second green field")
        result = await c.export(tmp_path / "a.mp4", on_download=lambda got, total: seen.append(got))
        again = await c.download(result.url, tmp_path / "b.mp4")
    assert result.path.read_bytes() == again.read_bytes()
    assert 5000 in seen and seen[-1] == result.size > 5000
    assert probe(result.path).duration > 1.5


async def test_deadline_keeps_the_render_id_to_resume(backend_factory: Factory, tmp_path: Path) -> None:
    backend = backend_factory(faults=Faults(render_delay=1.0, empty_reply_share=0), **SMALL)
    async with client(backend) as c:
        await c.send("a 2-second red square")
        with pytest.raises(RenderTimeoutError) as info:
            await c.export(tmp_path, deadline=0.1)
        render_id = info.value.render_id
        assert render_id and render_id.startswith("render_")
        assert list(tmp_path.iterdir()) == []
        result = await c.export(tmp_path, render_id=render_id)
    assert result.render_id == render_id and result.path.exists()


async def test_plan_tier_block_on_export(backend_factory: Factory) -> None:
    backend = backend_factory(plan_blocks_export=True)
    async with client(backend) as c:
        await c.send("a 2-second red square")
        with pytest.raises(PlanTierError, match="plan"):
            await c.export(Path("never.mp4"))


async def test_no_credits_links_registration_with_the_bind_id(backend_factory: Factory) -> None:
    backend = backend_factory(starting_credits=0)
    async with client(backend) as c:
        info = await c.connect()
        with pytest.raises(NoCreditsError) as err:
            await c.send("a 5-second sunset")
    assert err.value.anonymous and err.value.bind_id == info.bind_id
    assert f"?bind={info.bind_id}" in err.value.user_message()


async def test_registered_nemo_token(backend_factory: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = backend_factory(registered_tokens={"reg-token-1": 500.0}, starting_credits=0)
    monkeypatch.setenv("NEMO_TOKEN", "reg-token-1")
    async with client(backend) as c:
        assert not c.anonymous
        assert (await c.credits()).available == 500
