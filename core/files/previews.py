"""Contact sheets: a video's frames in a grid, each labelled with its time, as one small JPEG.

An agent cannot watch an MP4, and MCP hosts show images but refuse results over about 1 MB; a sheet of
frames spread evenly over the video lets both an agent and a person see what was made without opening
it. Made with the bundled ffmpeg (the [local] extra), looked up only when a sheet is asked for, so the
core client never needs it.

    make_contact_sheet(video, dest)  ->  ContactSheet (dest's size, pixels, the frame times)

Steps: probe the duration; decode the chosen frames, scaled to tiles (one pass over a short video, a
seek per frame in a long one); lay the tiles out here as raw RGB; draw the time labels (when a font is
found); encode JPEG at falling quality, then falling size, until it fits `max_bytes`; write atomically.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from nemo_skills.errors import NemoSkillsError, PreviewUnavailableError
from nemo_skills.errors import NotAVideoError as NotAVideoError
from nemo_skills.errors import PreviewError as PreviewError
from nemo_skills.files.atomic import atomic_write_bytes
from nemo_skills.files.ffmpeg import (
    FfmpegMissingError,
    ffmpeg_exe,
    find_cjk_font,
    find_font,
    has_filter,
)
from nemo_skills.files.media import SNIFF_BYTES, describe_format, sniff
from nemo_skills.files.probe import MediaInfo, ProbeError, probe

DEFAULT_COLUMNS = 3
DEFAULT_ROWS = 3
DEFAULT_WIDTH = 1024
DEFAULT_MAX_BYTES = 300_000
# The Debian package .ci/run installs for captions; its DejaVu Sans draws the labels.
FONT_PACKAGE = "fonts-dejavu-core"
NO_FONT_NOTE = (
    f"no TrueType font found, so the frames carry no time labels: install {FONT_PACKAGE} "
    "(or set NEMO_SKILLS_FONT to a .ttf file)"
)
NO_DRAWTEXT_NOTE = "this ffmpeg build cannot draw text, so the frames carry no time labels"
# A seek decodes from the keyframe before it, and x264 writes one at least every ~8 s: past about this
# length nine seeks decode less than one pass over every frame does (benchmarks/bench_contact_sheet.py).
SEEK_AFTER_SECONDS = 30.0

GAP = 4
BACKGROUND = bytes((0x20, 0x20, 0x20))
_PAD_COLOR = "0x202020"
# mjpeg's qscale: 2 is the best quality, 31 the worst. Past the last, the sheet shrinks instead.
_QUALITIES = (3, 5, 8, 12)
_SCALES = (0.8, 0.64, 0.5, 0.4, 0.32, 0.25)
_MIN_TILE_WIDTH = 16
_TIMEOUT = 120.0
# GIF is left out: an animated one is a short video.
log = logging.getLogger(__name__)

SHEET_SUFFIX = ".jpg"
_STILL_FORMATS = frozenset({"jpg", "png", "webp"})
_PTS_TIME = re.compile(r"\bpts_time:\s*(-?\d+(?:\.\d+)?)")


class ContactSheet(BaseModel):
    """A contact sheet written to `path`: its size, its pixels and what it shows."""

    path: Path
    size_bytes: int
    width: int
    height: int
    columns: int
    rows: int
    # Seconds from the video's start, one per tile, row by row; fewer than columns x rows when the
    # video has fewer frames than tiles (the cells left over stay blank).
    frame_times: list[float]
    duration: float
    labelled: bool
    # Why the frames carry no time labels, when they do not.
    note: str | None = None


@dataclass(frozen=True)
class _Grid:
    """Where tiles go on a sheet, all in pixels."""

    columns: int
    rows: int
    tile_width: int
    tile_height: int
    width: int

    @property
    def left(self) -> int:
        """The margin left of the first column: the width tiles and gaps leave over, halved."""
        return (self.width - self.columns * self.tile_width - GAP * (self.columns - 1)) // 2

    @property
    def height(self) -> int:
        """The sheet's height: the tiles, a gap between and around them (rounded up to even)."""
        return _even_up(self.rows * self.tile_height + GAP * (self.rows + 1))

    @property
    def tile_bytes(self) -> int:
        """Bytes of one tile as raw RGB."""
        return self.tile_width * self.tile_height * 3

    def origin(self, index: int) -> tuple[int, int]:
        """Top-left pixel of the tile at `index`, counted row by row."""
        row, column = divmod(index, self.columns)
        return self.left + column * (self.tile_width + GAP), GAP + row * (self.tile_height + GAP)


