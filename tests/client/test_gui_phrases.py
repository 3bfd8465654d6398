"""GUI talk in replies becomes what the runtime does, in English and Chinese."""

from __future__ import annotations

import pytest

from nemo_skills.client.gui_phrases import translate
from nemo_skills.client.models import Action


@pytest.mark.parametrize(
    ("text", "expected", "action"),
    [
        ("Done! Click the Export button to render it.", 'Done! Say "export" to render it.', Action.EXPORT),
        ("Use the 'Export' button when ready.", 'Say "export" when ready.', Action.EXPORT),
        ("完成！点击导出按钮即可下载。", "完成！说“导出”即可下载。", Action.EXPORT),
        ("Open the timeline panel to check it.", 'Say "status" to check it.', Action.STATE),
        ("请打开时间线面板查看。", "请说“状态”查看。", Action.STATE),
        ("Drag and drop the clip to the start.", "Tell me how to move the clip to the start.", Action.EDIT),
        ("拖拽片段到开头。", "告诉我如何调整片段到开头。", Action.EDIT),
        ("You can preview it in the timeline.", "See the timeline summary below.", Action.TIMELINE),
        ("Preview in timeline.", "See the timeline summary below.", Action.TIMELINE),
        ("Click Generate to start.", 'Say "Generate" to start.', Action.API),
        ('Press the "Apply" button.', 'Say "Apply".', Action.API),
        ("点击「应用」按钮。", "说“应用”。", Action.API),
    ],
)
def test_gui_phrases_are_rewritten_with_their_action(text: str, expected: str, action: Action) -> None:
    result = translate(text)
    assert result.text == expected
    assert result.actions == [action]


def test_plain_text_is_left_alone() -> None:
    text = "I added the title “Urban Dreams” and 35% lo-fi music; export whenever you like."
    assert translate(text).text == text
    assert translate(text).actions == []


def test_seed_style_hint_asks_for_export_and_state() -> None:
    result = translate(
        "Open the timeline panel to preview it, then click the Export button when you're happy."
    )
    assert "click" not in result.text.lower() and "panel" not in result.text.lower()
    assert set(result.actions) == {Action.EXPORT, Action.STATE}
