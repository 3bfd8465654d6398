"""Client settings: timeouts, intervals and retry waits, all configurable (tests set them tiny)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from nemo_skills import protocol


class ClientOptions(BaseModel):
    """Timeouts (seconds), render polling, retries and waits of the API client."""

    model_config = ConfigDict(frozen=True)

    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=60.0, gt=0)
    write_timeout: float = Field(default=60.0, gt=0)
    pool_timeout: float = Field(default=10.0, gt=0)
    sse_read_timeout: float = Field(default=300.0, gt=0, description="Longest gap between SSE bytes.")
    sse_max_seconds: float = Field(default=protocol.SSE_MAX_SECONDS, gt=0, description="Cap on one reply.")
    still_working_interval: float = Field(default=protocol.STILL_WORKING_SECONDS, gt=0)
    settle_interval: float = Field(
        default=2.0,
        gt=0,
        description="Pause between state reads after a reply stream broke off or ended empty.",
    )
    settle_max_seconds: float = Field(
        default=60.0, ge=0, description="Longest wait for the draft to stop changing after such a stream."
    )
    pending_reply_poll: float = Field(
        default=5.0,
        gt=0,
        description="Pause between state reads while a request whose reply was cut may still be generating.",
    )
    job_poll: float = Field(
        default=0.25, gt=0, description="Pause between looks at the journal while waiting on a job's worker."
    )
    poll_initial: float = Field(
        default=1.0, ge=0, description="First wait with nothing to go by, and after a failed status read."
    )
    poll_near: float = Field(
        default=0.5, ge=0, description="Spacing of polls around a render's expected finish."
    )
    poll_blind: float = Field(
        default=2.5, ge=0, description="Longest wait while the status reports no progress to time polls by."
    )
    poll_max: float = Field(
        default=10.0, ge=0, description="Cap on any wait between polls (a server's Retry-After aside)."
    )
    poll_factor: float = Field(
        default=1.5, ge=1.0, description="Growth of waits with no progress or failures."
    )
    poll_budget: float = Field(
        default=2.0, ge=0, description="Seconds per poll on average over a render: polls never come faster."
    )
    poll_burst: int = Field(default=5, ge=1, description="Polls the budget may save up for the finish.")
    render_deadline: float = Field(default=15 * 60.0, gt=0, description="Default wait for a render.")
    rate_limit_wait: float = Field(default=protocol.RATE_LIMIT_WAIT_SECONDS, ge=0)
    rate_limit_max_wait: float = Field(
        default=120.0, ge=0, description="A 429 asking for a longer wait fails at once instead of sleeping."
    )
    rate_limit_patience: float = Field(
        default=600.0,
        ge=0,
        description="Longest one request keeps waiting through 429s, all waits added up, before it fails.",
    )
    render_id_retries: int = Field(
        default=3, ge=0, description="Fresh render ids tried when the backend says one is taken (HTTP 409)."
    )
    export_retries: int = Field(
        default=2,
        ge=0,
        description="Repeats, with the same render id, of an export request that failed on the way.",
    )
    export_retry_wait: float = Field(
        default=1.0, ge=0, description="Pause before repeating an export request."
    )
    download_retries: int = Field(default=5, ge=0, description="Resumes of a dropped download.")
    download_retry_wait: float = Field(default=0.5, ge=0, description="Pause before resuming a download.")
    token_refresh_margin: float = Field(
        default=300.0, ge=0, description="Fetch a new anonymous token this long before the cached one lapses."
    )
    upload_chunk_size: int = Field(default=256 * 1024, gt=0)
