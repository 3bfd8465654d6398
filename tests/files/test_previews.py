"""Contact sheets: a small JPEG grid of a video's frames, in order, labelled, whatever the video."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nemo_skills.errors import InputError, NemoSkillsError
from nemo_skills.files import previews
from nemo_skills.files.ffmpeg import ffmpeg_exe, find_cjk_font, find_font
from nemo_skills.files.previews import (
    NotAVideoError,
    PreviewUnavailableError,
    frame_label,
    make_contact_sheet,
)
from tests.files.videos import (
    COLOURS,
    close,
    colour_video,
    mean_colour,
    noise_video,
    one_frame_video,
    read_rgb,
)

JPEG_MAGIC = b"\xff\xd8\xff"


@pytest.fixture(scope="module")
def colours_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Nine seconds, each a solid colour of COLOURS in turn."""
    return colour_video(tmp_path_factory.mktemp("colours") / "colours.mp4", COLOURS)


def _tile_colours(sheet: Path, columns: int = 3, rows: int = 3) -> list[tuple[float, float, float]]:
    width, height, pixels = read_rgb(sheet)
    # The middle of each cell: far from the gaps between tiles and from the time label at the lower left.
    return [
        mean_colour(pixels, width, int((c + 0.5) * width / columns), int((r + 0.5) * height / rows), 12)
        for r in range(rows)
        for c in range(columns)
    ]


def test_a_sheet_is_a_jpeg_about_1024_wide_under_300_kb_with_9_frames(
    sample_media: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "clip.jpg"
    sheet = make_contact_sheet(sample_media / "clip.mp4", dest)

    data = dest.read_bytes()
    assert data.startswith(JPEG_MAGIC)
    assert sheet.path == dest and sheet.size_bytes == len(data) <= 300_000
    assert abs(sheet.width - 1024) <= 8
    assert (sheet.width, sheet.height) == read_rgb(dest)[:2]
    # clip.mp4 is 320x240: the sheet keeps its shape, three tiles across and three down.
    assert sheet.height == pytest.approx(sheet.width * 240 / 320, rel=0.05)
    assert (sheet.columns, sheet.rows, len(sheet.frame_times)) == (3, 3, 9)
    assert sheet.frame_times == sorted(sheet.frame_times)
    assert sheet.duration == pytest.approx(2.0, abs=0.1)
    assert 0.0 < sheet.frame_times[0] < sheet.frame_times[-1] < sheet.duration
    assert sheet.labelled is ((find_font() or find_cjk_font()) is not None)
    assert [p.name for p in tmp_path.iterdir()] == ["clip.jpg"]


@pytest.mark.parametrize("seek", [False, True], ids=["one pass", "a seek per frame"])
def test_each_tile_shows_the_frame_at_its_time(
    colours_mp4: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seek: bool
) -> None:
    if seek:
        # Long videos are read by seeking to each frame; this one is long enough for that now.
        monkeypatch.setattr(previews, "SEEK_AFTER_SECONDS", 0.0)
    sheet = make_contact_sheet(colours_mp4, tmp_path / "colours.jpg")

    # Frames come from the middle of nine equal slices of the nine-second video: one per colour.
    assert [int(t) for t in sheet.frame_times] == list(range(9))
    found = _tile_colours(sheet.path)
    for index, (colour, expected) in enumerate(zip(found, COLOURS, strict=True)):
        assert close(colour, expected), f"tile {index}: {colour} is not {expected}"


def test_a_sheet_of_other_proportions_keeps_the_frames_in_order(colours_mp4: Path, tmp_path: Path) -> None:
    sheet = make_contact_sheet(colours_mp4, tmp_path / "wide.jpg", columns=9, rows=1, width=1800)

    assert (sheet.columns, sheet.rows) == (9, 1)
    assert abs(sheet.width - 1800) <= 8
    found = _tile_colours(sheet.path, columns=9, rows=1)
    assert all(close(c, e) for c, e in zip(found, COLOURS, strict=True)), found


def test_a_one_frame_video_makes_a_sheet_of_that_frame(tmp_path: Path) -> None:
    sheet = make_contact_sheet(one_frame_video(tmp_path / "one.mp4"), tmp_path / "one.jpg")

    assert sheet.frame_times == [0.0]
    assert sheet.path.read_bytes().startswith(JPEG_MAGIC)
    assert abs(sheet.width - 1024) <= 8
    first, *rest = _tile_colours(sheet.path)
    assert close(first, (255, 0, 0))
    # The cells with no frame to show stay the sheet's dark background.
    assert all(close(cell, (32, 32, 32), tolerance=12) for cell in rest), rest


def test_a_half_second_video_still_fills_the_grid(tmp_path: Path) -> None:
    video = colour_video(tmp_path / "half.mp4", [(0, 0, 255)], seconds_each=0.5, fps=30)
    sheet = make_contact_sheet(video, tmp_path / "half.jpg")

    assert len(sheet.frame_times) == 9
    assert len(set(sheet.frame_times)) == 9
    assert all(close(c, (0, 0, 255)) for c in _tile_colours(sheet.path))


def test_a_sheet_too_big_for_its_budget_loses_quality_then_size(tmp_path: Path) -> None:
    video = noise_video(tmp_path / "noise.mp4")
    roomy = make_contact_sheet(video, tmp_path / "roomy.jpg", max_bytes=5_000_000)
    tight = make_contact_sheet(video, tmp_path / "tight.jpg", max_bytes=roomy.size_bytes // 2)
    tiny = make_contact_sheet(video, tmp_path / "tiny.jpg", max_bytes=30_000)

    assert abs(roomy.width - 1024) <= 8
    # Half the bytes: a lower quality does it, at the full width.
    assert tight.size_bytes <= roomy.size_bytes // 2 and tight.width == roomy.width
    # Far fewer: the quality alone cannot, so the sheet shrinks too.
    assert tiny.size_bytes <= 30_000 and tiny.width < roomy.width
    assert (tiny.width, tiny.height) == read_rgb(tiny.path)[:2]


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("notes.mp4", "not a video"),
        ("music.wav", "audio only"),
        ("photo.jpg", "still image"),
        ("missing.mp4", "no such file"),
    ],
)
def test_a_file_that_is_not_a_video_fails_with_one_clear_error(
    sample_media: Path, tmp_path: Path, name: str, why: str
) -> None:
    source = sample_media / name if (sample_media / name).exists() else tmp_path / name
    if name == "notes.mp4":
        source.write_text("just some words, named like a video\n", encoding="utf-8")
    dest = tmp_path / "out" / "sheet.jpg"

    with pytest.raises(NotAVideoError) as raised:
        make_contact_sheet(source, dest)

    assert isinstance(raised.value, InputError)
    assert name in raised.value.message and why in raised.value.message
    assert raised.value.error_code == "not_a_video"
    assert not dest.parent.exists()


