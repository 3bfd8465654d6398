"""Videos for the contact sheet and gallery tests, made with the bundled ffmpeg, and images read back as RGB."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from nemo_skills.files.ffmpeg import ffmpeg_exe
from nemo_skills.files.probe import probe

RGB = tuple[int, int, int]

# Nine colours far apart, so a tile showing the wrong second of the video cannot pass for the right one.
COLOURS: tuple[RGB, ...] = (
    (255, 0, 0),
    (0, 255, 0),
    (0, 0, 255),
    (255, 255, 0),
    (0, 255, 255),
    (255, 0, 255),
    (255, 255, 255),
    (128, 128, 128),
    (255, 128, 0),
)


def run_ffmpeg(*args: str) -> bytes:
    """Run the bundled ffmpeg quietly; its stdout."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args]
    return subprocess.run(cmd, check=True, capture_output=True, timeout=120).stdout


def colour_video(
    dest: Path, colours: Sequence[RGB], *, seconds_each: float = 1.0, size: str = "320x180", fps: int = 25
) -> Path:
    """An H.264 MP4 showing each colour in turn for `seconds_each`."""
    inputs: list[str] = []
    for r, g, b in colours:
        source = f"color=c=0x{r:02X}{g:02X}{b:02X}:s={size}:r={fps}:d={seconds_each}"
        inputs += ["-f", "lavfi", "-i", source]
    joined = "".join(f"[{i}:v]" for i in range(len(colours))) + f"concat=n={len(colours)}:v=1:a=0[v]"
    run_ffmpeg(
        *inputs,
        *("-filter_complex", joined, "-map", "[v]"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(dest)),
    )
    return dest


def one_frame_video(dest: Path) -> Path:
    """An MP4 of a single frame (1/25 s)."""
    run_ffmpeg(
        *("-f", "lavfi", "-i", "color=c=0xFF0000:s=320x180:r=25", "-frames:v", "1"),
        *("-c:v", "libx264", "-pix_fmt", "yuv420p", str(dest)),
    )
    return dest


def noise_video(dest: Path, *, seconds: float = 1.0) -> Path:
    """Random pixels, which JPEG compresses worst: a sheet of them is large."""
    source = f"color=c=gray:s=640x360:r=25:d={seconds},noise=alls=100:allf=t"
    run_ffmpeg(
        *("-f", "lavfi", "-i", source),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(dest)),
    )
    return dest


def read_rgb(image: Path) -> tuple[int, int, bytes]:
    """An image's width, height and pixels as raw RGB, decoded by ffmpeg."""
    info = probe(image)
    pixels = run_ffmpeg("-i", str(image), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
    assert len(pixels) == info.width * info.height * 3
    return info.width, info.height, pixels


def mean_colour(pixels: bytes, width: int, x: int, y: int, radius: int) -> tuple[float, float, float]:
    """The average colour of the square of pixels within `radius` of (x, y)."""
    total = [0, 0, 0]
    count = 0
    for row in range(y - radius, y + radius):
        for col in range(x - radius, x + radius):
            at = (row * width + col) * 3
            for channel in range(3):
                total[channel] += pixels[at + channel]
            count += 1
    return (total[0] / count, total[1] / count, total[2] / count)


def close(found: Sequence[float], expected: RGB, tolerance: float = 40) -> bool:
    """Whether two colours are within `tolerance` in every channel (JPEG and 4:2:0 shift them a little)."""
    return all(abs(f - e) <= tolerance for f, e in zip(found, expected, strict=True))
