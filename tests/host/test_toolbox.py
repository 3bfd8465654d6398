"""The host tools in-process against the local backend: sessions across calls and server runs, checks first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nemo_skills.client.settings import ClientOptions
from nemo_skills.errors import InputError
from nemo_skills.files.naming import OutputExistsError
from nemo_skills.host.toolbox import Toolbox, ToolboxSettings
from nemo_skills.jobs.backends import Backend
from nemo_skills.jobs.session_store import SessionStore

FAST = ClientOptions(poll_initial=0.02, poll_max=0.1, settle_interval=0.05)


def settings(backend: Any, tmp_path: Path) -> ToolboxSettings:
    return ToolboxSettings(
        backend=Backend(label=backend.base_url, base_url=backend.base_url),
        options=FAST,
        output_dir=tmp_path / "videos",
    )


async def test_credits_need_no_session(local_backend: Any, tmp_path: Path) -> None:
    async with Toolbox(settings(local_backend, tmp_path)) as toolbox:
        credits = (await toolbox.call("get_credits", {})).model_dump()
    assert credits["available"] > 0
    assert SessionStore().records() == []


async def test_a_session_continues_in_a_later_server_run(
    local_backend: Any, tmp_path: Path, sample_media: Path
) -> None:
    async with Toolbox(settings(local_backend, tmp_path)) as first:
        uploaded = await first.call(
            "upload",
            {
                "skill": "free-generator-editor",
                "files": [str(sample_media / "clip.mp4"), str(sample_media / "photo.jpg")],
            },
        )
        up = uploaded.model_dump()
        assert len(up["files"]) == 2
        sid = up["session_id"]
    # A new toolbox (as after a server restart) finds the skill of the session in the store.
    async with Toolbox(settings(local_backend, tmp_path)) as second:
        replied = (
            await second.call("chat", {"session_id": sid, "message": "make a montage of my clips"})
        ).model_dump()
        assert replied["skill"] == "free-generator-editor" and replied["session_id"] == sid
        state = (await second.call("get_state", {})).model_dump()
        assert state["session_id"] == sid and state["tracks"] >= 1
        with pytest.raises(InputError, match="belongs to free-generator-editor"):
            await second.call("get_state", {"session_id": sid, "skill": "video-leonardo"})
    # Not open yet in this run: the stored record says whose session it is.
    async with Toolbox(settings(local_backend, tmp_path)) as third:
        with pytest.raises(InputError, match="belongs to free-generator-editor"):
            await third.call("get_state", {"session_id": sid, "skill": "video-leonardo"})


async def test_an_existing_output_is_refused_before_anything_is_sent(
    local_backend: Any, tmp_path: Path
) -> None:
    taken = tmp_path / "videos" / "sunset.mp4"
    taken.parent.mkdir()
    taken.write_bytes(b"an earlier video")
    async with Toolbox(settings(local_backend, tmp_path)) as toolbox:
        with pytest.raises(OutputExistsError) as info:
            await toolbox.call("run_skill", {"prompt": "a 3-second sunset", "output": "sunset.mp4"})
    assert "overwrite: true" in info.value.user_message()
    assert taken.read_bytes() == b"an earlier video"
    assert SessionStore().records() == []


async def test_documents_are_read_not_uploaded(local_backend: Any, tmp_path: Path) -> None:
    script = tmp_path / "script.txt"
    script.write_text("A short film about the sea at dawn.", encoding="utf-8")
    async with Toolbox(settings(local_backend, tmp_path)) as toolbox:
        with pytest.raises(InputError, match="documents are not uploaded") as info:
            await toolbox.call("upload", {"skill": "ai-video-maker-sora", "files": [str(script)]})
    assert "run_skill" in info.value.user_message()


async def test_an_unknown_session_needs_its_skill(local_backend: Any, tmp_path: Path) -> None:
    async with Toolbox(settings(local_backend, tmp_path)) as toolbox:
        with pytest.raises(InputError, match="unknown session 'sess_nope'"):
            await toolbox.call("get_state", {"session_id": "sess_nope"})


async def test_run_skill_after_a_dropped_stream_exports_the_applied_edit(
    backend_factory: Any, tmp_path: Path
) -> None:
    from nemo_skills.local import Faults

    # Slow heartbeats: the drop comes only after the edit is applied.
    backend = backend_factory(
        faults=Faults(drop_stream_after=3, empty_reply_share=0), heartbeat_interval=30, resolution=144
    )
    async with Toolbox(settings(backend, tmp_path)) as toolbox:
        out = (
            await toolbox.call("run_skill", {"skill": "nemo-video-gen", "prompt": "a 5-second sunset"})
        ).model_dump()
    assert "broke off" in out["reply"] and "shows the request was applied" in out["reply"]
    assert out["status"] == "completed" and Path(out["path"]).stat().st_size > 0
    assert out["timeline"] == "Timeline (1 track): 1. Video: sunset (0-5s)"
    assert backend.chat_requests == 1


async def test_chat_whose_edit_failed_says_not_applied_and_sends_nothing_again(
    backend_factory: Any, tmp_path: Path
) -> None:
    from nemo_skills.errors import BackendError
    from nemo_skills.local import Faults

    backend = backend_factory(faults=Faults(stream_error_times=1, empty_reply_share=0))
    async with Toolbox(settings(backend, tmp_path)) as toolbox:
        with pytest.raises(BackendError) as info:
            await toolbox.call("chat", {"skill": "nemo-video-gen", "message": "a 5-second sunset"})
        state = (await toolbox.call("get_state", {})).model_dump()
    message = info.value.user_message()
    assert "not applied" in message and "send the request again" in message
    assert state["tracks"] == 0 and backend.chat_requests == 1


@pytest.mark.parametrize(
    ("output", "why"),
    [
        ("../escape.mp4", "no '..'"),
        ("/tmp/elsewhere.mp4", "leads outside"),
        ("~/home.mp4", "no '~'"),
        ("notes.txt", "only .mp4"),
    ],
)
async def test_mcp_writes_only_mp4_files_inside_its_folder(
    local_backend: Any, tmp_path: Path, output: str, why: str
) -> None:
    async with Toolbox(settings(local_backend, tmp_path)) as toolbox:
        with pytest.raises(InputError, match=why):
            await toolbox.call("run_skill", {"prompt": "a 3-second sunset", "output": output})
    assert SessionStore().records() == []


async def test_overwrite_never_replaces_a_file_that_is_not_an_mp4(local_backend: Any, tmp_path: Path) -> None:
    notes = tmp_path / "videos" / "notes.mp4"
    notes.parent.mkdir()
    notes.write_text("my notes, not a video", encoding="utf-8")
    async with Toolbox(settings(local_backend, tmp_path)) as toolbox:
        with pytest.raises(InputError, match="not an MP4"):
            await toolbox.call(
                "run_skill", {"prompt": "a 3-second sunset", "output": "notes.mp4", "overwrite": True}
            )
    assert notes.read_text(encoding="utf-8") == "my notes, not a video"
