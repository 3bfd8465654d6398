"""What a job produced, as the job journal keeps it for whoever waits on the job, and what cancelling one did."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from nemo_skills.files.edge import mask_credentials


class RunResult(BaseModel):
    """What a job produced."""

    job_id: str | None = Field(default=None, description="The job's id in the journal.")
    skill: str
    routed: bool = Field(default=False, description="The router picked the skill.")
    reason: str | None = Field(default=None, description="Why the router picked it.")
    session_id: str
    session_replaced: str | None = Field(default=None, description="A lost session this run replaced.")
    backend: str = Field(description="'local', 'cloud' or the server URL (its user and password masked).")
    text: str = Field(description="The final reply.")
    changes: list[str] = Field(default_factory=list)
    timeline: str = Field(description="The timeline summary after the reply.")
    uploaded: list[str] = Field(default_factory=list)
    output: Path | None = None
    render_id: str | None = None
    size: int | None = None
    resumed: bool = Field(default=False, description="An interrupted job was finished instead of started.")
    credits_spent: float | None = Field(
        default=None, description="Credits the generation cost (the balance's fall); None when not measured."
    )
    credits_estimated: bool = Field(
        default=False, description="credits_spent is an estimate: other generations of the token overlapped."
    )
    preview: Path | None = Field(
        default=None, description="A contact sheet of the MP4, when one was asked for."
    )

    # What a job produced is shown (run, wait, --json, MCP results): a URL's user and password never
    # are. Masked when read back from the journal too, so a result recorded before this still shows none.
    @field_validator("backend", "text", "timeline", "reason")
    @classmethod
    def _masked(cls, value: str | None) -> str | None:
        return None if value is None else mask_credentials(value)

    @field_validator("changes", "uploaded")
    @classmethod
    def _masked_changes(cls, value: list[str]) -> list[str]:
        return [mask_credentials(change) for change in value]


class CancelOutcome(BaseModel):
    """What cancelling one job did."""

    job_id: str
    state: str = Field(description='The job\'s state now: "cancelled", or how it had finished.')
    cancelled: bool = Field(description="True when the job was unfinished and is cancelled now.")
    was: str = Field(description="Where the job was when asked: its stage, or how it had finished.")
    credits_spent: float | None = Field(
        default=None, description="What its generation had cost, if measured."
    )
    message: str
