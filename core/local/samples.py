"""Tiny real media files made with ffmpeg, for tests, benchmarks and demos."""

from __future__ import annotations

import subprocess
from pathlib import Path

from nemo_skills.local.renderer.ffmpeg import ffmpeg_exe

# name -> ffmpeg arguments after the inputs' `-y`; every file is small and quick to make.
_RECIPES: dict[str, list[str]] = {
    "photo.jpg": ["-f", "lavfi", "-i", "testsrc2=s=320x240:d=1", "-frames:v", "1"],
    "photo2.png": ["-f", "lavfi", "-i", "smptebars=s=240x320:d=1", "-frames:v", "1"],
    "clip.mp4": [
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:d=2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
    ],
    "clip2.mp4": [
        "-f", "lavfi", "-i", "testsrc=s=240x320:r=25:d=2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
    ],
    "music.wav": ["-f", "lavfi", "-i", "sine=frequency=330:sample_rate=22050:d=3", "-ac", "1"],
    "music.mp3": ["-f", "lavfi", "-i", "sine=frequency=523:sample_rate=44100:d=3", "-c:a", "libmp3lame"],
}  # fmt: skip

SAMPLE_NAMES = tuple(_RECIPES)


def make_sample(name: str, dest_dir: Path) -> Path:
    """Make one sample file (see SAMPLE_NAMES) in dest_dir; returns its path."""
    try:
        recipe = _RECIPES[name]
    except KeyError:
        raise ValueError(f"unknown sample {name!r}; known: {', '.join(SAMPLE_NAMES)}") from None
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / name
    tmp = dest_dir / f".{name}.part{path.suffix}"
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *recipe, str(tmp)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    tmp.replace(path)
    return path


def make_samples(dest_dir: Path, names: tuple[str, ...] = SAMPLE_NAMES) -> dict[str, Path]:
    """Make sample files in dest_dir (all of them by default), keyed by name."""
    return {name: make_sample(name, dest_dir) for name in names}
