"""What the local backend keeps: accounts, tokens, sessions, uploaded media and render jobs.

Each is stored as one JSON document per row of the backend's database (see `db`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from nemo_skills.protocol import RenderStatus

MediaKind = Literal["image", "video", "audio", "link"]


class Account(BaseModel):
    """A user: anonymous (one per client id) or registered (one per configured token)."""

    user_id: str
    anonymous: bool
    available: float
    frozen: float = 0.0
    bind_id: str | None = None

    @property
    def total(self) -> float:
        """Credits owned, frozen ones included."""
        return self.available + self.frozen


class TokenRecord(BaseModel):
    """A token, stored under its hash so the data folder holds no usable secret."""

    user_id: str
    client_id: str | None = None
    issued_at: float
    expires_at: float
    calls: int = 0
    revoked: bool = False

    def valid(self, now: float) -> bool:
        """Whether the token may still be used."""
        return not self.revoked and now < self.expires_at


class MediaRecord(BaseModel):
    """An uploaded file (kept under the data folder) or a recorded link."""

    id: str
    name: str
    kind: MediaKind
    ext: str = ""
    path: str | None = Field(default=None, description="Relative to the data folder.")
    url: str | None = None
    size: int = 0
    duration_ms: int = 0
    width: int = 0
    height: int = 0
    has_audio: bool = False
    uploaded_at: float = 0.0

    def info(self) -> dict[str, Any]:
        """What the API reports about this media (never its path on disk)."""
        return self.model_dump(exclude={"path"}, exclude_none=True)


class BackendSession(BaseModel):
    """A chat session as the backend keeps it: its owner, timeline, uploads and history."""

    session_id: str
    task_id: str
    bind_id: str | None
    user_id: str
    language: str | None = None
    created: float
    updated: float
    draft: dict[str, Any] = Field(default_factory=dict)
    media: list[MediaRecord] = Field(default_factory=list)
    generated: list[dict[str, Any]] = Field(default_factory=list)
    calls: int = 0
    turns: int = 0

    def find_media(self, ref: str) -> MediaRecord | None:
        """Media by id or (case-insensitive) name; the latest upload wins a name clash."""
        for item in reversed(self.media):
            if item.id == ref or item.name.lower() == ref.lower():
                return item
        return None

    def latest(self, kind: MediaKind) -> MediaRecord | None:
        """The most recent upload of a kind."""
        return next((m for m in reversed(self.media) if m.kind == kind), None)


class RenderJob(BaseModel):
    """An export render and where it stands."""

    id: str
    session_id: str
    user_id: str
    status: str = RenderStatus.PENDING
    progress: float = 0.0
    created: float
    updated: float
    draft: dict[str, Any]
    aspect: str | None = None
    output: str | None = Field(default=None, description="File name under the renders folder.")
    file_key: str | None = Field(
        default=None, repr=False, description="The random path part of the download URL (128 bits)."
    )
    finished: float | None = Field(
        default=None, description="When the render completed or failed (unix time); None while it runs."
    )
    accessed: float | None = Field(default=None, description="When the file was last downloaded.")
    expired: bool = Field(default=False, description="The file was cleaned away after the keep window.")
    size: int | None = None
    error: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)


class StoreData(BaseModel):
    """The former state file (`state.json`), read once to move its contents into the database."""

    version: int = 1
    accounts: dict[str, Account] = Field(default_factory=dict)
    tokens: dict[str, TokenRecord] = Field(default_factory=dict)
    clients: dict[str, str] = Field(default_factory=dict, description="Client id -> user id.")
    sessions: dict[str, BackendSession] = Field(default_factory=dict)
    renders: dict[str, RenderJob] = Field(default_factory=dict)
