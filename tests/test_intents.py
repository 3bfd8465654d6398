"""The intent router: every keyword of the seeds' table, both languages."""

from __future__ import annotations

import pytest

from nemo_skills.intents import Intent, classify


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("export", Intent.EXPORT),
        ("Export 1080p MP4", Intent.EXPORT),
        ("download it", Intent.EXPORT),
        ("send me the video", Intent.EXPORT),
        ("Send Me The Video please", Intent.EXPORT),
        ("导出", Intent.EXPORT),
        ("请导出视频", Intent.EXPORT),
        ("credits", Intent.CREDITS),
        ("how many CREDITS do I have", Intent.CREDITS),
        ("balance", Intent.CREDITS),
        ("积分", Intent.CREDITS),
        ("余额", Intent.CREDITS),
        ("status", Intent.STATE),
        ("show tracks", Intent.STATE),
        ("状态", Intent.STATE),
        ("upload", Intent.UPLOAD),
        ("Upload clip.mp4", Intent.UPLOAD),
        ("上传", Intent.UPLOAD),
        ("generate a 15-second video of a sunset beach", Intent.CHAT),
        ("add BGM at 35%", Intent.CHAT),
        ("edit the intro", Intent.CHAT),
        ("make the exporter scene brighter", Intent.CHAT),
    ],
)
def test_keywords(text: str, intent: Intent) -> None:
    assert classify(text).intent is intent


def test_attached_files_mean_upload() -> None:
    assert classify("here you go", has_files=True).intent is Intent.UPLOAD
    assert classify("export", has_files=True).intent is Intent.EXPORT


def test_the_deciding_keyword_is_reported() -> None:
    assert classify("please SEND ME THE VIDEO").keyword == "send me the video"
    assert classify("add music").keyword is None
