"""Pure parts of the local backend: probing, progress, frame sizes, names, request reading, plugin import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nemo_skills.local.agent import adk, edit_table, edits, rules
from nemo_skills.local.records import BackendSession
from nemo_skills.local.renderer.probe import ProbeError, parse_report, probe
from nemo_skills.local.renderer.render import parse_progress
from nemo_skills.local.renderer.render_plan import frame_size
from nemo_skills.local.uploads import safe_name

REPORT = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.mp4':
  Duration: 00:01:05.50, start: 0.000000, bitrate: 487 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 1080x1920 [SAR 1:1 DAR 9:16], 30 fps
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp, 2 kb/s (default)
"""


def test_parse_report_reads_duration_size_and_codecs() -> None:
    info = parse_report(REPORT)
    assert (info.duration, info.width, info.height) == (65.5, 1080, 1920)
    assert (info.video_codec, info.audio_codec, info.has_audio) == ("h264", "aac", True)
    with pytest.raises(ProbeError):
        parse_report("x.txt: Invalid data found when processing input")


def test_probe_reads_sample_media(sample_media: Path) -> None:
    info = probe(sample_media / "clip2.mp4")
    assert (info.width, info.height, info.has_audio) == (240, 320, False)
    assert probe(sample_media / "music.mp3").audio_codec == "mp3"
    with pytest.raises(ProbeError):
        probe(sample_media / "missing.mp4")


def test_parse_progress() -> None:
    assert parse_progress("out_time_us=2500000", 5.0) == 0.5
    assert parse_progress("out_time_us=10000000", 5.0) == 1.0
    assert parse_progress("out_time_ms=2500000", 5.0) is None  # the same tick again, under another name
    assert parse_progress("out_time_us=N/A", 5.0) is None
    assert parse_progress("progress=end", 5.0) == 1.0
    assert parse_progress("frame=12", 5.0) is None


@pytest.mark.parametrize(
    ("aspect", "size"),
    [("16:9", (1920, 1080)), ("9:16", (1080, 1920)), ("1:1", (1080, 1080)), (None, (1920, 1080))],
)
def test_frame_sizes_are_1080p(aspect: str | None, size: tuple[int, int]) -> None:
    assert frame_size(aspect, 1080) == size


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\Users\\me\\photo.png", "photo.png"),
        (".hidden.mp4", "hidden.mp4"),
        ("a\x00b\nc.mp3", "abc.mp3"),
        ("..", "upload"),
        ("x" * 300 + ".mp4", "x" * 116 + ".mp4"),
    ],
)
def test_safe_name(raw: str, safe: str) -> None:
    assert safe_name(raw) == safe


def test_rules_read_durations_ratios_volumes() -> None:
    assert rules.seconds_in("a 15-second clip") == 15
    assert rules.seconds_in("make it 2 minutes") == 120
    assert rules.aspect_in("a vertical video") == "9:16"
    assert rules.aspect_in("landscape please") == "16:9"
    assert rules.volume_in("music at 35%") == 0.35
    assert rules.scene_prompt("generate a 15-second video of a sunset beach") == "a sunset beach"


def test_scenes_from_a_document_or_a_link_are_captioned_with_what_they_hold() -> None:
    document = (
        "Generate a video from this document.\n\nDocument (story.txt):\nA keeper finds a bottle. Then more."
    )
    assert rules.scene_prompt(document) == "keeper finds a bottle"
    link = "Generate a video from this link: https://www.example.com/blog-post/"
    assert rules.scene_prompt(link) == "example.com/blog-post"


def test_plans_name_the_edits() -> None:
    session = BackendSession(session_id="s", task_id="t", bind_id=None, user_id="u", created=0, updated=0)
    assert [e.tool for e in rules.plan_turn("make it 9:16", session).edits] == ["set_aspect_ratio"]
    assert [e.tool for e in rules.plan_turn("trim the first 2 seconds", session).edits] == ["trim"]
    plan = rules.plan_turn('a 9:16 video of rain with the title "Rainy"', session)
    assert [e.tool for e in plan.edits] == ["generate_scene", "add_text"]
    assert plan.cost > rules.plan_turn('add a title "x"', session).cost


def test_every_planned_edit_is_priced_paced_and_made_from_the_one_edit_table() -> None:
    session = BackendSession(session_id="s", task_id="t", bind_id=None, user_id="u", created=0, updated=0)
    requests = [
        'a 9:16 video of rain with the title "Rainy"',
        "make it 1:1",
        "make the video 8 seconds long",
        "trim the first 2 seconds",
        "remove the title",
    ]
    planned: list[str] = []
    for request in requests:
        plan = rules.plan_turn(request, session)
        assert plan.edits, request
        assert plan.cost == sum(edit_table.EDITS[e.tool].cost for e in plan.edits)
        for edit in plan.edits:
            assert edit_table.apply_edit(session, edit)  # every planned edit has its editor
            planned.append(edit.tool)
    assert planned == [
        "generate_scene",
        "add_text",
        "set_aspect_ratio",
        "set_duration",
        "trim",
        "remove_track",
    ]
    # Making media is the agent's slow step (heartbeats meanwhile) and costs the most.
    assert {name for name, kind in edit_table.EDITS.items() if kind.slow} == {
        "generate_scene",
        "add_slides",
        "add_clips",
    }
    assert max(edit_table.EDITS.values(), key=lambda k: k.cost).editor is edits.generate_scene


def test_sse_frames_are_single_lines() -> None:
    frame = adk.frame(adk.EventFactory().text("two\nlines"))
    assert frame.count(b"\n") == 2 and frame.endswith(b"\n\n")


def test_pytest_plugin_and_package_import_without_starlette() -> None:
    code = (
        "import sys, nemo_skills.local, nemo_skills.local.pytest_plugin; "
        "assert 'starlette' not in sys.modules and 'uvicorn' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_pytest_plugin_fixture_is_registered(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.has_plugin("nemo_skills_local")


def test_a_backend_that_cannot_bind_leaves_no_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket
    import tempfile

    from nemo_skills.local import LocalBackend

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(OSError), LocalBackend(port=busy.getsockname()[1]):
            pass
    assert list(tmp_path.iterdir()) == []


def test_a_titled_request_on_an_empty_timeline_also_makes_the_scene() -> None:
    empty = BackendSession(session_id="s", task_id="t", bind_id=None, user_id="u", created=0, updated=0)
    plan = rules.plan_turn('a 12-second vertical aurora over snowy mountains with the title "North"', empty)
    assert [e.tool for e in plan.edits] == ["generate_scene", "add_text"]
    assert plan.edits[0].args == {"prompt": "aurora over snowy mountains", "seconds": 12.0, "aspect": "9:16"}
    # A plain title request stays a title, on an empty timeline too.
    assert [e.tool for e in rules.plan_turn('add a title "Summer"', empty).edits] == ["add_text"]
