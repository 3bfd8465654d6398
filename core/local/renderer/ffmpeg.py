"""The bundled ffmpeg and its fonts, as the renderer knows them.

They live in the files layer (files/ffmpeg.py), where contact sheets find them too; the names stay
importable from here for the renderer and outside code.
"""

from __future__ import annotations

from nemo_skills.files.ffmpeg import (
    CJK_FONT_PACKAGE,
    ENV_CJK_FONT,
    ENV_FONT,
    FfmpegMissingError,
    ffmpeg_exe,
    find_cjk_font,
    find_font,
    has_filter,
)

__all__ = [
    "CJK_FONT_PACKAGE",
    "ENV_CJK_FONT",
    "ENV_FONT",
    "FfmpegMissingError",
    "ffmpeg_exe",
    "find_cjk_font",
    "find_font",
    "has_filter",
]
