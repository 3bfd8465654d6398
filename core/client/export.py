"""Render jobs: reading each status shape, which failures are worth repeating, and the polling loop.

Render status has appeared as top-level `status` + `output.url` and as
`data.status` + `data.outputUrl`; both are read, and unknown statuses count as
still running (the caller's deadline bounds the wait). A status request that
fails on the way (connection, timeout, 5xx, 429) does not end the wait: the render
goes on server-side, so polling backs off and asks again until the deadline.
When to look next is poll_policy.py's (no I/O); the loop here only fetches and sleeps.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from nemo_skills import protocol
from nemo_skills.client.models import RenderProgress
from nemo_skills.client.poll_policy import PollPolicy
from nemo_skills.client.settings import ClientOptions
from nemo_skills.errors import ApiError, BackendError, RateLimitedError, RenderFailedError, RenderTimeoutError
from nemo_skills.protocol import RenderStatus

log = logging.getLogger(__name__)

_SYNONYMS: dict[str, str] = {
    "queued": RenderStatus.PENDING,
    "waiting": RenderStatus.PENDING,
    "created": RenderStatus.PENDING,
    "pending": RenderStatus.PENDING,
    "running": RenderStatus.PROCESSING,
    "rendering": RenderStatus.PROCESSING,
    "in_progress": RenderStatus.PROCESSING,
    "processing": RenderStatus.PROCESSING,
    "completed": RenderStatus.COMPLETED,
    "complete": RenderStatus.COMPLETED,
    "succeeded": RenderStatus.COMPLETED,
    "success": RenderStatus.COMPLETED,
    "done": RenderStatus.COMPLETED,
    "finished": RenderStatus.COMPLETED,
    "failed": RenderStatus.FAILED,
    "failure": RenderStatus.FAILED,
    "error": RenderStatus.FAILED,
    "cancelled": RenderStatus.FAILED,
    "canceled": RenderStatus.FAILED,
}

_URL_KEYS = ("outputUrl", "output_url", "url", "downloadUrl", "download_url", "fileUrl")


def _holders(body: dict[str, Any]) -> list[dict[str, Any]]:
    data = body.get("data")
    # The data shape wins when both carry a status: it is the newer gateway's.
    return [data, body] if isinstance(data, dict) else [body]


def _first_str(holders: list[dict[str, Any]], keys: tuple[str, ...]) -> str | None:
    for holder in holders:
        for key in keys:
            value = holder.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def _url(holders: list[dict[str, Any]]) -> str | None:
    for holder in holders:
        output = holder.get("output")
        if isinstance(output, dict):
            found = _first_str([output], ("url", *_URL_KEYS))
            if found:
                return found
    return _first_str(holders, _URL_KEYS)


def _progress(holders: list[dict[str, Any]]) -> float | None:
    for holder in holders:
        for key in ("progress", "percent", "percentage"):
            value = holder.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
                # Backends report either a fraction or a percentage.
                return min(1.0, value / 100 if value > 1 else float(value))
    return None


def parse_render_status(render_id: str, body: dict[str, Any]) -> RenderProgress:
    """Where a render job stands, from any of the status shapes."""
    holders = _holders(body)
    raw = _first_str(holders, ("status", "state"))
    if raw is None:
        raise BackendError(f"The backend's status of render {render_id} has no `status`.")
    status = _SYNONYMS.get(raw.lower(), raw.lower())
    message = _first_str(holders, ("error", "message", "errorMessage", "error_message", "reason"))
    if message is None:
        for holder in holders:
            err = holder.get("error")
            if isinstance(err, dict):
                message = _first_str([err], ("message", "detail"))
                if message:
                    break
    progress = _progress(holders)
    if status == RenderStatus.COMPLETED:
        progress = 1.0
    return RenderProgress(
        render_id=render_id, status=status, progress=progress, url=_url(holders), message=message
    )


StatusFetcher = Callable[[], Awaitable[tuple[RenderProgress, float | None]]]
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


def is_transient(exc: ApiError) -> bool:
    """Whether a failed request is worth repeating: the connection failed or timed out, a 5xx, or a 429."""
    if isinstance(exc, RateLimitedError) or isinstance(exc.__cause__, httpx.TransportError):
        return True
    return exc.status is not None and exc.status >= 500


def render_id_taken(exc: ApiError) -> bool:
    """Whether the backend refused a render id as another session's (HTTP 409, whatever the envelope)."""
    return protocol.HTTP_RENDER_ID_TAKEN in (exc.status, exc.code)


def _timeout(render_id: str, status: str, limit: float) -> RenderTimeoutError:
    return RenderTimeoutError(
        f"Render {render_id} is still {status} after {limit:g} s.",
        render_id=render_id,
        action=f"It keeps rendering on the backend: resume later with render id {render_id}.",
    )


async def poll_render(
    render_id: str,
    fetch: StatusFetcher,
    options: ClientOptions,
    *,
    deadline: float | None = None,
    on_progress: Callable[[RenderProgress], None] | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep | None = None,
    first_look: float = 0.0,
    started: float | None = None,
) -> RenderProgress:
    """Poll until the render completes: RenderFailedError if it fails, RenderTimeoutError past the deadline.

    The waits are PollPolicy's, timed by the reported progress; `first_look` delays the first one (a
    render asked for a moment ago cannot be done yet: a look then costs a request and tells nothing).
    Transient failures of a status request (dropped connection, timeout, 5xx, 429) are
    retried until the deadline, when the RenderTimeoutError (with the render id) is raised
    from the last one. A Retry-After that reaches past the deadline is obeyed: the wait
    ends at the deadline without another look.
    """
    pause = sleep or asyncio.sleep
    limit = deadline if deadline is not None else options.render_deadline
    ends = clock() + limit
    # `started` is on the caller's clock: when the render was asked for (its progress was 0 then).
    schedule = PollPolicy(options, now=clock(), started=started)
    if first_look > 0:
        await pause(min(first_look, limit))
    while True:
        try:
            progress, hint = await fetch()
        except (BackendError, RateLimitedError) as exc:
            if not is_transient(exc):
                raise
            now = clock()
            hint = exc.retry_after if isinstance(exc, RateLimitedError) else None
            wait = schedule.after_failure(now, hint)
            if now >= ends or (hint is not None and hint >= ends - now):
                if now < ends:
                    await pause(ends - now)
                raise RenderTimeoutError(
                    f"Render {render_id} could not be checked before the deadline ({limit:g} s): {exc.message}",
                    render_id=render_id,
                    action=f"It may still be rendering on the backend: resume later with render id {render_id}.",
                ) from exc
            log.info("status of render %s not read (%s); asking again", render_id, exc.message)
            await pause(min(wait, ends - now))
            continue
        if on_progress is not None:
            on_progress(progress)
        if progress.status == RenderStatus.COMPLETED:
            if not progress.url:
                raise RenderFailedError(
                    f"Render {render_id} completed but the backend gave no download link.",
                    render_id=render_id,
                )
            return progress
        if progress.status == RenderStatus.FAILED:
            why = f": {progress.message}" if progress.message else "."
            raise RenderFailedError(f"Render {render_id} failed{why}", render_id=render_id)
        now = clock()
        wait = schedule.after_status(now, progress.progress, hint)
        if now >= ends:
            raise _timeout(render_id, progress.status, limit)
        if hint is not None and hint >= ends - now:
            # The server asks us back after the deadline: wait it out without looking again.
            await pause(ends - now)
            raise _timeout(render_id, progress.status, limit)
        await pause(min(wait, ends - now))
