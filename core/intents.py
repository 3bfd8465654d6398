"""The intent router inside a skill: which messages go straight to the API.

The seeds' table: export, credits, state and upload skip the chat; anything
else goes to the SSE chat. English and Chinese keywords, case-insensitive.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel


class Intent(StrEnum):
    """What a message inside a skill session asks for."""

    EXPORT = "export"
    CREDITS = "credits"
    STATE = "state"
    UPLOAD = "upload"
    CHAT = "chat"


# Order matters: the first intent whose keywords match wins.
KEYWORDS: tuple[tuple[Intent, tuple[str, ...]], ...] = (
    (Intent.EXPORT, ("export", "download", "send me the video", "导出")),
    (Intent.CREDITS, ("credits", "balance", "积分", "余额")),
    (Intent.STATE, ("status", "show tracks", "状态")),
    (Intent.UPLOAD, ("upload", "上传")),
)


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    # Latin keywords match whole words; CJK keywords match anywhere.
    parts = [rf"\b{re.escape(w)}\b" if w.isascii() else re.escape(w) for w in words]
    return re.compile("|".join(parts), re.IGNORECASE)


_PATTERNS = tuple((intent, _pattern(words)) for intent, words in KEYWORDS)


class IntentMatch(BaseModel):
    """The intent of a message and the keyword that decided it (None for chat)."""

    intent: Intent
    keyword: str | None = None


def classify(text: str, *, has_files: bool = False) -> IntentMatch:
    """Classify a message: export, credits, state, upload (also when files come with it), or chat."""
    for intent, pattern in _PATTERNS:
        m = pattern.search(text)
        if m:
            return IntentMatch(intent=intent, keyword=m.group(0).lower())
    if has_files:
        return IntentMatch(intent=Intent.UPLOAD, keyword=None)
    return IntentMatch(intent=Intent.CHAT)