def test_without_a_font_the_sheet_has_no_labels_and_says_so(
    sample_media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(previews, "find_font", lambda: None)
    monkeypatch.setattr(previews, "find_cjk_font", lambda: None)
    sheet = make_contact_sheet(sample_media / "clip.mp4", tmp_path / "plain.jpg")

    assert not sheet.labelled
    assert sheet.note is not None and "fonts-dejavu-core" in sheet.note
    assert len(sheet.frame_times) == 9 and sheet.path.read_bytes().startswith(JPEG_MAGIC)


def test_labels_are_drawn_on_the_frames(colours_mp4: Path, tmp_path: Path) -> None:
    if (find_font() or find_cjk_font()) is None:
        pytest.skip("no TrueType font here: install fonts-dejavu-core to draw time labels")
    labelled = make_contact_sheet(colours_mp4, tmp_path / "labelled.jpg")
    assert labelled.labelled and labelled.note is None
    width, height, pixels = read_rgb(labelled.path)

    # The label sits at the lower left of the first tile, which is pure red: no green in it but the
    # label's white text.
    def green(x: int, y: int) -> int:
        return pixels[(y * width + x) * 3 + 1]

    label = [green(x, y) for y in range(height // 3 - 30, height // 3 - 6) for x in range(8, 70)]
    middle = [green(x, y) for y in range(40, 64) for x in range(140, 200)]
    assert max(label) > 200 and max(middle) < 60


def test_without_the_bundled_ffmpeg_it_says_what_to_install(
    sample_media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    ffmpeg_exe.cache_clear()
    try:
        with pytest.raises(PreviewUnavailableError) as raised:
            make_contact_sheet(sample_media / "clip.mp4", tmp_path / "clip.jpg")
    finally:
        ffmpeg_exe.cache_clear()

    assert isinstance(raised.value, NemoSkillsError)
    assert "pip install 'nemo-skills[local]'" in raised.value.user_message()
    assert not (tmp_path / "clip.jpg").exists()


@pytest.mark.parametrize(
    ("seconds", "decimals", "label"),
    [
        (0.0, 0, "0:00"),
        (3.9, 0, "0:03"),
        (62.0, 0, "1:02"),
        (3723.5, 0, "1:02:03"),
        (4.95, 0, "0:04"),
        (2.9999999999999996, 0, "0:03"),
        (5.0000000001, 1, "0:05.0"),
        (3.46, 1, "0:03.4"),
        (0.0667, 2, "0:00.06"),
    ],
)
def test_frame_labels_read_like_a_player(seconds: float, decimals: int, label: str) -> None:
    assert frame_label(seconds, decimals=decimals) == label


def test_a_bad_grid_is_a_programming_error(sample_media: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="column"):
        make_contact_sheet(sample_media / "clip.mp4", tmp_path / "x.jpg", columns=0)
    with pytest.raises(ValueError, match="narrow"):
        make_contact_sheet(sample_media / "clip.mp4", tmp_path / "x.jpg", width=40)
