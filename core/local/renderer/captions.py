"""Caption text: which script it needs a font for, and how it wraps (CJK has no spaces to break at)."""

from __future__ import annotations

import textwrap
import unicodedata

# Hangul Jamo, CJK radicals to Yi (kana, ideographs, bopomofo), Hangul syllables, compatibility
# ideographs, fullwidth forms, and the supplementary ideograph planes.
_CJK_RANGES = (
    (0x1100, 0x11FF),
    (0x2E80, 0xA4CF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
    (0x20000, 0x3FFFF),
)
# Punctuation that must not start a line (it hangs on the line before).
_NO_LINE_START = set("，。、；：！？）」』】》〉,.;:!?)")


def needs_cjk(text: str) -> bool:
    """Whether a text has Chinese, Japanese or Korean characters (which Latin fonts draw as boxes)."""
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in _CJK_RANGES)


def _cells(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` cells (a wide character takes two); Latin text breaks at spaces only."""
    width = max(width, 8)
    if not needs_cjk(text):
        return textwrap.wrap(text, width=width) or [""]
    lines: list[str] = []
    line, used = "", 0
    for word in _units(text):
        size = sum(_cells(ch) for ch in word)
        if line and used + size > width and word not in _NO_LINE_START:
            lines.append(line.rstrip())
            line, used = word.lstrip(), size
        else:
            line, used = line + word, used + size
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def _units(text: str) -> list[str]:
    """Wide characters one by one, runs of other characters (Latin words) with the space before them."""
    units: list[str] = []
    for ch in text:
        if _cells(ch) == 2 or not units or _cells(units[-1][-1]) == 2 or ch == " ":
            units.append(ch)
        else:
            units[-1] += ch
    return units
