"""How the rule-based agent changes a session's draft for each kind of edit.

Layout it keeps (and the renderer reads): one video track named "Video" whose
segments are scenes, images or clips (`m.kind`), one audio track "BGM", and
text tracks "Title" and "Text". Times are in ms, as the wire format has them.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from nemo_skills.draft import Draft, Segment, Track
from nemo_skills.local.records import BackendSession, MediaRecord
from nemo_skills.protocol import TrackType

DEFAULT_ASPECT = "16:9"
DEFAULT_SCENE_SECONDS = 5.0
DEFAULT_SLIDE_SECONDS = 3.0
DEFAULT_TITLE_SECONDS = 3.0
DEFAULT_MUSIC_VOLUME = 0.35
MAX_SCENE_SECONDS = 60.0
MAX_TOTAL_SECONDS = 300.0
# Slow moves over a still (`m.motion`), as the renderer names them; consecutive stills take turns.
MOTIONS = ("zoom_in", "pan_right", "zoom_out", "pan_left", "pan_up", "pan_down")
# Gradient colours for scenes, picked by the first keyword a prompt contains.
_PALETTES: tuple[tuple[tuple[str, ...], tuple[str, str]], ...] = (
    (("sunset", "dusk", "evening", "golden"), ("0xff7e5f", "0x2b1055")),
    (("sunrise", "dawn", "morning"), ("0xffd194", "0x70e1f5")),
    (("ocean", "sea", "beach", "wave", "water", "lake"), ("0x00c6ff", "0x0052d4")),
    (("forest", "jungle", "tree", "nature", "garden"), ("0x56ab2f", "0x0b3d0b")),
    (("night", "space", "star", "galaxy", "moon"), ("0x141e30", "0x243b55")),
    (("city", "urban", "street", "skyline", "neon"), ("0x8e2de2", "0x4a00e0")),
    (("snow", "winter", "ice", "mountain", "雪", "冬", "冰"), ("0xe0eafc", "0x7f8c9a")),
    (("fire", "lava", "desert", "sand"), ("0xf12711", "0xf5af19")),
)


def _palette(prompt: str) -> list[str]:
    lower = prompt.lower()
    for words, colors in _PALETTES:
        if any(w in lower for w in words):
            return list(colors)
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    return [
        f"0x{digest[0]:02x}{digest[1]:02x}{digest[2]:02x}",
        f"0x{digest[3] // 3:02x}{digest[4] // 3:02x}60",
    ]


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _track(draft: Draft, kind: int, name: str, *, create: bool = True) -> Track | None:
    for track in draft.tracks:
        if track.type == kind and track.meta.get("name", name) == name:
            return track
    if not create:
        return None
    track = Track(tt=kind, sg=[], m={"name": name})
    # Video first, then audio, then texts, so summaries read in a natural order.
    order: dict[int, int] = {TrackType.VIDEO: 0, TrackType.AUDIO: 1, TrackType.TEXT: 2}
    index = sum(1 for t in draft.tracks if order.get(t.type, 3) <= order.get(kind, 3))
    draft.tracks.insert(index, track)
    return track


def video_end(draft: Draft) -> int:
    """End of the video track in ms (0 when there is none)."""
    track = _track(draft, TrackType.VIDEO, "Video", create=False)
    return max((s.end for s in track.segments), default=0) if track else 0


def refresh_duration(draft: Draft) -> None:
    """Set the draft's `d` to the end of its video, or of its last segment when it has no video."""
    end = video_end(draft) or max((s.end for t in draft.tracks for s in t.segments), default=0)
    draft.duration = end or None


def _segment(start: int, duration: int, **meta: Any) -> Segment:
    return Segment(st=start, d=duration, m=meta)


def generate_scene(draft: Draft, session: BackendSession, args: dict[str, Any]) -> str:
    """Append a generated scene (an animated gradient with the prompt as caption)."""
    prompt = str(args.get("prompt") or "an abstract scene")
    seconds = min(max(float(args.get("seconds") or DEFAULT_SCENE_SECONDS), 1.0), MAX_SCENE_SECONDS)
    if args.get("aspect"):
        draft.meta["aspect"] = args["aspect"]
    draft.meta.setdefault("aspect", DEFAULT_ASPECT)
    track = _track(draft, TrackType.VIDEO, "Video")
    assert track is not None
    scene_id = f"gen_{uuid.uuid4().hex[:12]}"
    label = prompt if len(prompt) <= 60 else prompt[:57] + "..."
    start = video_end(draft)
    track.segments.append(
        _segment(
            start,
            _ms(seconds),
            kind="scene",
            prompt=prompt,
            label=label,
            colors=_palette(prompt),
            id=scene_id,
        )
    )
    record: dict[str, Any] = {"id": scene_id, "type": "scene", "prompt": prompt, "duration": _ms(seconds)}
    if args.get("source_url"):
        record["source_url"] = args["source_url"]
    session.generated.append(record)
    return f"generated a {seconds:g}-second {draft.meta['aspect']} scene: \u201c{prompt}\u201d"


