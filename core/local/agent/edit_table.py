"""The one table of the rule-based agent's edits: each kind's editor, credit cost and pace.

`rules.py` plans `Edit`s by kind name, `turns.py` charges and paces them from
this table, and `apply_edit` makes them with the kind's editor from `edits.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from nemo_skills.draft import Draft
from nemo_skills.local.agent import edits
from nemo_skills.local.records import BackendSession
from nemo_skills.protocol import TrackType

# What an edit of a kind not in EDITS costs.
DEFAULT_COST = 1.0


class Edit(BaseModel):
    """One change the agent will make, as a named tool call with arguments."""

    tool: str
    args: dict[str, Any] = Field(default_factory=dict)

    @property
    def cost(self) -> float:
        """Credits this edit costs."""
        kind = EDITS.get(self.tool)
        return kind.cost if kind is not None else DEFAULT_COST

    @property
    def slow(self) -> bool:
        """Whether the agent takes a slow step (with heartbeats) for this edit."""
        kind = EDITS.get(self.tool)
        return kind is not None and kind.slow


class TurnPlan(BaseModel):
    """What a request asks for: edits, or a note explaining why nothing can be done."""

    edits: list[Edit] = Field(default_factory=list)
    note: str | None = None

    @property
    def cost(self) -> float:
        """Credits the whole turn costs."""
        return sum(e.cost for e in self.edits)


Editor = Callable[[Draft, BackendSession, dict[str, Any]], str]
"""Changes a draft in place for one edit's arguments; returns what was done, as a phrase."""


@dataclass(frozen=True)
class EditKind:
    """One kind of edit: the function that makes it, its credit cost, and whether it is slow."""

    editor: Editor
    cost: float
    # Slow edits make or add media: the agent sends heartbeats meanwhile, and the video grows.
    slow: bool = False


# Generating costs more than arranging.
EDITS: dict[str, EditKind] = {
    "generate_scene": EditKind(edits.generate_scene, cost=10.0, slow=True),
    "add_slides": EditKind(edits.add_slides, cost=3.0, slow=True),
    "add_clips": EditKind(edits.add_clips, cost=3.0, slow=True),
    "add_music": EditKind(edits.add_music, cost=2.0),
    "add_text": EditKind(edits.add_text, cost=1.0),
    "trim": EditKind(edits.trim, cost=1.0),
    "set_duration": EditKind(edits.set_duration, cost=1.0),
    "set_aspect_ratio": EditKind(edits.set_aspect_ratio, cost=1.0),
    "set_transitions": EditKind(edits.set_transitions, cost=1.0),
    "remove_track": EditKind(edits.remove_track, cost=1.0),
}


def apply_edit(session: BackendSession, edit: Edit) -> str:
    """Apply one edit to a session's draft in place; returns what was done, as a phrase."""
    draft = Draft.parse(session.draft)
    draft.meta["agent"] = "rule-based"
    kind = EDITS[edit.tool]
    done = kind.editor(draft, session, edit.args)
    if kind.slow:
        # Media was added, so the video grew.
        edits.refresh_duration(draft)
        # Music that covered the whole video keeps covering it.
        for track in draft.tracks:
            if track.type == TrackType.AUDIO:
                for seg in track.segments:
                    seg.duration = max(seg.duration, draft.total_ms - seg.start)
    session.draft = draft.dump()
    return done
