"""What a local render shows and sounds like, read back from the MP4's frames and samples."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from nemo_skills.draft import Draft
from nemo_skills.local.records import MediaRecord
from nemo_skills.local.renderer import render
from nemo_skills.local.renderer.ffmpeg import ffmpeg_exe, find_cjk_font
from nemo_skills.local.renderer.probe import probe
from nemo_skills.local.renderer.render_plan import NO_CJK_FONT_NOTE
from tests.local.helpers import Api

SMALL = {"resolution": 240, "fps": 15, "x264_preset": "ultrafast"}
# Frames are read back this small, in grey: enough to tell pictures apart, cheap to compare.
PEEK = (64, 36)


def frames(
    path: Path, start: float = 0.0, seconds: float | None = None, size: tuple[int, int] = PEEK
) -> list[bytes]:
    """Every frame from `start` (for `seconds`), as grey images of `size`."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-ss", f"{start:.3f}", "-i", str(path)]
    if seconds is not None:
        cmd += ["-t", f"{seconds:.3f}"]
    cmd += ["-vf", f"scale={size[0]}:{size[1]},format=gray", "-f", "rawvideo", "-"]
    raw = subprocess.run(cmd, capture_output=True, check=True, timeout=60).stdout
    n = size[0] * size[1]
    return [raw[i : i + n] for i in range(0, len(raw) - n + 1, n)]


def frame_at(path: Path, t: float, size: tuple[int, int] = PEEK) -> bytes:
    """The frame shown at `t` seconds."""
    return frames(path, t, 0.05, size)[0]


def changed(a: bytes, b: bytes) -> int:
    """How many pixels of two grey frames differ plainly (not by compression noise)."""
    return sum(abs(x - y) > 48 for x, y in zip(a, b, strict=True))


def difference(a: bytes, b: bytes) -> float:
    """Mean absolute difference of two grey frames, 0-255."""
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


def mean_volume(path: Path) -> float:
    """The audio track's mean level in dB, as ffmpeg's volumedetect measures it."""
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-i",
        str(path),
        "-af",
        "volumedetect",
        "-f",
        "null",
        "-",
    ]
    report = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60).stderr
    match = re.search(r"mean_volume: (-?[\d.]+|-inf) dB", report)
    assert match, report
    return float(match.group(1))


def media(folder: Path, *names: str) -> dict[str, tuple[Path, MediaRecord]]:
    """A lookup of sample files by name, as a session would hold them."""
    found = {}
    for name in names:
        kind = "image" if name.endswith((".jpg", ".png")) else "video"
        record = MediaRecord.model_validate({"id": name, "name": name, "kind": kind, "has_audio": False})
        found[name] = (folder / name, record)
    return found


def solid(folder: Path, name: str, colour: str) -> Path:
    """A one-colour still image."""
    path = folder / name
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"]
    subprocess.run([*cmd, f"color=c={colour}:s=160x90:d=1", "-frames:v", "1", str(path)], check=True)
    return path


def render_small(draft: dict[str, Any], lookup: Any, dest: Path) -> render.RenderPlan:
    """Render a draft at the tests' small size."""
    return render.render_draft(Draft.parse(draft), lookup, dest, short_side=240, fps=15, preset="ultrafast")


def scene(prompt: str) -> dict[str, Any]:
    """A draft of one 2-second generated scene captioned with `prompt`."""
    m = {"kind": "scene", "prompt": prompt, "colors": ["0x203040", "0x405060"]}
    return {"t": [{"tt": 0, "sg": [{"st": 0, "d": 2000, "m": m}]}], "m": {"aspect": "16:9"}}


def test_the_quick_start_sounds_and_plays_everywhere(backend_factory: Any, tmp_path: Path) -> None:
    api = Api.connect(backend_factory(**SMALL).base_url)
    api.chat("a 2-second sunset over a city skyline")
    api.export(tmp_path / "sunset.mp4")
    assert mean_volume(tmp_path / "sunset.mp4") > -45  # a real bed, not digital silence (about -91 dB)
    info = probe(tmp_path / "sunset.mp4")
    assert (info.pixel_format, info.video_profile, info.audio_codec) == ("yuv420p", "High", "aac")
    data = (tmp_path / "sunset.mp4").read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: playable while it downloads


def test_renders_from_jpeg_stills_are_limited_range_yuv420p(sample_media: Path, tmp_path: Path) -> None:
    lookup = media(sample_media, "photo.jpg")
    draft = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 1000, "m": {"src": "photo.jpg"}}]}]}
    render_small(draft, lookup.get, tmp_path / "still.mp4")
    info = probe(tmp_path / "still.mp4")
    assert (info.pixel_format, info.video_profile) == ("yuv420p", "High")