def _media(session: BackendSession, ids: list[str]) -> list[MediaRecord]:
    found = [session.find_media(i) for i in ids]
    return [m for m in found if m is not None]


def add_slides(draft: Draft, session: BackendSession, args: dict[str, Any]) -> str:
    """Append uploaded images as timed slides."""
    images = _media(session, list(args.get("media", [])))
    if "seconds_each" in args:
        each = float(args["seconds_each"])
    elif "total_seconds" in args and images:
        each = float(args["total_seconds"]) / len(images)
    else:
        each = DEFAULT_SLIDE_SECONDS
    each = min(max(each, 0.5), 30.0)
    draft.meta.setdefault("aspect", DEFAULT_ASPECT)
    track = _track(draft, TrackType.VIDEO, "Video")
    assert track is not None
    start = video_end(draft)
    motion = args.get("motion")
    first = MOTIONS.index(motion) if motion in MOTIONS else None
    for n, image in enumerate(images):
        meta: dict[str, Any] = {"kind": "image", "src": image.id, "name": image.name}
        if first is not None:
            meta["motion"] = MOTIONS[(first + n) % len(MOTIONS)]
        track.segments.append(_segment(start, _ms(each), **meta))
        start += _ms(each)
    names = ", ".join(i.name for i in images)
    if first is not None:
        moving = MOTIONS[first].replace("_", " ")
        how_long = f"{each:g}s each" if len(images) > 1 else f"for {each:g}s"
        return f"animated {names} with a slow {moving}, {how_long}"
    return f"added {len(images)} image slide{'s' if len(images) != 1 else ''} ({names}), {each:g}s each"


def set_transitions(draft: Draft, session: BackendSession, args: dict[str, Any]) -> str:
    """Join the video's pieces with crossfades, or with hard cuts."""
    del session
    if args.get("on", True):
        draft.meta["transition"] = "crossfade"
        return "joined the video's pieces with crossfade transitions"
    draft.meta.pop("transition", None)
    return "joined the video's pieces with hard cuts"


def add_clips(draft: Draft, session: BackendSession, args: dict[str, Any]) -> str:
    """Append uploaded clips as segments, one after another."""
    clips = _media(session, list(args.get("media", [])))
    draft.meta.setdefault("aspect", DEFAULT_ASPECT)
    track = _track(draft, TrackType.VIDEO, "Video")
    assert track is not None
    start = video_end(draft)
    for clip in clips:
        length = min(clip.duration_ms or 3000, _ms(MAX_SCENE_SECONDS))
        track.segments.append(
            _segment(
                start, length, kind="clip", src=clip.id, name=clip.name, trim=0, has_audio=clip.has_audio
            )
        )
        start += length
    names = ", ".join(c.name for c in clips)
    return f"added {len(clips)} clip{'s' if len(clips) != 1 else ''} to the video track ({names})"


def add_music(draft: Draft, session: BackendSession, args: dict[str, Any]) -> str:
    """Put an uploaded audio file on the BGM track, covering the video, at a volume."""
    item = session.find_media(str(args.get("media", "")))
    if item is None:
        return "could not find the audio file"
    volume = float(args.get("volume", DEFAULT_MUSIC_VOLUME))
    length = video_end(draft) or item.duration_ms or _ms(DEFAULT_SCENE_SECONDS)
    track = _track(draft, TrackType.AUDIO, "BGM")
    assert track is not None
    track.segments = [_segment(0, length, kind="audio", src=item.id, name=item.name, volume=volume, trim=0)]
    return f"added {item.name} as background music at {round(volume * 100)}% (0-{length / 1000:g}s)"


