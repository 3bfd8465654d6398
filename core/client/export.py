"""Render jobs: reading each status shape, when to poll next, and the polling loop itself.

Render status has appeared as top-level `status` + `output.url` and as
`data.status` + `data.outputUrl`; both are read, and unknown statuses count as
still running (the caller's deadline bounds the wait). A status request that
fails on the way (connection, timeout, 5xx) does not end the wait: the render
goes on server-side, so polling backs off and asks again until the deadline.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from nemo_skills.client.models import RenderProgress
from nemo_skills.client.settings import ClientOptions
from nemo_skills.errors import BackendError, RenderFailedError, RenderTimeoutError
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
    message = _first_str(holders, ("error", "message", "errorMessage", "reason"))
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


class PollPolicy:
    """Adaptive polling: short at first, backing off to the cap; a server's hint wins when it gives one."""

    def __init__(self, options: ClientOptions) -> None:
        self.initial = options.poll_initial
        self.maximum = max(options.poll_max, options.poll_initial)
        self.factor = options.poll_factor
        self._next = self.initial

    def next_interval(self, hint: float | None = None, *, remaining: float | None = None) -> float:
        """Seconds to wait before the next poll, never past the deadline's remaining time."""
        if hint is not None:
            wait = min(max(hint, 0.0), self.maximum)
        else:
            wait = self._next
            self._next = min(self._next * self.factor, self.maximum)
        if remaining is not None:
            wait = min(wait, max(remaining, 0.0))
        return wait


StatusFetcher = Callable[[], Awaitable[tuple[RenderProgress, float | None]]]


def is_transient(exc: BackendError) -> bool:
    """Whether a failed request is worth repeating: the connection failed or timed out, or a 5xx."""
    if isinstance(exc.__cause__, httpx.TransportError):
        return True
    return exc.status is not None and exc.status >= 500


async def poll_render(
    render_id: str,
    fetch: StatusFetcher,
    options: ClientOptions,
    *,
    deadline: float | None = None,
    on_progress: Callable[[RenderProgress], None] | None = None,
) -> RenderProgress:
    """Poll until the render completes: RenderFailedError if it fails, RenderTimeoutError past the deadline.

    Transient failures of a status request are retried with the same backoff; when they
    last past the deadline, the RenderTimeoutError (with the render id) is raised from the last one.
    """
    limit = deadline if deadline is not None else options.render_deadline
    ends = time.monotonic() + limit
    policy = PollPolicy(options)
    while True:
        try:
            progress, hint = await fetch()
        except BackendError as exc:
            if not is_transient(exc):
                raise
            remaining = ends - time.monotonic()
            if remaining <= 0:
                raise RenderTimeoutError(
                    f"Render {render_id} could not be checked before the deadline ({limit:g} s): {exc.message}",
                    render_id=render_id,
                    action=f"It may still be rendering on the backend: resume later with render id {render_id}.",
                ) from exc
            log.info("status of render %s not read (%s); asking again", render_id, exc.message)
            await asyncio.sleep(policy.next_interval(remaining=remaining))
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
        remaining = ends - time.monotonic()
        if remaining <= 0:
            raise RenderTimeoutError(
                f"Render {render_id} is still {progress.status} after {limit:g} s.",
                render_id=render_id,
                action=f"It keeps rendering on the backend: resume later with render id {render_id}.",
            )
        await asyncio.sleep(policy.next_interval(hint, remaining=remaining))
