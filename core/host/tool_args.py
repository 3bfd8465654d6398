"""What each host tool takes: one pydantic model per tool.

A tool's JSON schema is its model's `model_json_schema()`, and calls are
validated with the same model, so what a host is shown and what a call is
checked against cannot drift.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

_SKILL_HELP = (
    "Skill name (see list_skills). Leave empty to continue the session given by session_id, "
    "or the most recent session of this server."
)
_FILES_HELP = "Local files {what}: absolute paths (relative ones are taken from the server's working folder)."
_SESSION_HELP = "Session id returned by an earlier call; continues that session's timeline."
DEFAULT_WAIT_SECONDS = 20.0
MAX_WAIT_SECONDS = 600.0
WaitSeconds = Annotated[
    float | None,
    Field(
        ge=0,
        le=MAX_WAIT_SECONDS,
        description="Seconds to wait for the job before answering. Best left out: the server then answers "
        "within what this host allows a call (3 s for clients it does not know, 45 s for hosts known to "
        "allow a minute). Set it only below your host's own limit for a call. If the job is not finished "
        'by then, the result has status "running" and a job_id: call wait_job with it. The job goes on '
        "either way, and asking the same thing again joins it instead of paying twice.",
    ),
]
"""The `wait_seconds` argument of the tools that start or follow a job."""


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
    wait_seconds: WaitSeconds = None
    overwrite: bool = Field(default=False, description="Replace an existing file at output.")
    session_id: str | None = Field(default=None, description=_SESSION_HELP)
    max_credits: float | None = Field(
        default=None,
        ge=0,
        description="A budget in credits: refuse to start when the video is expected to cost more (what the "
        "last one on this backend cost).",
    )


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
    wait_seconds: WaitSeconds = None
    render_id: str | None = Field(
        default=None,
        description="Render id of a render started earlier (say by `nemo-skills export`): fetch it.",
    )
    overwrite: bool = Field(default=False, description="Replace an existing file at output.")


class GetCreditsArgs(ToolArgs):
    """Arguments of get_credits."""

    skill: str | None = Field(default=None, description="Skill whose attribution headers to send.")


class ListSkillsArgs(ToolArgs):
    """Arguments of list_skills (none)."""


class WaitJobArgs(ToolArgs):
    """Arguments of wait_job."""

    job_id: str = Field(
        min_length=1, max_length=64, description='The job_id of a "running" result of run_skill or export.'
    )
    wait_seconds: WaitSeconds = None


class BatchItemArgs(ToolArgs):
    """One request of run_batch."""

    prompt: str = Field(description="What this video should be, in the user's words.")
    files: list[str] = Field(default_factory=list, description=_FILES_HELP.format(what="for this video"))
    urls: list[str] = Field(default_factory=list, description="Media or page URLs for this video.")


class RunBatchArgs(ToolArgs):
    """Arguments of run_batch."""

    requests: list[BatchItemArgs] = Field(
        min_length=1, max_length=20, description="The videos to make, each its own job (at most 20)."
    )
    skill: str | None = Field(
        default=None, description="Skill for every request; leave empty to let the router pick for each."
    )
    wait_seconds: WaitSeconds = None


class VideoChunkArgs(ToolArgs):
    """Arguments of video_chunk."""

    job_id: str = Field(min_length=1, max_length=64, description="A completed job's id.")
    offset: int = Field(default=0, ge=0, description="Where to read from, in bytes (the last next_offset).")


class CancelJobArgs(ToolArgs):
    """Arguments of cancel_job."""

    job_id: str = Field(min_length=1, max_length=64, description="The job_id to cancel (run_skill, export).")


class ListJobsArgs(ToolArgs):
    """Arguments of list_jobs."""

    limit: int = Field(default=10, ge=1, le=100, description="At most this many jobs, newest first.")
    unfinished: bool = Field(default=False, description="Only jobs still running or interrupted.")
