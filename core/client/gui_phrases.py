"""GUI talk → what the runtime does: the backend writes as if buttons and panels existed.

"click the Export button" becomes an export the runtime runs, "open the timeline
panel" a state query, "drag/drop" an edit described in chat, "preview in
timeline" a track summary. The text is rewritten so a user is never told to
click something that is not there, and the actions are returned for the caller.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import BaseModel, Field

from nemo_skills.client.models import Action

_Q = "[\"'“”‘’「」『』]?"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# (pattern, replacement, action); applied in order, so specific rules come before generic ones.
_RULES: tuple[tuple[re.Pattern[str], str, Action], ...] = (
    # Export.
    (
        _rx(rf"\b(?:click|tap|press|hit|use|select)\s+(?:on\s+)?(?:the\s+)?{_Q}export{_Q}(?:\s+button)?"),
        'say "export"',
        Action.EXPORT,
    ),
    (_rx(rf"\bthe\s+{_Q}export{_Q}\s+button\b"), '"export"', Action.EXPORT),
    (_rx(rf"点击\s*{_Q}导出{_Q}\s*(?:按钮)?"), "说“导出”", Action.EXPORT),
    (_rx(rf"{_Q}导出{_Q}\s*按钮"), "“导出”", Action.EXPORT),
    # Preview in the timeline.
    (
        _rx(
            r"\b(?:you\s+can\s+)?preview\s+(?:it\s+|the\s+\w+\s+|your\s+\w+\s+)?(?:in|on)\s+(?:the\s+)?timeline\b"
        ),
        "see the timeline summary below",
        Action.TIMELINE,
    ),
    (_rx(r"在?时间线(?:上|中|里)?预览"), "查看下方的时间线摘要", Action.TIMELINE),
    # Open a panel.
    (
        _rx(r"\b(?:open|go\s+to|check)\s+(?:the\s+)?[\w -]{1,30}?\s+(?:panel|tab|sidebar|window|view)\b"),
        'say "status"',
        Action.STATE,
    ),
    (_rx(r"打开\s*\S{0,12}?(?:面板|窗口|页面|标签)"), "说“状态”", Action.STATE),
    # Drag and drop.
    (_rx(r"\bdrag(?:ging)?(?:\s*(?:and|&|/)\s*drop(?:ping)?)?\b"), "tell me how to move", Action.EDIT),
    (_rx(r"(?:拖拽|拖动|拖放)"), "告诉我如何调整", Action.EDIT),
    # Any other button.
    (
        _rx(rf"\b(?:click|tap|press)\s+(?:on\s+)?(?:the\s+)?{_Q}([\w][\w -]{{0,30}}?){_Q}\s+button\b"),
        r'say "\1"',
        Action.API,
    ),
    (
        _rx(rf"\b(?:click|tap|press)\s+(?:on\s+)?{_Q}([\w][\w -]{{0,30}}?){_Q}(?=[\s.,!;:)]|$)"),
        r'say "\1"',
        Action.API,
    ),
    (
        _rx(rf"点击\s*{_Q}([^\s“”「」\"'，。]{{1,12}}?){_Q}\s*(?:按钮)?(?=[\s，。！,.!]|$)"),
        r"说“\1”",
        Action.API,
    ),
)


def _keep_case(match: re.Match[str], replacement: str) -> str:
    # A rewritten sentence start keeps its capital letter.
    if match.group(0)[:1].isupper() and replacement[:1].islower():
        return replacement[0].upper() + replacement[1:]
    return replacement


def _replacer(template: str) -> Callable[[re.Match[str]], str]:
    return lambda match: _keep_case(match, match.expand(template))


class Translation(BaseModel):
    """Reply text with GUI talk rewritten, and the actions it asked for."""

    text: str
    actions: list[Action] = Field(default_factory=list)


def translate(text: str) -> Translation:
    """Rewrite GUI phrases in a reply and list the actions they stand for."""
    actions: list[Action] = []
    for pattern, replacement, action in _RULES:
        text, count = pattern.subn(_replacer(replacement), text)
        if count and action not in actions:
            actions.append(action)
    return Translation(text=re.sub(r"[ \t]{2,}", " ", text), actions=actions)
