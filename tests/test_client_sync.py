"""The sync facade, the session store and the atomic writes they rely on."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from nemo_skills.client import NemoClient
from nemo_skills.client.events import ReplyDone, TextEvent
from nemo_skills.files.atomic import atomic_write_text
from nemo_skills.jobs.session_store import SessionRecord, SessionStore
from tests.client_fakes import DRAFT, FAST, FakeGateway, adk_text, sse_frames


def test_sync_client_runs_the_same_calls() -> None:
    gw = FakeGateway(chat_parts=[sse_frames(adk_text("Hi there"))], draft=DRAFT)
    with NemoClient(
        "nemo-video-gen", base_url="http://gw.test", transport=gw.transport(), options=FAST
    ) as client:
        info = client.connect()
        events = list(client.chat("hello"))
        reply = client.send("again")
        state = client.state()
        credits = client.credits()
        assert client.session_id == info.session_id == "sess-1"
        assert "sess-1" in repr(client) and repr(client).startswith("NemoClient(")
    assert [type(e) for e in events] == [TextEvent, ReplyDone]
    assert reply.text == "Hi there"
    assert state.timeline.startswith("Timeline (3 tracks): 1. Video: city timelapse (0-10s)")
    assert credits.available == 90


def test_sync_chat_can_be_abandoned_midway() -> None:
    gw = FakeGateway(chat_parts=[sse_frames(adk_text("one"), adk_text("two"))])
    with NemoClient(
        "nemo-video-gen", base_url="http://gw.test", transport=gw.transport(), options=FAST
    ) as client:
        for event in client.chat("hello"):
            assert isinstance(event, TextEvent)
            break
        # The client is still usable after an abandoned stream.
        assert client.credits().total == 100


def test_sync_client_errors_propagate_unchanged() -> None:
    from nemo_skills.errors import InputError

    with (
        NemoClient(
            "nemo-video-gen", base_url="http://gw.test", transport=FakeGateway().transport()
        ) as client,
        pytest.raises(InputError, match="empty"),
    ):
        client.send("   ")


def test_store_saves_finds_and_updates_records(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions.json")
    store.save(SessionRecord(skill="a", session_id="s1", base_url="http://x", created=1, updated=1))
    store.save(SessionRecord(skill="a", session_id="s2", base_url="http://y/", created=2, updated=2))
    store.save(SessionRecord(skill="b", session_id="s3", base_url="http://x", created=3, updated=3))
    last = store.last("a")
    assert last is not None and last.session_id == "s2"
    last_x = store.last("a", "http://x")
    assert last_x is not None and last_x.session_id == "s1"
    store.set_pending_render("s1", "render_5")
    got = store.get("s1")
    assert got is not None and got.pending_render == "render_5" and got.created == 1
    assert store.last("a") is not None and store.last("a").session_id == "s1"  # type: ignore[union-attr]
    store.set_last_output("s1", "/tmp/x.mp4")
    got = store.get("s1")
    assert got is not None and got.last_output == "/tmp/x.mp4" and got.pending_render is None
    assert store.get("nope") is None
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_store_defaults_to_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEMO_SKILLS_DATA_DIR", str(tmp_path))
    SessionStore().save(SessionRecord(skill="a", session_id="s1", base_url="http://x"))
    assert json.loads((tmp_path / "sessions.json").read_text())["sessions"][0]["session_id"] == "s1"


def test_damaged_store_is_ignored_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "sessions.json"
    path.write_text('{"sessions": [{"skill": ')
    store = SessionStore(path)
    assert store.last("a") is None
    store.save(SessionRecord(skill="a", session_id="s1", base_url="http://x"))
    assert store.get("s1") is not None


def test_atomic_write_leaves_the_old_file_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "f.txt"
    atomic_write_text(target, "old")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("nemo_skills.files.atomic.os.fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["f.txt"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_script_that_never_closes_the_client_still_exits(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = (
        "import gc, threading\n"
        "from nemo_skills.client import NemoClient\n"
        "for _ in range(2):\n"
        "    NemoClient('nemo-video-gen', base_url='http://127.0.0.1:9')\n"
        "gc.collect()\n"
        "print(threading.active_count())\n"
        "kept = NemoClient('nemo-video-gen', base_url='http://127.0.0.1:9')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"  # collected clients stopped their event-loop threads
