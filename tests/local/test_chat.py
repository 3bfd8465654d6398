"""The rule-based agent over /run_sse: ADK framing, edits of the draft, credits, and stream faults."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from nemo_skills import protocol
from nemo_skills.draft import Draft
from nemo_skills.local import Faults
from tests.local.helpers import Api, parse_sse, text_of

CAMEL = re.compile(r"^[a-z]+([A-Z][a-z]*)*$")


def _keys(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            found.add(key)
            if key not in ("stateDelta", "args", "response"):
                found |= _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _keys(inner)
    return found


def test_a_prompt_streams_adk_events_and_edits_the_draft(local_backend: Any) -> None:
    api = Api.connect(local_backend.base_url)
    r = api.chat_raw("a 5-second sunset over a city skyline")
    assert r.headers["content-type"].startswith("text/event-stream")
    assert "event:" not in r.text and "\nid:" not in r.text
    payloads = parse_sse(r.text)
    assert "" in payloads, "empty data: lines are part of slow steps"
    events = [json.loads(p) for p in payloads if p]
    assert {"type": "heartbeat"} in events
    adk = [e for e in events if "invocationId" in e]
    assert all(CAMEL.match(k) for k in _keys(adk)), _keys(adk)
    assert all(e["author"] == "nemo_agent" for e in adk)
    assert all(e["customMetadata"] == {"agent": "rule-based", "generative": False} for e in adk)
    assert len({e["invocationId"] for e in adk}) == 1
    calls = [
        p["functionCall"] for e in adk for p in e.get("content", {}).get("parts", []) if "functionCall" in p
    ]
    results = [
        p["functionResponse"]
        for e in adk
        for p in e.get("content", {}).get("parts", [])
        if "functionResponse" in p
    ]
    assert [c["name"] for c in calls] == ["generate_scene"]
    assert calls[0]["args"]["seconds"] == 5
    assert results[0]["id"] == calls[0]["id"]
    assert any(e["actions"]["stateDelta"].get("draft") for e in adk)
    final = [e for e in adk if not e["partial"] and "content" in e and "text" in e["content"]["parts"][0]]
    assert len(final) == 1 and final[0]["turnComplete"] is True
    assert text_of(adk, partial=True) == text_of(adk)
    assert "sunset over a city skyline" in text_of(adk)
    draft = Draft.parse(api.state()["state"]["draft"])
    assert draft.total_ms == 5000 and draft.meta["aspect"] == "16:9"
    assert draft.summary() == "Timeline (1 track): 1. Video: sunset over a city skyline (0-5s)"


@pytest.mark.parametrize(
    ("prompt", "seconds", "aspect"),
    [
        ("generate a 15-second video of a sunset beach", 15, "16:9"),
        ("a vertical video of rain on a window", 5, "9:16"),
        ("make a 9:16 clip of neon streets, 8 seconds", 8, "9:16"),
        ("a square 3 s video of a spinning cube", 3, "1:1"),
    ],
)
def test_duration_and_aspect_come_from_the_text(
    local_backend: Any, prompt: str, seconds: int, aspect: str
) -> None:
    api = Api.connect(local_backend.base_url)
    api.chat(prompt)
    draft = Draft.parse(api.state()["state"]["draft"])
    assert draft.total_ms == seconds * 1000
    assert draft.meta["aspect"] == aspect


def test_edit_requests_change_the_timeline(local_backend: Any, sample_media: Path) -> None:
    api = Api.connect(local_backend.base_url)
    assert api.upload(sample_media / "music.mp3").json()["code"] == 0
    api.chat("a 6-second city timelapse")
    api.chat('add a title "Urban Dreams"')
    api.chat("add background music at 35%")
    summary = Draft.parse(api.state()["state"]["draft"]).summary()
    assert summary == (
        "Timeline (3 tracks): 1. Video: city timelapse (0-6s) 2. BGM: music.mp3 (0-6s, 35%) "
        '3. Title: "Urban Dreams" (0-3s)'
    )
    api.chat("trim to 4 seconds")
    assert Draft.parse(api.state()["state"]["draft"]).total_ms == 4000
    api.chat("set the duration to 10 seconds")
    assert Draft.parse(api.state()["state"]["draft"]).total_ms == 10000
    api.chat("make it vertical")
    assert Draft.parse(api.state()["state"]["draft"]).meta["aspect"] == "9:16"
    api.chat("remove the music")
    draft = Draft.parse(api.state()["state"]["draft"])
    assert [t.type for t in draft.tracks] == [protocol.TrackType.VIDEO, protocol.TrackType.TEXT]
    api.chat('add text "hello" from 2 to 5 seconds')
    texts = [t for t in Draft.parse(api.state()["state"]["draft"]).tracks if t.meta.get("name") == "Text"]
    assert (texts[0].segments[0].start, texts[0].segments[0].end) == (2000, 5000)


def test_uploaded_images_become_slides_and_clips_segments(local_backend: Any, sample_media: Path) -> None:
    api = Api.connect(local_backend.base_url)
    api.upload(sample_media / "photo.jpg", sample_media / "photo2.png", sample_media / "clip.mp4")
    api.chat("Animate these images into a short video clip.\nUse the uploaded files: photo.jpg, photo2.png.")
    api.chat("use my clips")
    summary = Draft.parse(api.state()["state"]["draft"]).summary()
    assert summary == "Timeline (1 track): 1. Video: photo.jpg (0-3s), photo2.png (3-6s), clip.mp4 (6-8s)"


def test_replies_sometimes_talk_as_if_there_were_a_gui(local_backend: Any) -> None:
    api = Api.connect(local_backend.base_url)
    replies = [api.reply(p) for p in ("a beach", "a forest", "a desert")]
    assert any("Export button" in r or "timeline panel" in r for r in replies)


def test_requests_it_cannot_do_get_a_plain_answer_and_cost_nothing(local_backend: Any) -> None:
    api = Api.connect(local_backend.base_url)
    before = api.credits()["available"]
    assert "rule-based" in api.reply("hello")
    assert "audio file" in api.reply("add some background music")
    assert api.credits()["available"] == before


def test_credits_go_down_with_work_and_run_out_with_2001(backend_factory: Any) -> None:
    backend = backend_factory(starting_credits=12)
    api = Api.connect(backend.base_url)
    api.chat("a 5-second sunset")
    credits = api.credits()
    assert credits["available"] == 2 and credits["frozen"] == 0 and credits["total"] == 2
    r = api.chat_raw("a 5-second sunrise")
    body = r.json()
    assert body["code"] == 2001
    assert body["data"]["bind_id"] == api.state()["bind_id"]
    assert "credits" in body["message"]


def test_empty_replies_carry_no_text_but_change_the_state(backend_factory: Any) -> None:
    backend = backend_factory(faults=Faults(empty_reply_share=1.0))
    api = Api.connect(backend.base_url)
    events = api.chat("a 5-second sunset")
    assert text_of(events) == "" and text_of(events, partial=True) == ""
    assert Draft.parse(api.state()["state"]["draft"]).total_ms == 5000


def test_empty_reply_share_defaults_to_30_percent_with_faults_on() -> None:
    assert Faults().effective_empty_share == 0.0
    assert Faults(render_delay=1).effective_empty_share == 0.3
    assert Faults(render_delay=1, empty_reply_share=0.0).effective_empty_share == 0.0


def test_stream_error_fault_reports_an_error_event_and_changes_nothing(backend_factory: Any) -> None:
    backend = backend_factory(faults=Faults(stream_error_times=1, empty_reply_share=0.0))
    api = Api.connect(backend.base_url)
    events = api.chat("a 5-second sunset")
    assert "error" in events[-1] and "injected" in events[-1]["error"]
    assert Draft.parse(api.state()["state"]["draft"]).total_ms == 0
    assert api.credits()["available"] == 100
    assert "sunset" in api.reply("a 5-second sunset")


def test_dropped_stream_still_applies_the_edit(backend_factory: Any) -> None:
    backend = backend_factory(faults=Faults(drop_stream_after=1, empty_reply_share=0.0))
    api = Api.connect(backend.base_url)
    with pytest.raises(httpx.RemoteProtocolError):
        api.chat_raw("a 5-second sunset")
    # The turn goes on server-side; the client polls state, as after an empty stream.
    for _ in range(200):
        if Draft.parse(api.state()["state"]["draft"]).total_ms == 5000:
            break
        httpx.get(backend.base_url + "/healthz")
    assert Draft.parse(api.state()["state"]["draft"]).total_ms == 5000
    assert api.reply("add a title 'Next'")  # only the first stream drops


def test_stall_and_heartbeat_delay_stretch_the_silent_step(backend_factory: Any) -> None:
    backend = backend_factory(
        faults=Faults(stall_seconds=0.3, heartbeat_delay=0.1, empty_reply_share=0.0), heartbeat_interval=0.02
    )
    api = Api.connect(backend.base_url)
    events = api.chat("a 5-second sunset")
    beats = sum(1 for e in events if e == {"type": "heartbeat"})
    assert beats >= 5


def test_a_long_document_is_taken_and_its_words_do_not_steer_the_edit(local_backend: Any) -> None:
    api = Api.connect(local_backend.base_url)
    story = (
        "A keeper finds a bottle. "
        + "She wanted to remove the music and film in portrait for 90 seconds. " * 500
    )
    assert len(story) > 30_000
    r = api.chat_raw(f"Generate a video from this document.\n\nDocument (story.txt):\n{story}")
    assert r.status_code == 200, r.text
    draft = Draft.parse(api.state()["state"]["draft"])
    assert draft.summary() == "Timeline (1 track): 1. Video: keeper finds a bottle (0-5s)"
    assert draft.meta["aspect"] == "16:9"


@pytest.mark.parametrize(
    ("request_text", "needle"),
    [("export 1080p MP4", "Export button"), ("status", "timeline panel"), ("check my credits", "credits")],
)
def test_export_status_and_credits_in_the_chat_get_a_gui_answer_and_change_nothing(
    local_backend: Any, request_text: str, needle: str
) -> None:
    api = Api.connect(local_backend.base_url)
    api.chat("a 2-second sunset")
    before, credits = api.state()["state"]["draft"], api.credits()["available"]
    assert needle in api.reply(request_text)
    assert api.state()["state"]["draft"] == before
    assert api.credits()["available"] == credits
