"""The timeline draft: a typed view over the backend's short keys, summaries and diffs.

The short keys (`t` tracks, `tt` track type, `sg` segments, `d` duration in
ms, `m` metadata, `st` a segment's start in ms) are protocol.DRAFT_*; unknown
keys are kept, so a draft survives a round trip.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nemo_skills.protocol import (
    DRAFT_DURATION,
    DRAFT_META,
    DRAFT_SEGMENT_START,
    DRAFT_SEGMENTS,
    DRAFT_TRACK_TYPE,
    DRAFT_TRACKS,
    TrackType,
)


class Segment(BaseModel):
    """One piece of a track: a clip, an image, a sound or a text, at a time."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    start: int = Field(default=0, alias=DRAFT_SEGMENT_START, ge=0, description="Start in ms.")
    duration: int = Field(default=0, alias=DRAFT_DURATION, ge=0, description="Duration in ms.")
    meta: dict[str, Any] = Field(default_factory=dict, alias=DRAFT_META)

    @property
    def end(self) -> int:
        """End in ms."""
        return self.start + self.duration

    @property
    def label(self) -> str:
        """What a person calls this segment."""
        for key in ("label", "name", "text", "prompt", "src"):
            value = self.meta.get(key)
            if isinstance(value, str) and value:
                return value
        return "untitled"


class Track(BaseModel):
    """A timeline track of one type, with its segments."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    type: int = Field(default=TrackType.VIDEO, alias=DRAFT_TRACK_TYPE)
    segments: list[Segment] = Field(default_factory=list, alias=DRAFT_SEGMENTS)
    meta: dict[str, Any] = Field(default_factory=dict, alias=DRAFT_META)

    @property
    def kind_label(self) -> str:
        """'Video', 'BGM', 'Title' or the track's own name."""
        name = self.meta.get("name")
        if isinstance(name, str) and name:
            return name
        labels: dict[int, str] = {TrackType.VIDEO: "Video", TrackType.AUDIO: "BGM", TrackType.TEXT: "Title"}
        return labels.get(self.type, f"Track type {self.type}")


class Draft(BaseModel):
    """A whole timeline draft."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    tracks: list[Track] = Field(default_factory=list, alias=DRAFT_TRACKS)
    duration: int | None = Field(default=None, alias=DRAFT_DURATION)
    meta: dict[str, Any] = Field(default_factory=dict, alias=DRAFT_META)

    @classmethod
    def parse(cls, raw: object) -> Draft:
        """A draft from state JSON; None or an empty value is an empty draft."""
        if not raw:
            return cls()
        return cls.model_validate(raw)

    def dump(self) -> dict[str, Any]:
        """The draft in its wire form (short keys)."""
        return self.model_dump(by_alias=True, exclude_none=True)

    @property
    def ready_to_export(self) -> bool:
        """A draft can be exported once some track has a segment."""
        return any(track.segments for track in self.tracks)

    @property
    def total_ms(self) -> int:
        """The draft's duration: its `d`, else the end of its last segment."""
        if self.duration:
            return self.duration
        return max((s.end for t in self.tracks for s in t.segments), default=0)

    def summary(self) -> str:
        """Timeline summary in the seeds' format."""
        if not self.tracks:
            return "Timeline (0 tracks): empty"
        parts = [f"{i}. {track_summary(t)}" for i, t in enumerate(self.tracks, 1)]
        noun = "track" if len(self.tracks) == 1 else "tracks"
        return f"Timeline ({len(self.tracks)} {noun}): " + " ".join(parts)


def _seconds(ms: int) -> str:
    value = round(ms / 1000, 1)
    return f"{value:g}"


def _volume(meta: dict[str, Any]) -> str | None:
    vol = meta.get("volume")
    if not isinstance(vol, int | float) or isinstance(vol, bool):
        return None
    percent = vol * 100 if vol <= 1 else vol
    return f"{round(percent)}%"


def segment_summary(track: Track, seg: Segment) -> str:
    """One segment as '<label> (0-10s)', '<label> (0-10s, 35%)' or '"Text" (0-3s)'."""
    label = f'"{seg.label}"' if track.type == TrackType.TEXT else seg.label
    span = f"{_seconds(seg.start)}-{_seconds(seg.end)}s"
    vol = _volume(seg.meta) or _volume(track.meta) if track.type == TrackType.AUDIO else None
    return f"{label} ({span}, {vol})" if vol else f"{label} ({span})"


def track_summary(track: Track) -> str:
    """One track as '<Kind>: <segments>'."""
    if not track.segments:
        return f"{track.kind_label}: (empty)"
    return f"{track.kind_label}: " + ", ".join(segment_summary(track, s) for s in track.segments)


def diff_drafts(before: Draft, after: Draft) -> list[str]:
    """Plain sentences saying what changed between two drafts (empty when nothing did)."""
    changes: list[str] = []
    old = [track_summary(t) for t in before.tracks]
    new = [track_summary(t) for t in after.tracks]
    for line in new:
        if line not in old:
            changes.append(f"added or changed {line}")
    for line in old:
        if line not in new and not any(n.split(":")[0] == line.split(":")[0] for n in new):
            changes.append(f"removed {line}")
    if before.total_ms != after.total_ms and after.total_ms:
        changes.append(f"duration is now {_seconds(after.total_ms)}s (was {_seconds(before.total_ms)}s)")
    for key in ("aspect", "ratio"):
        if before.meta.get(key) != after.meta.get(key) and after.meta.get(key):
            changes.append(f"aspect ratio is now {after.meta[key]}")
    return changes
