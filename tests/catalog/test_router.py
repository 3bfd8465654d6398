"""The input router's policy, first match wins, and its refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_skills.catalog.router import find_urls, route
from nemo_skills.errors import InputError, NoUsableInputError

JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 60
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 60
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 60
WAV = b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 60
PDF = b"%PDF-1.7\n" + b"\x00" * 60


def make(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("use video leonardo to make a sunset", "video-leonardo"),
        ("make it with generator by link please", "generator-by-link"),
        ("Free-Generator-Editor: a sunset", "free-generator-editor"),
        ("a 5-second sunset over a city skyline", "nemo-video-gen"),
        ("a Sora-style clip of waves", "ai-video-maker-sora"),
        ("summarise https://example.com/blog-post as a video", "generator-by-link"),
        ("https://www.youtube.com/watch?v=abc123", "generator-by-link"),
    ],
)
def test_text_only_policy(text: str, expected: str) -> None:
    assert route(text).skill == expected


def test_a_named_skill_wins_over_files(tmp_path: Path) -> None:
    clip = make(tmp_path, "a.mp4", MP4)
    assert route("use nemo video gen", [clip]).skill == "nemo-video-gen"


def test_url_with_local_media_goes_by_the_media(tmp_path: Path) -> None:
    photo = make(tmp_path, "a.jpg", JPG)
    assert route("animate https://example.com/x", [photo]).skill == "video-leonardo"
    assert route("", [], ["https://example.com/a"]).skill == "generator-by-link"


def test_document_goes_to_sora(tmp_path: Path) -> None:
    doc = make(tmp_path, "script.pdf", PDF)
    result = route("make a video", [doc])
    assert result.skill == "ai-video-maker-sora"
    assert "document" in result.reason
    assert route("", [make(tmp_path, "notes.MD", b"# Notes\nhello")]).skill == "ai-video-maker-sora"


def test_clips_go_to_the_editor_with_or_without_images(tmp_path: Path) -> None:
    clip = make(tmp_path, "a.MOV", MP4)
    photo = make(tmp_path, "b.png", PNG)
    assert route("", [clip]).skill == "free-generator-editor"
    assert route("", [clip, photo, make(tmp_path, "m.wav", WAV)]).skill == "free-generator-editor"


def test_images_animate_unless_editing_is_asked(tmp_path: Path) -> None:
    a, b = make(tmp_path, "a.jpg", JPG), make(tmp_path, "b.JPEG", JPG)
    music = make(tmp_path, "m.wav", WAV)
    assert route("turn this image into a 5-second clip", [a]).skill == "video-leonardo"
    assert route("", [a, b]).skill == "video-leonardo"
    for text in (
        "add transitions",
        "with music",
        "add BGM",
        "edit these",
        "cut it",
        "trim",
        "a montage",
        "a slideshow",
    ):
        assert route(text, [a]).skill == "free-generator-editor", text
    assert route("", [a, b, music]).skill == "free-generator-editor"
    assert route("", [a, music]).skill == "video-leonardo"


def test_missing_files_are_judged_by_extension() -> None:
    result = route("turn this image into a 5-second clip", ["does-not-exist/photo.jpg"])
    assert result.skill == "video-leonardo"


def test_a_mislabelled_file_is_not_what_its_name_says(tmp_path: Path) -> None:
    fake = make(tmp_path, "photo.jpg", PDF)
    with pytest.raises(NoUsableInputError, match=r"photo\.jpg.*PDF.*not an image"):
        route("", [fake])


def test_nothing_usable_is_an_error_not_a_guess(tmp_path: Path) -> None:
    with pytest.raises(NoUsableInputError, match="Accepted: a text prompt"):
        route("")
    with pytest.raises(NoUsableInputError, match=r"setup\.exe: unsupported file type"):
        route("  ", [make(tmp_path, "setup.exe", b"MZ\x90\x00")])


def test_score_table_lists_every_served_skill_winner_first(tmp_path: Path) -> None:
    result = route("", [make(tmp_path, "a.jpg", JPG)])
    names = [row.skill for row in result.scores]
    assert names[0] == "video-leonardo"
    assert len(names) == len(set(names)) == 5
    assert result.scores[0].score > result.scores[1].score


def test_urls_are_found_in_text_without_trailing_punctuation() -> None:
    assert find_urls("see https://example.com/a, and (http://x.org/b).") == [
        "https://example.com/a",
        "http://x.org/b",
    ]


def test_a_plugin_can_claim_inputs_above_the_builtin_policy(sixth_skill: str, tmp_path: Path) -> None:
    music = make(tmp_path, "episode.wav", WAV)
    result = route("", [music])
    assert result.skill == sixth_skill
    assert result.reason == "podcast audio to clip"
    assert route("use podcast clipper for this").skill == sixth_skill


def test_a_given_url_that_is_not_a_link_is_refused_not_routed() -> None:
    with pytest.raises(InputError, match=r"Not a usable link: 'hello world'"):
        route("", [], ["hello world"])
    with pytest.raises(InputError, match="Not a usable link"):
        route("make a video", [], ["ftp://example.com/a.mp4"])
    assert route("", [], [" https://example.com/a "]).urls == ["https://example.com/a"]


def test_a_skill_name_inside_a_link_does_not_name_the_skill() -> None:
    result = route("make a video of https://blog.example.com/why-video-leonardo-is-great")
    assert result.skill == "generator-by-link"
    assert route("use video leonardo on https://blog.example.com/x").skill == "video-leonardo"
