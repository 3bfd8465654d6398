"""What a media file holds (duration, frame size and rate, streams), read from `ffmpeg -i`'s report."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pydantic import BaseModel

from nemo_skills.files.ffmpeg import ffmpeg_exe

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_STREAM = re.compile(r"Stream #\d+:\d+(?:\[[^\]]*\])?(?:\([^)]*\))?: (Video|Audio): ([A-Za-z0-9_]+)(.*)")
# After the codec: optional "(profile)" and "(tag / 0x...)" groups, then ", pixel_format".
_PIX_FMT = re.compile(r"\s*(?:\([^)]*\)\s*)*,\s*([a-z][a-z0-9_]*)")
_PROFILE = re.compile(r"\s*\(([^)/]+)\)")
_SIZE = re.compile(r"(?<![0-9x])(\d{2,5})x(\d{2,5})(?![0-9x])")
_FPS = re.compile(r", (\d+(?:\.\d+)?)(k?) (?:fps|tbr)\b")


class ProbeError(RuntimeError):
    """The file is not media ffmpeg can read."""


class MediaInfo(BaseModel):
    """Facts about one media file; `duration` is 0.0 for still images."""

    duration: float
    width: int
    height: int
    has_audio: bool
    has_video: bool
    video_codec: str | None
    audio_codec: str | None
    pixel_format: str | None = None
    video_profile: str | None = None
    frame_rate: float | None = None

    @property
    def duration_ms(self) -> int:
        """Duration in whole milliseconds."""
        return round(self.duration * 1000)


def parse_report(report: str) -> MediaInfo:
    """MediaInfo from the text `ffmpeg -i` prints; ProbeError when it names no stream."""
    duration = 0.0
    match = _DURATION.search(report)
    if match:
        hours, minutes, seconds = match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    width = height = 0
    video_codec = audio_codec = pixel_format = video_profile = None
    frame_rate: float | None = None
    for kind, codec, rest in _STREAM.findall(report):
        if kind == "Video" and video_codec is None:
            video_codec = codec
            size = _SIZE.search(rest)
            if size:
                width, height = int(size.group(1)), int(size.group(2))
            pix, profile = _PIX_FMT.match(rest), _PROFILE.match(rest)
            pixel_format = pix.group(1) if pix else None
            video_profile = profile.group(1).strip() if profile else None
            rate = _FPS.search(rest)
            if rate:
                frame_rate = float(rate.group(1)) * (1000 if rate.group(2) else 1)
        elif kind == "Audio" and audio_codec is None:
            audio_codec = codec
    if video_codec is None and audio_codec is None:
        raise ProbeError("no audio or video stream found")
    return MediaInfo(
        duration=duration,
        width=width,
        height=height,
        has_audio=audio_codec is not None,
        has_video=video_codec is not None,
        video_codec=video_codec,
        audio_codec=audio_codec,
        pixel_format=pixel_format,
        video_profile=video_profile,
        frame_rate=frame_rate,
    )


def probe(path: str | Path) -> MediaInfo:
    """Probe a media file with the bundled ffmpeg; ProbeError if it is not readable media."""
    p = Path(path)
    if not p.is_file():
        raise ProbeError(f"{p} does not exist")
    try:
        result = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(p)],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ProbeError(f"probing {p.name} took too long") from exc
    try:
        return parse_report(result.stderr)
    except ProbeError as exc:
        raise ProbeError(f"{p.name}: {exc}") from exc
