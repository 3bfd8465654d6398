"""Fault switches of the local backend, and the counters that decide when each one fires.

Every switch is off by default. `Faults` is the user-facing model (the
`serve-local` flags mirror its fields); `FaultState` is the live, thread-safe
bookkeeping one running backend keeps for it.
"""

from __future__ import annotations

import math
import random
import threading

from pydantic import BaseModel, ConfigDict, Field

# The share of edit streams that end without text when faults are on and no share is given.
DEFAULT_EMPTY_REPLY_SHARE = 0.3

# Fields that do not count as a fault being on: settings of other switches; chat_delay, a pure timing
# knob a test sets to catch a turn mid-way; and the request rate a backend allows, a limit of the service
# like the cloud's, not a fault: neither comes with empty replies.
_NOT_FAULTS = frozenset(
    {
        "seed",
        "rate_limit_retry_after",
        "drop_stream_times",
        "drop_download_times",
        "chat_delay",
        "rate_limit_rps",
        "rate_limit_burst",
    }
)
# The API paths a rate limit counts (downloads of finished renders are not API requests).
RATE_LIMITED_PREFIXES = ("/api/", "/run_sse")


class Faults(BaseModel):
    """Faults a local backend injects; the defaults inject none."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    expire_token_after: int | None = Field(
        default=None, ge=0, description="Reject each token (1001) once it has served this many calls."
    )
    lose_session_after: int | None = Field(
        default=None, ge=0, description="Lose each session (1002) after this many requests that name it."
    )
    rate_limit: int = Field(default=0, ge=0, description="Answer HTTP 429 to the next N API requests.")
    rate_limit_retry_after: int = Field(default=1, ge=0, description="Retry-After seconds sent with a 429.")
    rate_limit_paths: tuple[str, ...] = Field(
        default=(), description="Path prefixes the 429s apply to (empty: every API path)."
    )
    empty_reply_share: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Share of edit streams that end with no text (default 0.3 when any fault is on, else 0).",
    )
    drop_stream_after: int | None = Field(
        default=None, ge=0, description="Close the SSE connection after this many events of a stream."
    )
    drop_stream_times: int = Field(default=1, ge=1, description="How many streams are dropped.")
    stream_error_times: int = Field(
        default=0, ge=0, description='End the next N edit streams with data: {"error": ...}.'
    )
    drop_download_after: int | None = Field(
        default=None, ge=0, description="Close a download's connection after this many body bytes."
    )
    drop_download_times: int = Field(default=1, ge=1, description="How many downloads are dropped.")
    render_delay: float = Field(
        default=0.0, ge=0.0, description="Extra seconds each render spends processing."
    )
    render_fail: int = Field(default=0, ge=0, description="Make the next N renders fail.")
    stall_seconds: float = Field(
        default=0.0, ge=0.0, description="Each edit's slow step lasts this long (heartbeats only)."
    )
    heartbeat_delay: float = Field(
        default=0.0, ge=0.0, description="Silence, without heartbeats, at the start of each slow step."
    )
    chat_delay: float = Field(
        default=0.0,
        ge=0.0,
        allow_inf_nan=False,
        description="Seconds each chat turn that edits spends generating (heartbeats only) before its "
        "first edit; the edit is applied even if the client disconnects meanwhile.",
    )
    rate_limit_rps: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="API requests a second each token may make (a token bucket); past it, HTTP 429 with "
        "Retry-After. The anonymous-token endpoint is not counted.",
    )
    rate_limit_burst: int | None = Field(
        default=None,
        ge=1,
        description="Requests a token may make at once with --rate-limit-rps (default: rps).",
    )
    seed: int = Field(default=0, description="Seed that decides which edit streams end without text.")

    def any_enabled(self) -> bool:
        """Whether any switch is on (the seed, the counts of other switches and chat_delay do not count)."""
        defaults = Faults()
        return any(
            getattr(self, name) != getattr(defaults, name)
            for name in type(self).model_fields
            if name not in _NOT_FAULTS
        )

    @property
    def effective_empty_share(self) -> float:
        """The share of edit streams that end without text."""
        if self.empty_reply_share is not None:
            return self.empty_reply_share
        return DEFAULT_EMPTY_REPLY_SHARE if self.any_enabled() else 0.0


class FaultState:
    """Live counters for one running backend; every method is thread-safe."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._lock = threading.Lock()
        self._rate_limited = 0
        self._streams_dropped = 0
        self._stream_errors = 0
        self._downloads_dropped = 0
        self._renders_failed = 0
        self._rng = random.Random(faults.seed)
        # Per token: (tokens left in its bucket, when it was last filled).
        self._buckets: dict[str, tuple[float, float]] = {}

    def take_rate_limit(self, path: str) -> bool:
        """True when this request is to be answered with 429."""
        f = self.faults
        if self._rate_limited >= f.rate_limit:
            return False
        if f.rate_limit_paths and not path.startswith(f.rate_limit_paths):
            return False
        with self._lock:
            if self._rate_limited >= f.rate_limit:
                return False
            self._rate_limited += 1
            return True

    def take_request_slot(self, key: str, now: float) -> float | None:
        """Spend one of a token's requests; None when it may go ahead, else the seconds until it may."""
        rate = self.faults.rate_limit_rps
        if rate is None:
            return None
        burst = float(self.faults.rate_limit_burst or max(1, math.ceil(rate)))
        with self._lock:
            tokens, since = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - since) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / rate

    def take_stream_drop(self) -> int | None:
        """Events after which this stream is dropped, or None to let it finish."""
        f = self.faults
        if f.drop_stream_after is None:
            return None
        with self._lock:
            if self._streams_dropped >= f.drop_stream_times:
                return None
            self._streams_dropped += 1
            return f.drop_stream_after

    def take_stream_error(self) -> bool:
        """True when this edit stream is to end with an error event."""
        with self._lock:
            if self._stream_errors >= self.faults.stream_error_times:
                return False
            self._stream_errors += 1
            return True

    def take_download_drop(self) -> int | None:
        """Bytes after which this download is dropped, or None to send it whole."""
        f = self.faults
        if f.drop_download_after is None:
            return None
        with self._lock:
            if self._downloads_dropped >= f.drop_download_times:
                return None
            self._downloads_dropped += 1
            return f.drop_download_after

    def take_render_failure(self) -> bool:
        """True when this render is to fail."""
        with self._lock:
            if self._renders_failed >= self.faults.render_fail:
                return False
            self._renders_failed += 1
            return True

    def reply_is_empty(self) -> bool:
        """Whether this edit stream ends without any text (drawn from the seeded share)."""
        share = self.faults.effective_empty_share
        if share <= 0.0:
            return False
        with self._lock:
            return self._rng.random() < share
