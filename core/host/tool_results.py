"""What each host tool returns: pydantic models, with the text a person (or a model) reads."""

from __future__ import annotations

import json
import re
from typing import Literal

from pydantic import BaseModel, Field

from nemo_skills.catalog.router import RouteResult
from nemo_skills.catalog.skill import Skill
from nemo_skills.client.models import Credits
from nemo_skills.errors import NemoSkillsError, error_code_of, protocol_code_of
from nemo_skills.jobs.results import CancelOutcome

RenderState = Literal["completed", "running", "not_exported"]


class ToolOutput(BaseModel):
    """Base of the tool results: `text()` is what a host shows, the fields are the structured result."""

    def text(self) -> str:
        """A readable rendering of the result."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=2)


class RouteOutput(RouteResult):
    """route_input's result: the chosen skill, why, and every skill's score."""

    def text(self) -> str:
        """The choice and the reason, then the score table."""
        lines = [f"{self.skill}: {self.reason}", "", "scores:"]
        lines += [f"  {row.skill}: {row.score:g} ({row.reason})" for row in self.scores]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


class SkillInfo(BaseModel):
    """One served skill, as a host lists it."""

    name: str
    version: str
    title: str
    tagline: str
    summary: str
    accepts: list[str] = Field(description="Input kinds: text, url, image, video, audio, document.")
    max_upload_mb: int
    recommended_formats: list[str]
    typical_turnaround: str
    examples: list[str]

    @classmethod
    def from_skill(cls, skill: Skill) -> SkillInfo:
        """The listing entry of a skill."""
        return cls(
            name=skill.name,
            version=skill.version,
            title=skill.title,
            tagline=skill.tagline,
            summary=skill.description,
            accepts=[k.value for k in skill.inputs],
            max_upload_mb=skill.max_upload_mb,
            recommended_formats=list(skill.recommended_formats),
            typical_turnaround=skill.typical_turnaround,
            examples=list(skill.examples),
        )


class SkillList(ToolOutput):
    """list_skills' result, highest routing priority first."""

    skills: list[SkillInfo]

    def text(self) -> str:
        """One line per skill."""
        return "\n".join(
            f"{s.name} ({s.version}) — {s.tagline}. Accepts {', '.join(s.accepts)}; "
            f"up to {s.max_upload_mb} MB; {s.typical_turnaround}."
            for s in self.skills
        )


class SessionOutput(ToolOutput):
    """Fields every session tool returns: which skill and session the call used."""

    skill: str
    session_id: str
    session_replaced: str | None = Field(
        default=None, description="A lost session this one replaced; its timeline is gone."
    )

    def _notice(self) -> list[str]:
        if self.session_replaced:
            return [f"Note: session {self.session_replaced} was lost; a new session was started."]
        return []


class ChatOutput(SessionOutput):
    """chat's result: the editor's reply and what changed."""

    reply: str
    changes: list[str] = Field(default_factory=list)
    timeline: str | None = None

    def text(self) -> str:
        """The reply, the changes and the timeline."""
        lines = [*self._notice(), self.reply]
        lines += [f"- {c}" for c in self.changes]
        if self.timeline and self.timeline not in self.reply:
            lines.append(self.timeline)
        return "\n".join(lines)


class UploadOutput(SessionOutput):
    """upload's result: what the session received."""

    files: list[str] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list)

    def text(self) -> str:
        """What was uploaded."""
        items = [*self.files, *self.urls]
        return "\n".join([*self._notice(), f"Uploaded {len(items)} item(s): {', '.join(items) or 'none'}."])


class StateOutput(SessionOutput):
    """get_state's result: the timeline summary."""

    timeline: str
    ready_to_export: bool
    tracks: int

    def text(self) -> str:
        """The timeline and whether it can be exported."""
        ready = "ready to export" if self.ready_to_export else "nothing to export yet"
        return "\n".join([*self._notice(), self.timeline, f"({ready})"])


class ExportOutput(SessionOutput):
    """export's result: the MP4 on disk, or the job still making it (call wait_job)."""

    session_id: str | None = Field(  # type: ignore[assignment]
        default=None, description="The session, once the job has one."
    )
    status: RenderState
    job_id: str | None = Field(
        default=None, description='The job; with status "running", pass it to wait_job.'
    )
    stage: str | None = Field(default=None, description="Where a running job is.")
    progress: float | None = Field(default=None, description="How far a running job is, 0-100.")
    render_id: str | None = None
    path: str | None = Field(default=None, description="The MP4 on disk, once completed.")
    url: str | None = Field(
        default=None, description="The MP4 on disk as a file:// URI (a backend's download link can expire)."
    )
    size: int | None = Field(default=None, description="Size of the MP4 in bytes.")
    preview: str | None = Field(
        default=None,
        description="A contact sheet of the MP4 (a JPEG grid of frames with their times), beside it; "
        "the result also carries it as an image.",
    )
    message: str = ""

    def text(self) -> str:
        """Where the video is, or how to fetch it."""
        return "\n".join([*self._notice(), self.message])