def make_contact_sheet(
    video: Path,
    dest: Path,
    *,
    columns: int = DEFAULT_COLUMNS,
    rows: int = DEFAULT_ROWS,
    width: int = DEFAULT_WIDTH,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ContactSheet:
    """Write a JPEG grid of `video`'s frames, spread evenly and labelled with their times, to `dest`.

    About `width` pixels wide and at most `max_bytes` (the JPEG quality falls first, then the size).
    NotAVideoError for a file that is not a video, PreviewUnavailableError without the bundled ffmpeg,
    PreviewError when ffmpeg fails on the file.
    """
    if columns < 1 or rows < 1:
        raise ValueError(f"a contact sheet needs at least 1 column and 1 row, not {columns}x{rows}")
    if width < columns * (_MIN_TILE_WIDTH + GAP) + GAP:
        raise ValueError(f"{width} px is too narrow for {columns} columns")
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be positive, not {max_bytes}")
    exe = _ffmpeg()
    info = _probe_video(video)
    grid = _grid_for(info, columns, rows, width)
    count = columns * rows
    step = info.duration / count
    # The middle of each of `count` equal slices: never the first frame (often black) nor the last.
    targets = [step * (k + 0.5) for k in range(count)]
    if info.duration > SEEK_AFTER_SECONDS:
        tiles = _grab_by_seeking(exe, video, grid, targets)
    else:
        tiles = _grab_in_one_pass(exe, video, grid, targets, info.frame_rate)
    if not tiles:
        raise PreviewError(f"ffmpeg found no frame to show in {video.name}")
    sheet = _compose(grid, [pixels for _, pixels in tiles])
    times = [time for time, _ in tiles]
    labels = [frame_label(time, decimals=_label_decimals(step)) for time in times]
    sheet, note = _draw_labels(exe, grid, sheet, labels)
    jpeg, (out_width, out_height) = _fit(exe, sheet, grid, max_bytes)
    atomic_write_bytes(dest, jpeg)
    return ContactSheet(
        path=dest,
        size_bytes=len(jpeg),
        width=out_width,
        height=out_height,
        columns=columns,
        rows=rows,
        frame_times=[round(time, 3) for time in times],
        duration=info.duration,
        labelled=note is None,
        note=note,
    )


def frame_label(seconds: float, *, decimals: int = 0) -> str:
    """A frame's time as a player shows it: "0:03", "1:02:03", or "0:03.4" with one decimal."""
    scale = 10**decimals
    # The small bias keeps 4.9999999 (a float's 5.0) from reading as 4.9.
    ticks = max(0, int(seconds * scale + 1e-6))
    hours, rest = divmod(ticks // scale, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return f"{text}.{ticks % scale:0{decimals}d}" if decimals else text


def _label_decimals(step: float) -> int:
    # Enough digits that tiles a `step` apart read differently: whole seconds from 2 s apart.
    return 0 if step >= 2.0 else 1 if step >= 0.2 else 2


def _ffmpeg() -> str:
    try:
        return ffmpeg_exe()
    except FfmpegMissingError as exc:
        raise PreviewUnavailableError(f"contact sheets need the bundled ffmpeg: {exc}") from exc


def _probe_video(video: Path) -> MediaInfo:
    if not video.is_file():
        raise NotAVideoError(f"{video}: no such file, so no contact sheet")
    with video.open("rb") as fh:
        sniffed = sniff(fh.read(SNIFF_BYTES))
    # ffmpeg reads a picture as a video of one frame; a sheet of it would only repeat the picture.
    if sniffed in _STILL_FORMATS:
        raise NotAVideoError(f"{video.name} is a still image ({describe_format(sniffed)}), not a video")
    try:
        info = probe(video)
    except ProbeError as exc:
        raise NotAVideoError(f"{video.name} is not a video: ffmpeg finds no picture or sound in it") from exc
    if not info.has_video:
        raise NotAVideoError(f"{video.name} is not a video: it has no picture (audio only)")
    if info.duration <= 0:
        raise NotAVideoError(f"{video.name} is not a video: it has no duration (a still image?)")
    return info


def _grid_for(info: MediaInfo, columns: int, rows: int, width: int) -> _Grid:
    # Tiles of even sizes (the decoder's 4:2:0 pictures pad cleanly to them); what they leave of the
    # width goes to the margins, so the sheet is exactly as wide as asked (rounded up to even).
    tile_width = (width - GAP * (columns + 1)) // columns
    tile_width -= tile_width % 2
    aspect = info.height / info.width if info.width > 0 and info.height > 0 else 9 / 16
    tile_height = max(2, round(tile_width * aspect / 2) * 2)
    return _Grid(columns, rows, tile_width, tile_height, _even_up(width))


def _tile_filter(grid: _Grid) -> str:
    # Fit and pad rather than stretch: a phone video's rotation can turn its frames from what the probe says.
    w, h = grid.tile_width, grid.tile_height
    return (
        f"scale={w}:{h}:force_original_aspect_ratio=decrease,"
        f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color={_PAD_COLOR},setsar=1,showinfo"
    )


def _grab_in_one_pass(
    exe: str, video: Path, grid: _Grid, targets: Sequence[float], frame_rate: float | None
) -> list[tuple[float, bytes]]:
    # A frame is on screen from its time until the next frame's, so the one showing target k is the first
    # whose end passes it; `selected_n` counts the frames taken so far, which makes it the next target.
    frame_time = 1 / frame_rate if frame_rate else 0.0
    start, step = targets[0], (targets[1] - targets[0]) if len(targets) > 1 else 0.0
    select = f"select='gt(t+{frame_time:.6f}\\,{start:.6f}+selected_n*{step:.6f})'"
    args = [
        *("-an", "-sn", "-dn", "-i", str(video)),
        *("-vf", f"setpts=PTS-STARTPTS,{select},{_tile_filter(grid)}"),
        *("-frames:v", str(len(targets)), "-fps_mode", "passthrough"),
    ]
    pixels, times = _decode(exe, args, video)
    count = min(len(pixels) // grid.tile_bytes, len(times))
    return [(times[i], pixels[i * grid.tile_bytes : (i + 1) * grid.tile_bytes]) for i in range(count)]


def _grab_by_seeking(
    exe: str, video: Path, grid: _Grid, targets: Sequence[float]
) -> list[tuple[float, bytes]]:
    def grab(target: float) -> tuple[float, bytes] | None:
        args = [
            *("-an", "-sn", "-dn", "-ss", f"{target:.6f}", "-i", str(video)),
            *("-vf", _tile_filter(grid), "-frames:v", "1"),
        ]
        pixels, times = _decode(exe, args, video)
        if len(pixels) < grid.tile_bytes or not times:
            return None  # a seek past the picture's end (the sound can run longer)
        # After an input seek, times count from the seek point.
        return target + max(0.0, times[0]), pixels[: grid.tile_bytes]

    # ffmpeg decodes on several threads already; a few seeks at once keep the cores busy between keyframes.
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        found = list(pool.map(grab, targets))
    return [tile for tile in found if tile is not None]


def _decode(exe: str, args: list[str], video: Path) -> tuple[bytes, list[float]]:
    """Raw RGB tiles on stdout and showinfo's frame times on stderr, of one ffmpeg run."""
    cmd = [
        exe,
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "info",
        *args,
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-",
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PreviewError(f"reading the frames of {video.name} took over {_TIMEOUT:.0f} s") from exc
    except OSError as exc:
        raise PreviewUnavailableError(f"could not start the bundled ffmpeg: {exc}") from exc
    report = done.stderr.decode("utf-8", "replace")
    times = [float(match) for match in _PTS_TIME.findall(report)]
    if done.returncode != 0 and not done.stdout:
        raise PreviewError(f"ffmpeg could not read the frames of {video.name}: {_last_line(report)}")
    return done.stdout, times


def _compose(grid: _Grid, tiles: Sequence[bytes]) -> bytes:
    sheet = bytearray(BACKGROUND * (grid.width * grid.height))
    row_bytes = grid.tile_width * 3
    for index, tile in enumerate(tiles):
        x0, y0 = grid.origin(index)
        for y in range(grid.tile_height):
            at = ((y0 + y) * grid.width + x0) * 3
            sheet[at : at + row_bytes] = tile[y * row_bytes : (y + 1) * row_bytes]
    return bytes(sheet)


def _draw_labels(exe: str, grid: _Grid, sheet: bytes, labels: Sequence[str]) -> tuple[bytes, str | None]:
    """The sheet with each tile's time drawn at its lower left, or unchanged and a note saying why not."""
    # A CJK font draws digits too, so it stands in when there is no other font.
    font = find_font() or find_cjk_font()
    if font is None:
        return sheet, NO_FONT_NOTE
    if not has_filter("drawtext"):
        return sheet, NO_DRAWTEXT_NOTE
    size = max(10, round(grid.tile_width * 0.06))
    margin = max(3, size // 3)
    with tempfile.TemporaryDirectory(prefix="nemo-sheet-") as work:
        workdir = Path(work)
        # Referred to by plain relative names from ffmpeg's working folder, so no path needs escaping.
        shutil.copyfile(font, workdir / f"font{font.suffix}")
        draws = []
        for index, label in enumerate(labels):
            (workdir / f"label{index}.txt").write_text(label, encoding="utf-8")
            x0, y0 = grid.origin(index)
            draws.append(
                f"drawtext=fontfile=font{font.suffix}:textfile=label{index}.txt:expansion=none:"
                f"fontsize={size}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw={margin // 2 + 1}:"
                f"x={x0 + margin}:y={y0 + grid.tile_height - margin}-th"
            )
        cmd = [
            *_raw_input(exe, grid.width, grid.height),
            *("-vf", ",".join(draws), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"),
        ]
        labelled = _run(cmd, sheet, "drawing the time labels", cwd=workdir)
    if len(labelled) != len(sheet):
        raise PreviewError("ffmpeg returned a sheet of the wrong size after drawing the time labels")
    return labelled, None


def _fit(exe: str, sheet: bytes, grid: _Grid, max_bytes: int) -> tuple[bytes, tuple[int, int]]:
    """The sheet as a JPEG of at most max_bytes, and its size in pixels."""
    attempts = [(1.0, quality) for quality in _QUALITIES] + [(scale, _QUALITIES[-1]) for scale in _SCALES]
    smallest = 0
    for scale, quality in attempts:
        width = _even_up(int(grid.width * scale))
        height = _even_up(int(grid.height * scale))
        cmd = _raw_input(exe, grid.width, grid.height)
        if scale != 1.0:
            cmd += ["-vf", f"scale={width}:{height}:flags=area"]
        cmd += ["-frames:v", "1", "-pix_fmt", "yuvj420p", "-q:v", str(quality), "-f", "mjpeg", "-"]
        jpeg = _run(cmd, sheet, "encoding the contact sheet")
        if len(jpeg) <= max_bytes:
            return jpeg, (width, height)
        smallest = len(jpeg)
    raise PreviewError(
        f"the contact sheet does not fit in {max_bytes} bytes even at a quarter of its size ({smallest} bytes)"
    )


def _raw_input(exe: str, width: int, height: int) -> list[str]:
    return [
        *(exe, "-hide_banner", "-nostdin", "-loglevel", "error"),
        *("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-i", "-"),
    ]


def _run(cmd: list[str], stdin: bytes, doing: str, *, cwd: Path | None = None) -> bytes:
    try:
        done = subprocess.run(cmd, input=stdin, capture_output=True, timeout=_TIMEOUT, check=False, cwd=cwd)
    except subprocess.TimeoutExpired as exc:
        raise PreviewError(f"{doing} took over {_TIMEOUT:.0f} s") from exc
    except OSError as exc:
        raise PreviewUnavailableError(f"could not start the bundled ffmpeg: {exc}") from exc
    if done.returncode != 0 or not done.stdout:
        raise PreviewError(f"ffmpeg failed {doing}: {_last_line(done.stderr.decode('utf-8', 'replace'))}")
    return done.stdout


def _last_line(report: str) -> str:
    lines = [line.strip() for line in report.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def _even_up(n: int) -> int:
    return n + n % 2


def sheet_beside(video: Path) -> Path:
    """The contact sheet kept beside a video, `NAME.jpg`: made the first time it is asked for."""
    sheet = video.with_suffix(SHEET_SUFFIX)
    if not sheet.is_file():
        make_contact_sheet(video, sheet)
    return sheet


SHEETS_AT_ONCE = 2
_sheets_at_once = threading.BoundedSemaphore(SHEETS_AT_ONCE)


def sheet_beside_if_possible(video: Path) -> Path | None:
    """sheet_beside, or None (logged why) when none can be made: the video is what was asked for.

    At most SHEETS_AT_ONCE are made at a time in a process: many jobs finishing together (a batch, an
    MCP server's callers) would otherwise run an ffmpeg each, tens of megabytes apiece.
    """
    try:
        with _sheets_at_once:
            return sheet_beside(video)
    except NemoSkillsError as exc:
        log.warning("no contact sheet of %s: %s", video.name, exc.message)
        return None
