"""Turn a draft into one ffmpeg command: the filter graph, inputs and output settings.

Pure: no process is started here. Video segments are normalised to one frame
size and rate and concatenated (gaps become black); texts are drawn with
drawtext from text files in the job's work folder (so no user text is ever
parsed as filter syntax); audio segments are delayed to their start and mixed
over a silent bed, so the output always has an AAC track.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nemo_skills.draft import Draft, Segment
from nemo_skills.local.records import MediaRecord
from nemo_skills.protocol import TrackType

SIZES = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}
_COLOR = re.compile(r"^0x[0-9a-fA-F]{6}$")
SAMPLE_RATE = 48000
MAX_RENDER_SECONDS = 600.0

MediaLookup = Callable[[str], tuple[Path, MediaRecord] | None]


class PlanError(ValueError):
    """The draft cannot be rendered; the message says why."""


def frame_size(aspect: str | None, short_side: int) -> tuple[int, int]:
    """Width and height for an aspect ratio ('16:9', '9:16', '1:1'); even numbers, 16:9 by default."""
    wr, hr = SIZES.get(str(aspect or "16:9").replace(" ", ""), SIZES["16:9"])
    if wr >= hr:
        height = short_side
        width = round(short_side * wr / hr)
    else:
        width = short_side
        height = round(short_side * hr / wr)
    return width - width % 2, height - height % 2


@dataclass
class RenderPlan:
    """An ffmpeg invocation (without the binary) and the files its work folder needs."""

    args: list[str]
    duration: float
    width: int
    height: int
    captions: bool
    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Builder:
    width: int
    height: int
    fps: int
    font: bool
    inputs: list[list[str]] = field(default_factory=list)
    chains: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    gradients: bool = True

    def add_input(self, *args: str) -> int:
        self.inputs.append(list(args))
        return len(self.inputs) - 1

    def text_file(self, text: str, chars: int) -> str:
        name = f"text{len(self.files)}.txt"
        lines = [textwrap.fill(p, width=max(chars, 8)) for p in text.splitlines() or [""]]
        self.files[name] = "\n".join(lines)[:2000]
        return name

    def fit(self) -> str:
        w, h = self.width, self.height
        return (
            f"scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black,"
            f"setsar=1,fps={self.fps},format=yuv420p"
        )

    def drawtext(
        self, text: str, size_ratio: float, y: str, enable: tuple[float, float] | None = None
    ) -> str:
        size = max(12, round(min(self.width, self.height) * size_ratio))
        chars = int(self.width * 0.85 / (size * 0.55))
        name = self.text_file(text, chars)
        out = (
            f"drawtext=fontfile=font.ttf:textfile={name}:expansion=none:fontsize={size}:fontcolor=white:"
            f"line_spacing={size // 4}:x=(w-text_w)/2:y={y}:box=1:boxcolor=black@0.45:boxborderw={size // 3}"
        )
        if enable is not None:
            out += f":enable='between(t,{enable[0]:.3f},{enable[1]:.3f})'"
        return out


def _num(value: Any, default: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value)


def _volume(seg: Segment, track_meta: dict[str, Any], default: float) -> float:
    raw = seg.meta.get("volume", track_meta.get("volume", default))
    vol = _num(raw, default)
    return max(0.0, min(vol / 100 if vol > 2 else vol, 2.0))


def _colors(meta: dict[str, Any]) -> tuple[str, str]:
    raw = meta.get("colors")
    if (
        isinstance(raw, list)
        and len(raw) >= 2
        and all(isinstance(c, str) and _COLOR.match(c) for c in raw[:2])
    ):
        return raw[0], raw[1]
    return "0x3a1c71", "0xd76d77"


def _scene(b: _Builder, seg: Segment, dur: float, notes: list[str]) -> str:
    c0, c1 = _colors(seg.meta)
    if b.gradients:
        # Gradients are smooth, so drawing them small and scaling up looks the same and is much faster.
        sw, sh = max(b.width // 4, 16), max(b.height // 4, 16)
        src = f"gradients=s={sw}x{sh}:c0={c0}:c1={c1}:speed=0.015:r={b.fps}:d={dur:.3f},scale={b.width}:{b.height}"
    else:
        src = f"color=c={c0}:s={b.width}x{b.height}:r={b.fps}:d={dur:.3f}"
    chain = f"{src},setsar=1,format=yuv420p"
    prompt = seg.meta.get("prompt") or seg.meta.get("label")
    if isinstance(prompt, str) and prompt and b.font:
        chain += "," + b.drawtext(prompt, 0.045, "h*0.78-text_h/2")
    del notes
    return chain


def _video_piece(b: _Builder, seg: Segment, dur: float, lookup: MediaLookup, notes: list[str]) -> str:
    kind = seg.meta.get("kind")
    src = seg.meta.get("src")
    found = lookup(src) if isinstance(src, str) else None
    if isinstance(src, str) and found is None:
        raise PlanError(f"the draft uses media {src!r}, which this session does not have")
    if found is not None:
        path, media = found
        kind = kind or ("clip" if media.kind == "video" else media.kind)
        if media.kind == "image" or kind == "image":
            i = b.add_input("-loop", "1", "-framerate", str(b.fps), "-t", f"{dur:.3f}", "-i", str(path))
            return f"[{i}:v]{b.fit()},trim=duration={dur:.3f}"
        if media.kind == "video":
            trim = _num(seg.meta.get("trim")) / 1000
            i = b.add_input("-ss", f"{trim:.3f}", "-t", f"{dur:.3f}", "-i", str(path))
            return f"[{i}:v]{b.fit()},tpad=stop_mode=clone:stop_duration={dur:.3f},trim=duration={dur:.3f}"
        raise PlanError(f"media {media.name!r} is {media.kind}, not something to show on the video track")
    return _scene(b, seg, dur, notes)


def _black(b: _Builder, dur: float) -> str:
    return f"color=c=black:s={b.width}x{b.height}:r={b.fps}:d={dur:.3f},setsar=1,format=yuv420p"


def build_plan(
    draft: Draft,
    lookup: MediaLookup,
    out: Path,
    *,
    aspect: str | None = None,
    short_side: int = 1080,
    fps: int = 30,
    preset: str = "veryfast",
    font: bool = True,
    gradients: bool = True,
) -> RenderPlan:
    """The ffmpeg arguments that render a draft to `out` (an MP4 whatever its suffix)."""
    if not draft.ready_to_export:
        raise PlanError("the draft has no segments to render; add a scene, images or clips first")
    total = draft.total_ms / 1000
    if total <= 0:
        raise PlanError("the draft's duration is zero")
    if total > MAX_RENDER_SECONDS:
        raise PlanError(
            f"the draft is {total:g}s long; the local backend renders at most {MAX_RENDER_SECONDS:g}s"
        )
    width, height = frame_size(aspect or draft.meta.get("aspect") or draft.meta.get("ratio"), short_side)
    b = _Builder(width=width, height=height, fps=fps, font=font, gradients=gradients)
    notes: list[str] = []
    if not font:
        notes.append("no font or drawtext filter found: rendered without captions or titles")

    pieces: list[str] = []
    cursor = 0.0
    video = [s for t in draft.tracks if t.type == TrackType.VIDEO for s in t.segments]
    for seg in sorted(video, key=lambda s: s.start):
        start, end = seg.start / 1000, min(seg.end / 1000, total)
        start = max(start, cursor)
        if end - start < 0.04:
            continue
        if start - cursor >= 0.04:
            pieces.append(_black(b, start - cursor))
        pieces.append(_video_piece(b, seg, end - start, lookup, notes))
        cursor = end
    if total - cursor >= 0.04 or not pieces:
        pieces.append(_black(b, max(total - cursor, 0.04)))
    labels = []
    for n, chain in enumerate(pieces):
        b.chains.append(f"{chain},setpts=PTS-STARTPTS[p{n}]")
        labels.append(f"[p{n}]")
    video_out = "[vcat]"
    b.chains.append(f"{''.join(labels)}concat=n={len(pieces)}:v=1:a=0{video_out}")

    texts = [(t, s) for t in draft.tracks if t.type == TrackType.TEXT for s in t.segments]
    if texts and font:
        draws = []
        for track, seg in texts:
            words = seg.meta.get("text") or seg.meta.get("label")
            if not isinstance(words, str) or not words:
                continue
            title = str(track.meta.get("name", "Title")) == "Title" and seg.meta.get("position") != "bottom"
            y = "(h-text_h)/2" if title else "h*0.85-text_h"
            draws.append(b.drawtext(words, 0.08 if title else 0.055, y, (seg.start / 1000, seg.end / 1000)))
        if draws:
            b.chains.append(f"{video_out}{','.join(draws)}[vtext]")
            video_out = "[vtext]"

    audio_labels = ["[bed]"]
    b.chains.append(f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=duration={total:.3f}[bed]")
    for track in draft.tracks:
        for seg in track.segments:
            audio_chain = _audio_piece(b, track.type, track.meta, seg, total, lookup)
            if audio_chain:
                label = f"[a{len(audio_labels)}]"
                b.chains.append(audio_chain + label)
                audio_labels.append(label)
    if len(audio_labels) > 1:
        b.chains.append(
            f"{''.join(audio_labels)}amix=inputs={len(audio_labels)}:duration=first:normalize=0,"
            f"atrim=duration={total:.3f}[aout]"
        )
        audio_out = "[aout]"
    else:
        audio_out = "[bed]"

    args = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
    for group in b.inputs:
        args += group
    args += ["-filter_complex", ";".join(b.chains), "-map", video_out, "-map", audio_out]
    args += [
        "-t",
        f"{total:.3f}",
        "-r",
        str(fps),
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-pix_fmt",
        "yuv420p",
    ]
    args += ["-c:a", "aac", "-b:a", "128k", "-ar", str(SAMPLE_RATE), "-movflags", "+faststart"]
    args += ["-progress", "pipe:1", "-nostats", "-f", "mp4", str(out)]
    return RenderPlan(
        args=args, duration=total, width=width, height=height, captions=font, files=b.files, notes=notes
    )


def _audio_piece(
    b: _Builder, track_type: int, track_meta: dict[str, Any], seg: Segment, total: float, lookup: MediaLookup
) -> str | None:
    src = seg.meta.get("src")
    if not isinstance(src, str):
        return None
    start = seg.start / 1000
    dur = min(seg.end / 1000, total) - start
    if dur < 0.04:
        return None
    found = lookup(src)
    if found is None:
        if track_type == TrackType.AUDIO:
            raise PlanError(f"the draft uses audio {src!r}, which this session does not have")
        return None
    path, media = found
    delay = round(start * 1000)
    tail = f"aresample={SAMPLE_RATE},aformat=channel_layouts=stereo,adelay={delay}|{delay}"
    if track_type == TrackType.AUDIO and media.has_audio:
        trim = _num(seg.meta.get("trim")) / 1000
        vol = _volume(seg, track_meta, 0.35)
        # Music shorter than its segment loops until the segment ends.
        i = b.add_input("-stream_loop", "-1", "-i", str(path))
        return (
            f"[{i}:a]atrim=start={trim:.3f}:duration={dur:.3f},asetpts=PTS-STARTPTS,volume={vol:.3f},{tail}"
        )
    if (
        track_type == TrackType.VIDEO
        and media.kind == "video"
        and media.has_audio
        and not seg.meta.get("mute")
    ):
        trim = _num(seg.meta.get("trim")) / 1000
        vol = _volume(seg, track_meta, 1.0)
        i = b.add_input("-ss", f"{trim:.3f}", "-t", f"{dur:.3f}", "-i", str(path))
        return f"[{i}:a]atrim=duration={dur:.3f},asetpts=PTS-STARTPTS,volume={vol:.3f},{tail}"
    return None
