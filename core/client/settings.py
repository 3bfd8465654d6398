"""Client settings: timeouts, intervals and retry waits, all configurable (tests set them tiny)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from nemo_skills import protocol


class ClientOptions(BaseModel):
    """Timeouts (seconds), polling backoff and waits of the API client."""

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
    poll_initial: float = Field(default=1.0, ge=0)
    poll_max: float = Field(default=protocol.RENDER_POLL_MAX_SECONDS, ge=0)
    poll_factor: float = Field(default=1.5, ge=1.0)
    render_deadline: float = Field(default=15 * 60.0, gt=0, description="Default wait for a render.")
    rate_limit_wait: float = Field(default=protocol.RATE_LIMIT_WAIT_SECONDS, ge=0)
    rate_limit_max_wait: float = Field(
        default=120.0, ge=0, description="A 429 asking for a longer wait fails at once instead of sleeping."
    )
    download_retries: int = Field(default=5, ge=0, description="Resumes of a dropped download.")
    download_retry_wait: float = Field(default=0.5, ge=0, description="Pause before resuming a download.")
    token_refresh_margin: float = Field(
        default=300.0, ge=0, description="Fetch a new anonymous token this long before the cached one lapses."
    )
    upload_chunk_size: int = Field(default=256 * 1024, gt=0)
