"""Tool results read right for what happened."""

from __future__ import annotations

import pytest

from nemo_skills.client.gui_phrases import translate
from nemo_skills.host.tool_results import without_export_prompt


@pytest.mark.parametrize(
    ("backend_says", "after_export"),
    [
        (
            "Done: a sunset clip. Open the timeline panel to preview it, then click the Export button when "
            "you're happy.",
            "Done: a sunset clip.",
        ),
        (
            "Added the title. Preview in timeline, or click the Export button to render the MP4.",
            "Added the title.",
        ),
        ("已添加字幕。点击导出按钮即可。", "已添加字幕。"),
        ("Added music at 35% volume.", "Added music at 35% volume."),
        (
            "Done! A 5-second scene. Open the timeline panel to preview it, then click the Export button when "
            "you're happy.\n\nTimeline (1 track): 1. Video: snow (0-5s)",
            "Done! A 5-second scene.\n\nTimeline (1 track): 1. Video: snow (0-5s)",
        ),
    ],
)
def test_the_export_prompt_goes_once_the_export_ran(backend_says: str, after_export: str) -> None:
    assert without_export_prompt(translate(backend_says).text) == after_export
