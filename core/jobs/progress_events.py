"""Progress events of a job, for whoever shows them: a terminal, JSON lines, an MCP host.

The runner reports through one callback taking a `ProgressEvent`; it never
prints. Every event is a small pydantic model with a `kind`, so a consumer can
dump it as JSON as is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

# A long silence is the same event on the chat stream and in progress reports.
from nemo_skills.client.events import StillWorking
from nemo_skills.files.edge import mask_credentials

StageName = Literal["route", "connect", "upload", "chat", "render", "download", "done"]


class JobEvent(BaseModel):
    """Base of the events a job reports: `job_id` names the job when several run at once."""

    job_id: str | None = None

    # Progress is shown (a terminal, JSON lines, an MCP host) and kept in the journal: the text of every
    # event (a reply, a notice, a request's label, a failure) shows a URL's user and password masked.
    @model_validator(mode="before")
    @classmethod
    def _masked(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {key: mask_credentials(v) if isinstance(v, str) else v for key, v in data.items()}


class Stage(JobEvent):
    """A job step begins: routing, connecting, uploading, chatting, rendering, downloading."""

    kind: Literal["stage"] = "stage"
    stage: StageName
    message: str = ""


class Transfer(JobEvent):
    """Bytes moved so far in an upload or download (`total` None when unknown)."""

    kind: Literal["upload", "download"]
    name: str
    done: int
    total: int | None = None


class ReplyText(JobEvent):
    """Reply text as it arrives: `partial` is a live preview, otherwise a finished piece."""

    kind: Literal["reply"] = "reply"
    text: str
    partial: bool = False


class RenderUpdate(JobEvent):
    """A render job's status and progress (0-1, None when the backend gives none)."""

    kind: Literal["render"] = "render"
    render_id: str
    status: str
    progress: float | None = None


class Notice(JobEvent):
    """Something the user should read: the routing decision, a replaced session, a retry."""

    kind: Literal["notice"] = "notice"
    message: str
    level: Literal["info", "warning"] = "info"


class ItemStarted(JobEvent):
    """A batch moves on to its next request (1-based `index` of `total`)."""

    kind: Literal["item"] = "item"
    index: int
    total: int
    label: str


class JobUpdate(JobEvent):
    """A job of a batch changed state (queued, sent, rendering, downloading, done, failed, skipped)."""

    kind: Literal["job"] = "job"
    index: int
    total: int
    label: str
    state: str
    detail: str = Field(default="", description="The output when done, the error when failed.")


ProgressEvent = Annotated[
    Stage | Transfer | ReplyText | StillWorking | RenderUpdate | Notice | ItemStarted | JobUpdate,
    Field(discriminator="kind"),
]
ProgressCallback = Callable[[ProgressEvent], None]


def ignore(event: ProgressEvent) -> None:
    """A progress callback that drops every event."""


def for_job(job_id: str, report: ProgressCallback) -> ProgressCallback:
    """A callback that tags each job event with `job_id` before passing it on."""

    def tagged(event: ProgressEvent) -> None:
        if isinstance(event, JobEvent) and event.job_id is None:
            event = event.model_copy(update={"job_id": job_id})
        report(event)

    return tagged
