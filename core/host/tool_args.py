"""What each host tool takes: one pydantic model per tool.

A tool's JSON schema is its model's `model_json_schema()`, and calls are
validated with the same model, so what a host is shown and what a call is
checked against cannot drift.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_SKILL_HELP = (
    "Skill name (see list_skills). Leave empty to continue the session given by session_id, "
    "or the most recent session of this server."
)
_FILES_HELP = "Local files {what}: absolute paths (relative ones are taken from the server's working folder)."
_SESSION_HELP = "Session id returned by an earlier call; continues that session's timeline."


class ToolArgs(BaseModel):
    """Base of every tool's arguments: unknown arguments are rejected, not ignored."""

    model_config = ConfigDict(extra="forbid")


class RouteInputArgs(ToolArgs):
    """Arguments of route_input."""

    text: str = Field(default="", description="The user's request in their own words.")
    files: list[str] = Field(default_factory=list, description="Local file paths the user gave.")
    urls: list[str] = Field(default_factory=list, description="URLs the user gave apart from the text.")


class RunSkillArgs(ToolArgs):
    """Arguments of run_skill."""

    prompt: str = Field(description="What the video should be, in the user's words.")
    skill: str | None = Field(
        default=None, description="Skill name; leave empty to let the router pick one for the input."
    )
    files: list[str] = Field(
        default_factory=list,
        description=_FILES_HELP.format(what="to upload first")
        + " Documents (TXT, MD, DOCX, PDF) are read here and sent as the prompt.",
    )
    urls: list[str] = Field(default_factory=list, description="Media or page URLs to upload first.")
    export: bool = Field(default=True, description="Render and download the MP4 after the reply.")
    output: str | None = Field(
        default=None,
        description="MP4 name inside the server's output folder (no absolute path outside it, no '..'); "
        "by default a new file there.",
    )
    deadline_seconds: float | None = Field(
        default=None,
        gt=0,
        description="Stop waiting for the render after this long and return its render id instead.",
    )
    overwrite: bool = Field(default=False, description="Replace an existing file at output.")
    session_id: str | None = Field(default=None, description=_SESSION_HELP)


class ChatArgs(ToolArgs):
    """Arguments of chat."""

    message: str = Field(min_length=1, description="The next instruction or question for the editor.")
    skill: str | None = Field(default=None, description=_SKILL_HELP)
    session_id: str | None = Field(default=None, description=_SESSION_HELP)


class UploadArgs(ToolArgs):
    """Arguments of upload."""

    files: list[str] = Field(default_factory=list, description=_FILES_HELP.format(what="to upload"))
    urls: list[str] = Field(default_factory=list, description="URLs for the backend to fetch.")
    skill: str | None = Field(default=None, description=_SKILL_HELP)
    session_id: str | None = Field(default=None, description=_SESSION_HELP)


class GetStateArgs(ToolArgs):
    """Arguments of get_state."""

    skill: str | None = Field(default=None, description=_SKILL_HELP)
    session_id: str | None = Field(default=None, description=_SESSION_HELP)


class ExportArgs(ToolArgs):
    """Arguments of export."""

    skill: str | None = Field(default=None, description=_SKILL_HELP)
    session_id: str | None = Field(default=None, description=_SESSION_HELP)
    output: str | None = Field(
        default=None,
        description="MP4 name inside the server's output folder (no absolute path outside it, no '..'); "
        "by default a new file there.",
    )
    deadline_seconds: float | None = Field(
        default=None,
        gt=0,
        description="Stop waiting after this long and return the render id; call export again with it.",
    )
    render_id: str | None = Field(
        default=None, description="Render id from an earlier export that passed its deadline: fetch it."
    )
    overwrite: bool = Field(default=False, description="Replace an existing file at output.")


class GetCreditsArgs(ToolArgs):
    """Arguments of get_credits."""

    skill: str | None = Field(default=None, description="Skill whose attribution headers to send.")


class ListSkillsArgs(ToolArgs):
    """Arguments of list_skills (none)."""
