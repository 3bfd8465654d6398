"""The sync facade, the session store and the atomic writes they rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_skills.client import NemoClient
from nemo_skills.client.events import ReplyDone, TextEvent
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
