"""Where the ffmpeg binary is, and what it can do: imageio-ffmpeg's bundled build, never a system one."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

ENV_FONT = "NEMO_SKILLS_FONT"

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:/Windows/Fonts/arial.ttf",
)


class FfmpegMissingError(RuntimeError):
    """imageio-ffmpeg (the [local] extra) is not installed, or its binary is missing."""


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the bundled ffmpeg binary."""
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise FfmpegMissingError(
            "the local backend needs imageio-ffmpeg: pip install 'nemo-skills[local]'"
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
    env = os.environ.get(ENV_FONT)
    if env and Path(env).is_file():
        return Path(env)
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    fc_match = shutil.which("fc-match")
    if fc_match:
        try:
            found = subprocess.run(
                [fc_match, "-f", "%{file}", "sans:fontformat=TrueType"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found and Path(found).is_file() and found.lower().endswith((".ttf", ".otf")):
            return Path(found)
    return None
