"""Turn a draft into one ffmpeg command: the filter graph, inputs and output settings.

Pure: no process is started here. Video segments are normalised to one frame
size and rate and joined, by hard cuts or by crossfades when the draft asks for
transitions (gaps become black); stills marked with a motion get a slow zoom or
pan; texts are drawn with drawtext from text files in the job's work folder (so
no user text is ever parsed as filter syntax), in the CJK font when they need
it; audio segments are delayed to their start and mixed over a bed that is a
soft chord under generated scenes and animated stills (when there is no music)
and silence elsewhere, so the output always has an AAC track.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nemo_skills.draft import Draft, Segment
from nemo_skills.local.records import MediaRecord
from nemo_skills.local.renderer import effects
from nemo_skills.local.renderer.captions import needs_cjk, wrap
from nemo_skills.local.renderer.ffmpeg import CJK_FONT_PACKAGE, ENV_CJK_FONT
from nemo_skills.protocol import TrackType

SIZES = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}
_COLOR = re.compile(r"^0x[0-9a-fA-F]{6}$")
SAMPLE_RATE = 48000
MAX_RENDER_SECONDS = 600.0
# Names the fonts are copied to in the job's work folder.
FONT_FILE = "font.ttf"
CJK_FONT_FILE = "font-cjk.ttf"
NO_CJK_FONT_NOTE = (
    f"no CJK font found: Chinese, Japanese or Korean captions show as boxes; install the {CJK_FONT_PACKAGE} "
    f"package (apt) or set {ENV_CJK_FONT} to a font file"
)

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
    cjk_font: bool = False
    notes: list[str] = field(default_factory=list)

    def add_input(self, *args: str) -> int:
        self.inputs.append(list(args))
        return len(self.inputs) - 1

    def text_file(self, text: str, chars: int) -> str:
        name = f"text{len(self.files)}.txt"
        lines = [line for p in text.splitlines() or [""] for line in wrap(p, chars)]
        self.files[name] = "\n".join(lines)[:2000]
        return name

    def font_for(self, text: str) -> str:
        if not needs_cjk(text):
            return FONT_FILE
        if self.cjk_font:
            return CJK_FONT_FILE
        if NO_CJK_FONT_NOTE not in self.notes:
            self.notes.append(NO_CJK_FONT_NOTE)
        return FONT_FILE

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
            f"drawtext=fontfile={self.font_for(text)}:textfile={name}:expansion=none:fontsize={size}:fontcolor=white:"
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
        # A seed from the colours: the same scene renders the same every time (ffmpeg's default is random).
        seed = int(c0[2:] + c1[2:], 16) % 2**32
        src = (
            f"gradients=s={sw}x{sh}:c0={c0}:c1={c1}:speed=0.015:seed={seed}:r={b.fps}:d={dur:.3f},"
            f"scale={b.width}:{b.height}"
        )
    else:
        src = f"color=c={c0}:s={b.width}x{b.height}:r={b.fps}:d={dur:.3f}"
    chain = f"{src},setsar=1,format=yuv420p"
    prompt = seg.meta.get("prompt") or seg.meta.get("label")
    if isinstance(prompt, str) and prompt and b.font:
        chain += "," + b.drawtext(prompt, 0.045, "h*0.78-text_h/2")
    del notes
    return chain


def motion_of(seg: Segment) -> str | None:
    """The slow zoom or pan a still asks for (`m.motion`), if it names a known one."""
    motion = seg.meta.get("motion")
    return motion if isinstance(motion, str) and motion in effects.MOTIONS else None


def _video_piece(b: _Builder, seg: Segment, dur: float, lookup: MediaLookup, notes: list[str]) -> str:
    kind = seg.meta.get("kind")
    src = seg.meta.get("src")
    found = lookup(src) if isinstance(src, str) else None
    if isinstance(src, str) and found is None:
        raise PlanError(f"the draft uses media {src!r}, which this session does not have")
    if found is not None:
        path, media = found
        kind = kind or ("clip" if media.kind == "video" else media.kind)
        if (media.kind == "image" or kind == "image") and motion_of(seg):
            # One still frame in; zoompan makes every output frame from it.
            i = b.add_input("-i", str(path))
            move = effects.motion_filter(motion_of(seg) or "", b.width, b.height, b.fps, dur)
            return f"[{i}:v]{move},format=yuv420p,trim=duration={dur:.3f}"
        if media.kind == "image" or kind == "image":
            i = b.add_input("-loop", "1", "-framerate", str(b.fps), "-t", f"{dur:.3f}", "-i", str(path))
            return f"[{i}:v]{b.fit()},trim=duration={dur:.3f}"
        if media.kind == "video":
            trim = _num(seg.meta.get("trim")) / 1000
            i = b.add_input("-ss", f"{trim:.3f}", "-t", f"{dur:.3f}", "-i", str(path))
            return f"[{i}:v]{b.fit()},tpad=stop_mode=clone:stop_duration={dur:.3f},trim=duration={dur:.3f}"
        raise PlanError(f"media {media.name!r} is {media.kind}, not something to show on the video track")
    return _scene(b, seg, dur, notes)


def _tone_beds(draft: Draft, spans: list[tuple[Segment | None, float]], lookup: MediaLookup) -> list[str]:
    """Audio chains of a soft chord under each generated scene and animated still, unless music plays."""
    if any(
        t.type == TrackType.AUDIO and isinstance(s.meta.get("src"), str)
        for t in draft.tracks
        for s in t.segments
    ):
        return []
    chains, start = [], 0.0
    for seg, dur in spans:
        if seg is not None and (_is_scene(seg, lookup) or motion_of(seg)):
            delay = round(start * 1000)
            seed = str(seg.meta.get("prompt") or seg.meta.get("src") or "")
            chains.append(f"{effects.tone_bed(dur, seed, SAMPLE_RATE)},adelay={delay}|{delay}")
        start += dur
    return chains


def _is_scene(seg: Segment, lookup: MediaLookup) -> bool:
    """Whether a video segment is a generated scene (no media behind it)."""
    src = seg.meta.get("src")
    return not (isinstance(src, str) and lookup(src) is not None)


def _video_spans(draft: Draft, total: float) -> list[tuple[Segment | None, float]]:
    """The video track as back-to-back (segment, seconds) pieces; None is black (a gap)."""
    spans: list[tuple[Segment | None, float]] = []
    cursor = 0.0
    video = [s for t in draft.tracks if t.type == TrackType.VIDEO for s in t.segments]
    for seg in sorted(video, key=lambda s: s.start):
        start, end = seg.start / 1000, min(seg.end / 1000, total)
        start = max(start, cursor)
        if end - start < 0.04:
            continue
        if start - cursor >= 0.04:
            spans.append((None, start - cursor))
        spans.append((seg, end - start))
        cursor = end
    if total - cursor >= 0.04 or not spans:
        spans.append((None, max(total - cursor, 0.04)))
    return spans


def _join(
    b: _Builder,
    spans: list[tuple[Segment | None, float]],
    fades: list[float],
    lookup: MediaLookup,
    notes: list[str],
) -> str:
    """Filter chains that put the pieces one after another; returns the joined video's label."""
    labels = []
    for n, (seg, dur) in enumerate(spans):
        # A piece that fades into the next runs on under the blend, so the cut stays where it was.
        shown = dur + (fades[n] if n < len(fades) else 0.0)
        chain = _black(b, shown) if seg is None else _video_piece(b, seg, shown, lookup, notes)
        b.chains.append(f"{chain},setpts=PTS-STARTPTS,settb=1/{b.fps}[p{n}]")
        labels.append(f"[p{n}]")
    if not any(fades):
        b.chains.append(f"{''.join(labels)}concat=n={len(labels)}:v=1:a=0[vcat]")
        return "[vcat]"
    joined, cut = labels[0], 0.0
    for n, fade in enumerate(fades, start=1):
        cut += spans[n - 1][1]
        out = f"[x{n}]"
        if fade:
            b.chains.append(
                f"{joined}{labels[n]}xfade=transition=fade:duration={fade:.3f}:offset={cut:.3f}{out}"
            )
        else:
            b.chains.append(f"{joined}{labels[n]}concat=n=2:v=1:a=0{out}")
        joined = out
    return joined


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
    cjk_font: bool = False,
    crossfade: bool = True,
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
    b = _Builder(width=width, height=height, fps=fps, font=font, gradients=gradients, cjk_font=cjk_font)
    notes = b.notes
    if not font:
        notes.append("no font or drawtext filter found: rendered without captions or titles")

    spans = _video_spans(draft, total)
    wants_fades = crossfade and str(draft.meta.get("transition", "")).lower() in effects.TRANSITIONS
    fades = effects.crossfades([dur for _, dur in spans], fps) if wants_fades else [0.0] * (len(spans) - 1)
    video_out = _join(b, spans, fades, lookup, notes)

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
    for chain in _tone_beds(draft, spans, lookup):
        label = f"[a{len(audio_labels)}]"
        b.chains.append(chain + label)
        audio_labels.append(label)
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
        "-profile:v",
        "high",
        # The fastest presets turn these off and so fall to Constrained Baseline; High needs them.
        "-x264-params",
        "8x8dct=1:cabac=1",
        "-pix_fmt",
        "yuv420p",
        # Limited ("tv") range: players and platforms mis-show or refuse the full-range yuvj420p of JPEGs.
        "-color_range",
        "tv",
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
