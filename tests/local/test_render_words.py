"""How requests become motion and transitions, and how captions in any script are wrapped."""

from __future__ import annotations

import unicodedata

from nemo_skills.draft import Draft
from nemo_skills.local.agent import edit_table, edits, rules
from nemo_skills.local.records import BackendSession, MediaRecord
from nemo_skills.local.renderer import effects
from nemo_skills.local.renderer.captions import needs_cjk, wrap
from nemo_skills.local.renderer.probe import parse_report

JPEG_REPORT = """Input #0, image2, from 'photo.jpg':
  Duration: 00:00:00.04, start: 0.000000, bitrate: 3093 kb/s
  Stream #0:0: Video: mjpeg (Baseline), yuvj420p(pc, bt470bg/unknown/unknown), 320x240 [SAR 1:1 DAR 4:3], 25 fps
"""


def _session(*images: str) -> BackendSession:
    session = BackendSession(session_id="s", task_id="t", bind_id=None, user_id="u", created=0, updated=0)
    for name in images:
        session.media.append(MediaRecord.model_validate({"id": name, "name": name, "kind": "image"}))
    return session


def _cells(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in line)


def test_cjk_captions_wrap_between_characters_within_the_width() -> None:
    text = "一只猫在雪地里奔跑，它很开心。然后 the cat sleeps 在家里"
    lines = wrap(text, 12)
    assert len(lines) > 2 and all(_cells(line) <= 12 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert not any(line.startswith(("，", "。")) for line in lines)  # punctuation hangs on the line before
    assert wrap("a sunset over a city skyline", 12) == ["a sunset", "over a city", "skyline"]
    assert needs_cjk("안녕 세계") and needs_cjk("こんにちは") and not needs_cjk("Crème brûlée ✨")


def test_probe_names_the_pixel_format_and_profile() -> None:
    info = parse_report(JPEG_REPORT)
    assert (info.pixel_format, info.video_profile) == ("yuvj420p", "Baseline")


def test_animating_an_image_gives_it_a_motion_its_words_choose() -> None:
    session = _session("cat.jpg")
    plan = rules.plan_turn("turn this image into a 5-second animated video clip", session)
    assert [e.tool for e in plan.edits] == ["add_slides"]
    assert plan.edits[0].args["motion"] in effects.MOTIONS
    assert rules.motion_in("animate it with a slow zoom out") == "zoom_out"
    assert rules.motion_in("animate the photo, panning left") == "pan_left"
    assert rules.motion_in("让图片动起来，向上") == "pan_up"
    unnamed = {rules.motion_in(f"animate my photo of {w}") for w in ("a cat", "the sea", "a dog", "hills")}
    assert len(unnamed) > 1  # different requests move differently
    # The agent writes only moves the renderer knows, and turns the next still another way.
    assert set(edits.MOTIONS) == set(effects.MOTIONS)
    session = _session("a.jpg", "b.jpg")
    edit_table.apply_edit(session, rules.plan_turn("animate my images", session).edits[0])
    moves = [s.meta["motion"] for s in Draft.parse(session.draft).tracks[0].segments]
    assert len(set(moves)) == 2
    plain = rules.plan_turn("use my images as slides", _session("a.jpg")).edits[0]
    assert "motion" not in plain.args


def test_transitions_are_asked_for_and_taken_away() -> None:
    session = _session()
    plan = rules.plan_turn("add crossfade transitions", session)
    assert [(e.tool, e.args) for e in plan.edits] == [("set_transitions", {"on": True})]
    edit_table.apply_edit(session, plan.edits[0])
    assert Draft.parse(session.draft).meta["transition"] == "crossfade"
    plan = rules.plan_turn("no transitions, hard cuts please", session)
    assert [(e.tool, e.args) for e in plan.edits] == [("set_transitions", {"on": False})]
    edit_table.apply_edit(session, plan.edits[0])
    assert "transition" not in Draft.parse(session.draft).meta


def test_crossfades_fit_the_pieces_they_join() -> None:
    assert effects.crossfades([2.0, 2.0, 5.0], fps=30) == [0.6, 0.6]
    assert effects.crossfades([0.5, 3.0], fps=30) == [0.2]
    assert effects.crossfades([0.1, 3.0], fps=30) == [0.0]  # too short to blend: a hard cut