def add_text(draft: Draft, session: BackendSession, args: dict[str, Any]) -> str:
    """Add a title or a text overlay at a time."""
    del session
    is_title = args.get("kind", "title") == "title"
    name = "Title" if is_title else "Text"
    total = draft.total_ms
    start = _ms(float(args.get("start", 0.0)))
    if total and start >= total:
        start = 0
    duration = _ms(float(args.get("duration", DEFAULT_TITLE_SECONDS)))
    if total:
        duration = min(duration, total - start)
    track = _track(draft, TrackType.TEXT, name)
    assert track is not None
    text = str(args.get("text", ""))
    track.segments.append(
        _segment(start, max(duration, 100), text=text, position="center" if is_title else "bottom")
    )
    what = "title" if is_title else "text overlay"
    return f'added the {what} "{text}" ({start / 1000:g}-{(start + duration) / 1000:g}s)'


def _cut_after(draft: Draft, end: int) -> None:
    for track in draft.tracks:
        kept = []
        for seg in track.segments:
            if seg.start >= end:
                continue
            seg.duration = min(seg.duration, end - seg.start)
            kept.append(seg)
        track.segments = kept


def _cut_before(draft: Draft, cut: int) -> None:
    for track in draft.tracks:
        kept = []
        for seg in track.segments:
            if seg.end <= cut:
                continue
            if seg.start < cut:
                lost = cut - seg.start
                seg.meta["trim"] = int(seg.meta.get("trim", 0) or 0) + lost
                seg.duration -= lost
                seg.start = 0
            else:
                seg.start -= cut
            kept.append(seg)
        track.segments = kept


def trim(draft: Draft, session: BackendSession, args: dict[str, Any]) -> str:
    """Trim the timeline to a length, or cut its first seconds."""
    del session
    if "cut_start" in args:
        cut = _ms(float(args["cut_start"]))
        _cut_before(draft, cut)
        draft.duration = None
        refresh_duration(draft)
        return f"cut the first {cut / 1000:g}s; the video is now {draft.total_ms / 1000:g}s long"
    end = _ms(float(args.get("to", 0)))
    before = draft.total_ms
    if end <= 0 or end >= before:
        return f"left the length as it was ({before / 1000:g}s is not longer than {end / 1000:g}s)"
    _cut_after(draft, end)
    draft.duration = None
    refresh_duration(draft)
    return f"trimmed the video from {before / 1000:g}s to {end / 1000:g}s"


def set_duration(draft: Draft, session: BackendSession, args: dict[str, Any]) -> str:
    """Make the timeline a given length: trim it, or stretch its last video segment."""
    target = min(_ms(float(args.get("seconds", 0))), _ms(MAX_TOTAL_SECONDS))
    before = draft.total_ms
    if target <= 0:
        return "left the duration as it was"
    if target < before:
        _cut_after(draft, target)
    elif target > before:
        video = _track(draft, TrackType.VIDEO, "Video", create=False)
        if video is None or not video.segments:
            return generate_scene(draft, session, {"prompt": "an abstract scene", "seconds": target / 1000})
        video.segments[-1].duration += target - before
        for track in draft.tracks:
            if track.type == TrackType.AUDIO:
                for seg in track.segments:
                    if seg.end >= before:
                        seg.duration = target - seg.start
    draft.duration = None
    refresh_duration(draft)
    return f"set the duration to {target / 1000:g}s (was {before / 1000:g}s)"


def set_aspect_ratio(draft: Draft, session: BackendSession, args: dict[str, Any]) -> str:
    """Change the aspect ratio of the whole video."""
    del session
    before = draft.meta.get("aspect", DEFAULT_ASPECT)
    draft.meta["aspect"] = str(args.get("aspect", DEFAULT_ASPECT))
    return f"changed the aspect ratio from {before} to {draft.meta['aspect']}"


def remove_track(draft: Draft, session: BackendSession, args: dict[str, Any]) -> str:
    """Remove the music, the texts, or the video."""
    del session
    kinds = {
        "audio": (TrackType.AUDIO, "music"),
        "text": (TrackType.TEXT, "text"),
        "video": (TrackType.VIDEO, "video"),
    }
    kind, noun = kinds.get(str(args.get("track")), kinds["audio"])
    before = len(draft.tracks)
    draft.tracks = [t for t in draft.tracks if t.type != kind]
    if len(draft.tracks) == before:
        return f"found no {noun} track to remove"
    refresh_duration(draft)
    return f"removed the {noun} track"
