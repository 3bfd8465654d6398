"""What a job produced, as the job journal keeps it for whoever waits on the job."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class RunResult(BaseModel):
    """What a job produced."""

    job_id: str | None = Field(default=None, description="The job's id in the journal.")
    skill: str
    routed: bool = Field(default=False, description="The router picked the skill.")
    reason: str | None = Field(default=None, description="Why the router picked it.")
    session_id: str
    session_replaced: str | None = Field(default=None, description="A lost session this run replaced.")
    backend: str = Field(description="'local', 'cloud' or the server URL.")
    text: str = Field(description="The final reply.")
    changes: list[str] = Field(default_factory=list)
    timeline: str = Field(description="The timeline summary after the reply.")
    uploaded: list[str] = Field(default_factory=list)
    output: Path | None = None
    render_id: str | None = None
    size: int | None = None
    resumed: bool = Field(default=False, description="An interrupted job was finished instead of started.")