def test_uploaded_music_replaces_the_bed(sample_media: Path, tmp_path: Path) -> None:
    lookup = {"music.mp3": (sample_media / "music.mp3", MediaRecord.model_validate(
        {"id": "music.mp3", "name": "music.mp3", "kind": "audio", "has_audio": True}
    ))}  # fmt: skip
    draft = scene("a quiet lake")
    draft["t"].append({"tt": 1, "sg": [{"st": 0, "d": 2000, "m": {"src": "music.mp3", "volume": 0.0}}]})
    plan = render_small(draft, lookup.get, tmp_path / "muted.mp4")
    assert "aevalsrc" not in " ".join(plan.args)
    assert mean_volume(tmp_path / "muted.mp4") < -80  # the music at 0% and no chord under it


@pytest.mark.skipif(
    find_cjk_font() is None, reason="no CJK font installed (.ci/run installs fonts-wqy-microhei)"
)
def test_cjk_captions_are_drawn_not_boxes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Same length, same background: only the glyphs can tell the two apart.
    cat, sea = "一只猫在雪地里奔跑", "大海上的日落很美丽"
    plan = render_small(scene(cat), {}.get, tmp_path / "cat.mp4")
    render_small(scene(sea), {}.get, tmp_path / "sea.mp4")
    assert plan.notes == []
    full = (426, 240)
    drawn = frame_at(tmp_path / "cat.mp4", 1.0, full), frame_at(tmp_path / "sea.mp4", 1.0, full)
    assert changed(*drawn) > 200

    # Without a CJK font both captions are rows of the same boxes, and the render says why.
    monkeypatch.setattr(render, "find_cjk_font", lambda: None)
    plan = render_small(scene(cat), {}.get, tmp_path / "cat-boxes.mp4")
    render_small(scene(sea), {}.get, tmp_path / "sea-boxes.mp4")
    assert plan.notes == [NO_CJK_FONT_NOTE] and "fonts-wqy-microhei" in NO_CJK_FONT_NOTE
    boxes = frame_at(tmp_path / "cat-boxes.mp4", 1.0, full), frame_at(tmp_path / "sea-boxes.mp4", 1.0, full)
    assert changed(*boxes) < 20
    assert changed(drawn[0], boxes[0]) > 200


def test_an_animated_image_moves_and_a_slide_stands_still(
    backend_factory: Any, sample_media: Path, tmp_path: Path
) -> None:
    api = Api.connect(backend_factory(**SMALL).base_url, skill="video-leonardo")
    api.upload(sample_media / "photo.jpg")
    api.chat("turn this image into a 5-second animated video clip")
    api.export(tmp_path / "animated.mp4")
    animated = tmp_path / "animated.mp4"
    assert abs(probe(animated).duration - 5.0) < 0.2
    assert difference(frame_at(animated, 0.5), frame_at(animated, 3.5)) > 2.0
    assert mean_volume(animated) > -45

    lookup = media(sample_media, "photo.jpg")
    draft = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 4000, "m": {"src": "photo.jpg"}}]}]}
    render_small(draft, lookup.get, tmp_path / "still.mp4")
    assert difference(frame_at(tmp_path / "still.mp4", 0.5), frame_at(tmp_path / "still.mp4", 3.5)) < 0.5


@pytest.mark.parametrize("transition", ["crossfade", None])
def test_transitions_blend_over_several_frames_and_cuts_do_not(
    tmp_path: Path, transition: str | None
) -> None:
    lookup = media(tmp_path, "black.png", "white.png")
    solid(tmp_path, "black.png", "black")
    solid(tmp_path, "white.png", "white")
    sg = [{"st": 0, "d": 2000, "m": {"src": "black.png"}}, {"st": 2000, "d": 2000, "m": {"src": "white.png"}}]
    meta = {"aspect": "16:9", "transition": transition} if transition else {"aspect": "16:9"}
    render_small({"t": [{"tt": 0, "sg": sg}], "m": meta}, lookup.get, tmp_path / "joined.mp4")
    assert abs(probe(tmp_path / "joined.mp4").duration - 4.0) < 0.2  # a crossfade does not shorten the video
    levels = [sum(f) / len(f) for f in frames(tmp_path / "joined.mp4", 1.5, 1.5)]
    between = [level for level in levels if 30 < level < 220]
    if transition:
        assert len(between) >= 4, levels
        assert between == sorted(between)  # black fades up into white
    else:
        assert between == [], levels
