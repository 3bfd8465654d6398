"""Typed events of a chat reply, as the client yields them (a discriminated union `ChatEvent`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from nemo_skills.client.models import Reply


class PartialText(BaseModel):
    """A live preview of text still being written; never part of the final reply."""

    kind: Literal["partial_text"] = "partial_text"
    text: str


class TextEvent(BaseModel):
    """Final text of the reply (before GUI translation)."""

    kind: Literal["text"] = "text"
    text: str


class ToolCall(BaseModel):
    """The backend's agent called a tool; internal, not shown to users."""

    kind: Literal["tool_call"] = "tool_call"
    id: str | None = None
    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class ToolResult(BaseModel):
    """A tool call's result; internal, not shown to users."""

    kind: Literal["tool_result"] = "tool_result"
    id: str | None = None
    name: str
    response: Any = None


class StateChange(BaseModel):
    """The session state changed (ADK `actions.stateDelta`)."""

    kind: Literal["state_change"] = "state_change"
    delta: dict[str, Any]


class Heartbeat(BaseModel):
    """The backend is alive but has nothing to say yet."""

    kind: Literal["heartbeat"] = "heartbeat"


class StillWorking(BaseModel):
    """Emitted by the client after a long silence, so the user hears something."""

    kind: Literal["still_working"] = "still_working"
    elapsed: float = Field(description="Seconds since the message was sent.")


class StreamError(BaseModel):
    """The stream reported a failure, or broke off."""

    kind: Literal["error"] = "error"
    message: str
    # Cut by the connection, a silence or the reply's cap (not ended by the backend): it may still be working.
    cut: bool = False


class SessionReplaced(BaseModel):
    """The session was lost (1002) and a new, empty one took its place."""

    kind: Literal["session_replaced"] = "session_replaced"
    old_session_id: str
    new_session_id: str


class ReplyDone(BaseModel):
    """The last event of a chat: the user-facing reply."""

    kind: Literal["done"] = "done"
    reply: Reply


ChatEvent = Annotated[
    PartialText
    | TextEvent
    | ToolCall
    | ToolResult
    | StateChange
    | Heartbeat
    | StillWorking
    | StreamError
    | SessionReplaced
    | ReplyDone,
    Field(discriminator="kind"),
]
