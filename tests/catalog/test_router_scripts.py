"""Routing on text that mixes scripts: Chinese, Japanese and Korean write no space before a Latin word."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_skills.catalog.router import route

JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 60


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("用video leonardo做一个日落视频", "video-leonardo"),
        ("请用generator by link把这篇文章做成视频", "generator-by-link"),
        ("free-generator-editorで夕日の動画を編集して", "free-generator-editor"),
        ("video leonardo로 일몰 영상을 만들어줘", "video-leonardo"),
        ("用sora做一个海浪的视频", "ai-video-maker-sora"),
        ("soraで波の動画を作って", "ai-video-maker-sora"),
        ("一个城市天际线的日落视频", "nemo-video-gen"),
        # A Latin word that only contains a name is still not a mention of it.
        ("做一个soraya风格的视频", "nemo-video-gen"),
    ],
)
def test_a_skill_named_inside_unspaced_text_is_found(text: str, expected: str) -> None:
    assert route(text).skill == expected


def test_an_editing_word_inside_chinese_text_sends_images_to_the_editor(tmp_path: Path) -> None:
    photos = []
    for name in ("a.jpg", "b.jpg"):
        photos.append(tmp_path / name)
        photos[-1].write_bytes(JPG)
    assert route("给这些照片加music和transitions", photos).skill == "free-generator-editor"
    assert route("把这些照片做成动画", photos).skill == "video-leonardo"


def test_the_earliest_mention_wins_in_mixed_text() -> None:
    assert route("先用video leonardo，不要用sora").skill == "video-leonardo"
    assert route("用nemo video gen，而不是video leonardo").skill == "nemo-video-gen"
