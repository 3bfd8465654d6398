"""Where the ffmpeg binary is, what it can do, and which fonts it can draw text with.

imageio-ffmpeg's bundled build (the [local] extra), never a system one: the local backend renders with it
and contact sheets are made with it. Imported lazily, so the core client works without the extra.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

ENV_FONT = "NEMO_SKILLS_FONT"
ENV_CJK_FONT = "NEMO_SKILLS_CJK_FONT"
# The Debian package .ci/run installs for captions in Chinese, Japanese or Korean (small, and it has Latin too).
CJK_FONT_PACKAGE = "fonts-wqy-microhei"

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:/Windows/Fonts/arial.ttf",
)

_CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)


INSTALL_HINT = "pip install 'nemo-skills[local]'"


class FfmpegMissingError(RuntimeError):
    """imageio-ffmpeg (the [local] extra) is not installed, or its binary is missing."""


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the bundled ffmpeg binary."""
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise FfmpegMissingError(
            f"imageio-ffmpeg, which bundles ffmpeg, is not installed: {INSTALL_HINT}"
        ) from exc
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:
        raise FfmpegMissingError(f"imageio-ffmpeg has no ffmpeg binary for this platform: {exc}") from exc


@functools.cache
def has_filter(name: str) -> bool:
    """Whether the bundled ffmpeg has a filter (drawtext needs a build with libfreetype)."""
    try:
        out = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-filters"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return any(len(parts) > 1 and parts[1] == name for parts in (line.split() for line in out.splitlines()))


@functools.cache
def find_font() -> Path | None:
    """A TrueType font for captions: $NEMO_SKILLS_FONT, DejaVu Sans, or what fc-match offers."""
    return _first_font(ENV_FONT, _FONT_CANDIDATES, ["fc-match", "-f", "%{file}", "sans:fontformat=TrueType"])


@functools.cache
def find_cjk_font() -> Path | None:
    """A font with Chinese, Japanese and Korean glyphs: $NEMO_SKILLS_CJK_FONT, a known one, or fontconfig's."""
    # fc-list, not fc-match: fc-match always offers its closest font, with Chinese glyphs or not.
    return _first_font(ENV_CJK_FONT, _CJK_FONT_CANDIDATES, ["fc-list", ":lang=zh", "file"])


def _first_font(env_name: str, candidates: tuple[str, ...], query: list[str]) -> Path | None:
    env = os.environ.get(env_name)
    if env and Path(env).is_file():
        return Path(env)
    for candidate in candidates:
        if Path(candidate).is_file():
            return Path(candidate)
    tool = shutil.which(query[0])
    if tool:
        try:
            out = subprocess.run(
                [tool, *query[1:]], capture_output=True, text=True, timeout=10, check=False
            ).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        # fc-list prints "path: " lines; fc-match -f prints the bare path.
        found = min((ln.strip().rstrip(":") for ln in out.splitlines() if ln.strip()), default="")
        if found and Path(found).is_file() and found.lower().endswith((".ttf", ".otf", ".ttc", ".otc")):
            return Path(found)
    return None
