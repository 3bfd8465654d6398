"""Typed values the client hands to its callers (pydantic models at the boundary)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nemo_skills.draft import Draft
from nemo_skills.files.edge import mask_credentials


class SessionInfo(BaseModel):
    """An editing session on the backend."""

    session_id: str
    task_id: str | None = None
    bind_id: str | None = Field(default=None, description="Id for the registration link of anonymous users.")
    replaced: str | None = Field(
        default=None, description="The lost session this one replaces (1002); its timeline is gone."
    )
    created: bool = Field(
        default=False, description="Made by this client just now: its timeline is empty by construction."
    )


class Credits(BaseModel):
    """The account's credit balance."""

    available: float
    frozen: float = 0.0
    total: float = 0.0


class SessionState(BaseModel):
    """The latest state of a session: the timeline draft and the media it knows."""

    draft: Draft = Field(default_factory=Draft)
    video_infos: list[dict[str, Any]] = Field(default_factory=list)
    generated_media: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def timeline(self) -> str:
        """The timeline summary in the seeds' format (URL credentials in labels masked: it is shown)."""
        return mask_credentials(self.draft.summary())


class UploadedFile(BaseModel):
    """One file or link the backend accepted."""

    model_config = ConfigDict(extra="allow")

    name: str
    kind: str | None = None
    id: str | None = None
    duration: float | None = None
    url: str | None = None


class UploadResult(BaseModel):
    """What an upload added to the session."""

    files: list[str] = Field(default_factory=list, description="Names of the uploaded files.")
    urls: list[str] = Field(default_factory=list, description="Links recorded as media.")
    items: list[UploadedFile] = Field(default_factory=list, description="Everything the backend reported.")
    session_replaced: str | None = Field(default=None, description="Lost session replaced before uploading.")


class Action(StrEnum):
    """What the reply's GUI talk asked for, translated into something the runtime can do."""

    EXPORT = "export"  # "click the Export button" / "导出": run the export workflow
    STATE = "state"  # "open [panel]" / "打开": query the session state
    TIMELINE = "timeline"  # "preview in timeline": show the track summary
    EDIT = "edit"  # "drag/drop" / "拖拽": describe the edit in chat instead
    API = "api"  # "click [button]" / "点击": the runtime does it through the API


class Reply(BaseModel):
    """The user-facing outcome of one chat message."""

    text: str
    changes: list[str] = Field(default_factory=list, description="What changed in the timeline, in words.")
    timeline: str | None = Field(default=None, description="Timeline summary, when the reply called for one.")
    from_state: bool = Field(
        default=False, description="The text was written from a state diff (no reply text)."
    )
    session_replaced: str | None = Field(default=None, description="Lost session replaced before sending.")
    actions: list[Action] = Field(default_factory=list, description="Actions the reply's GUI talk asked for.")
    error: str | None = Field(default=None, description="A failure reported mid-stream, if any.")
    state: SessionState | None = Field(
        default=None,
        exclude=True,
        repr=False,
        description="The session's state after the turn: read once it ended, or as its stateDelta left the "
        "draft; None when the reply knows neither.",
    )

    # A reply is shown (a terminal, JSON, an MCP host, the job journal) however the backend quoted a
    # link: a URL's user and password never are.
    @field_validator("text", "timeline", "error")
    @classmethod
    def _masked(cls, value: str | None) -> str | None:
        return None if value is None else mask_credentials(value)

    @field_validator("changes")
    @classmethod
    def _masked_changes(cls, value: list[str]) -> list[str]:
        return [mask_credentials(change) for change in value]


class RenderProgress(BaseModel):
    """Where a render job stands."""

    render_id: str
    status: str
    progress: float | None = Field(default=None, description="0..1 when the backend reports it.")
    url: str | None = None
    message: str | None = None

    @field_validator("message")
    @classmethod
    def _masked(cls, value: str | None) -> str | None:
        # The backend's words about a render are shown; its download `url` is used, so it stays whole.
        return None if value is None else mask_credentials(value)

    @property
    def done(self) -> bool:
        """True once the job completed or failed."""
        from nemo_skills.protocol import RenderStatus

        return self.status in RenderStatus.TERMINAL


class ExportResult(BaseModel):
    """A finished export: the render job and the MP4 on disk."""

    render_id: str
    url: str
    path: Path
    size: int
