"""Settings of one local backend: timing knobs, credit policy, response shapes and faults."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nemo_skills import protocol
from nemo_skills.errors import InputError
from nemo_skills.local.faults import Faults

StatusShape = Literal["top", "data", "alternate"]

# Upload limit when X-Skill-Source names no known skill.
DEFAULT_UPLOAD_LIMIT_MB = 200

ENV_KEEP_HOURS = "NEMO_SKILLS_KEEP_HOURS"
DEFAULT_KEEP_HOURS = 24.0
MAX_KEEP_HOURS = 24.0 * 365


def parse_keep_hours(raw: str) -> float:
    """Hours a finished render is kept, from text: finite, above 0, at most a year; ValueError otherwise."""
    try:
        hours = float(raw.strip())
    except ValueError:
        # The value is not repeated: it may be anything, of any length.
        raise ValueError("not a number of hours") from None
    if not math.isfinite(hours) or not 0 < hours <= MAX_KEEP_HOURS:
        raise ValueError(f"give a number of hours above 0 and at most {MAX_KEEP_HOURS:g}")
    return hours


def keep_hours_from_env(environ: Mapping[str, str] | None = None) -> float:
    """NEMO_SKILLS_KEEP_HOURS as hours (the default when unset or empty); InputError when it is not valid."""
    raw = (os.environ if environ is None else environ).get(ENV_KEEP_HOURS, "").strip()
    if not raw:
        return DEFAULT_KEEP_HOURS
    try:
        return parse_keep_hours(raw)
    except ValueError as exc:
        raise InputError(
            f"{ENV_KEEP_HOURS} is not valid: {exc}.", action=f"Fix or unset {ENV_KEEP_HOURS}."
        ) from None


class BackendSettings(BaseModel):
    """Everything that shapes how a local backend behaves, besides where it keeps its data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    faults: Faults = Field(default_factory=Faults)
    heartbeat_interval: float = Field(default=0.05, gt=0, description="Seconds between heartbeats.")
    step_delay: float = Field(default=0.05, ge=0, description="Seconds the agent 'works' on each edit.")
    starting_credits: float = Field(default=protocol.ANON_TOKEN_CREDITS, ge=0)
    registered_tokens: dict[str, float] = Field(
        default_factory=dict, repr=False, description="Tokens of registered users and their credits."
    )
    plan_blocks_export: bool = Field(default=False, description="Answer 402 to every export (plan tier).")
    status_shape: StatusShape = "top"
    auth_http_401: bool = Field(default=False, description="Answer token errors with HTTP 401.")
    token_ttl: float = Field(default=protocol.ANON_TOKEN_TTL_SECONDS, gt=0)
    render_workers: int = Field(default=2, ge=1, le=16, description="ffmpeg processes at once.")
    resolution: int = Field(default=1080, ge=64, le=2160, description="Short side of rendered video.")
    fps: int = Field(default=30, ge=1, le=60)
    x264_preset: str = Field(default="veryfast", pattern=r"^[a-z]+$")
    keep_hours: float | None = Field(
        default=DEFAULT_KEEP_HOURS,
        gt=0,
        allow_inf_nan=False,
        description="Hours a finished render is kept after it was last requested; None keeps every render.",
    )
    upload_part_hours: float = Field(
        default=1.0,
        gt=0,
        allow_inf_nan=False,
        description="Hours after its last write an unfinished upload's temporary file is deleted.",
    )
    expiry_interval: float = Field(
        default=3600.0, gt=0, allow_inf_nan=False, description="Seconds between two cleanings of old renders."
    )
    registry: str | None = Field(default=None, description="registry.yaml naming the skills' upload limits.")
    request_log: Path | None = Field(
        default=None,
        description="Append one JSON line per HTTP request (time, method, path, status) to this file.",
    )

    @field_validator("request_log")
    @classmethod
    def _absolute_log(cls, value: Path | None) -> Path | None:
        # Every line goes to the file meant at start, even if the process changes folder later.
        return None if value is None else value.absolute()