# A reply sentence asking the user to export, as the GUI-talk rewrite leaves it. Only spaces after it go
# with it: the line breaks before the timeline block stay.
_ASKS_TO_EXPORT = re.compile(
    r"[^.!?\n。！？]*(?:say \"export\"|说“导出”)[^.!?\n。！？]*[.!?。！？]?[ \t]*", re.IGNORECASE
)


def without_export_prompt(reply: str) -> str:
    """A reply without its sentences asking for an export, for when the export already ran."""
    return _ASKS_TO_EXPORT.sub("", reply).strip()


class RunSkillOutput(ExportOutput):
    """run_skill's result: the route, the reply, the timeline and the MP4."""

    route_reason: str | None = Field(default=None, description="Why the router chose the skill.")
    credits_spent: float | None = Field(
        default=None, description="Credits the generation cost (the balance's fall); None when not measured."
    )
    credits_estimated: bool = Field(
        default=False, description="credits_spent is an estimate: other generations of the token overlapped."
    )
    reply: str = ""
    changes: list[str] = Field(default_factory=list)
    timeline: str | None = None

    def text(self) -> str:
        """Route, reply, timeline and the export outcome."""
        lines = self._notice()
        if self.route_reason:
            lines.append(f"Skill: {self.skill} ({self.route_reason})")
        if self.reply:
            lines.append(self.reply)
        lines += [f"- {c}" for c in self.changes]
        if self.timeline and self.timeline not in self.reply:
            lines.append(self.timeline)
        if self.message:
            lines.append(self.message)
        if self.credits_spent is not None:
            about = "about " if self.credits_estimated else ""
            lines.append(f"Credits spent: {about}{self.credits_spent:g}.")
        return "\n".join(lines)


class CreditsOutput(Credits):
    """get_credits' result: the balance."""

    def text(self) -> str:
        """The balance in one line."""
        return f"Credits: {self.available:g} available, {self.frozen:g} frozen, {self.total:g} total."


class ToolError(BaseModel):
    """What a failed tool call reports, read into its one line of text: the same `code` names as the CLI's --json `error`."""

    code: str = Field(description="A stable snake_case name of the failure (see docs/cli.md, Error codes).")
    protocol_code: int | None = Field(
        default=None, description="The backend's numeric code, when it gave one."
    )
    message: str
    action: str | None = None

    @classmethod
    def from_exception(cls, exc: BaseException, message: str) -> ToolError:
        """The structured error of an exception, with the message a host shows."""
        action = exc.action if isinstance(exc, NemoSkillsError) else None
        return cls(
            code=error_code_of(exc), protocol_code=protocol_code_of(exc), message=message, action=action
        )


class JobInfo(BaseModel):
    """One job, as list_jobs shows it."""

    job_id: str
    state: str = Field(description="queued, sent, rendering, downloading, done, failed or cancelled.")
    running: bool = Field(description="A worker is on it now.")
    skill: str | None = None
    request: str = Field(description="The first words of the request, or its files and links.")
    session_id: str | None = None
    path: str | None = Field(default=None, description="The MP4, once done.")
    error: str | None = None
    age_seconds: float


class JobList(ToolOutput):
    """list_jobs' result, newest first."""

    jobs: list[JobInfo]

    def text(self) -> str:
        """One line per job."""
        if not self.jobs:
            return "No jobs yet."
        lines = []
        for job in self.jobs:
            state = job.state + (" (running)" if job.running else "")
            where = f" -> {job.path}" if job.path else (f": {job.error}" if job.error else "")
            lines.append(f"{job.job_id} {state} {job.skill or '-'} {job.request!r}{where}")
        return "\n".join(lines)


class BatchOutput(ToolOutput):
    """run_batch's result: each video's job, as run_skill answers for one."""

    batch_id: str
    status: Literal["running", "completed"] = Field(
        description='"running" while any item runs (call wait_job with its job_id), else "completed".'
    )
    items: list[RunSkillOutput]

    def text(self) -> str:
        """One line per item, then what to do next."""
        lines = [f"Batch {self.batch_id}: {len(self.items)} video(s)."]
        for n, item in enumerate(self.items, 1):
            where = item.path or item.stage or item.status
            lines.append(f"[{n}] job {item.job_id}: {item.status} ({where})")
        if self.status == "running":
            lines.append(
                "Some are still working: call wait_job with each running job_id. Do not start them again."
            )
        return "\n".join(lines)


class VideoChunk(ToolOutput):
    """video_chunk's result: a piece of a completed job's MP4, base64, for the job view to play."""

    job_id: str
    offset: int
    next_offset: int
    size: int = Field(description="The MP4's size in bytes.")
    done: bool = Field(description="True when this piece ends the file.")
    data: str = Field(description="The bytes from offset to next_offset, base64.")

    def text(self) -> str:
        """Which bytes these are (the data itself is for the view)."""
        return f"Bytes {self.offset}-{self.next_offset} of {self.size} of job {self.job_id}'s MP4."


class CancelOutput(CancelOutcome, ToolOutput):
    """cancel_job's result."""

    def text(self) -> str:
        """The outcome in words."""
        return self.message


AnyOutput = ToolOutput | RouteOutput | CreditsOutput
"""What a tool call returns."""
