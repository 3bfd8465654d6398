"""Progress from synchronous callbacks, delivered to an async sender in order and only ever rising.

A job reports `ProgressEvent`s through a plain callback; an MCP host wants awaited
notifications whose value increases each time. A pump sits in between: the
callback pushes, a task drains, and each stage of the job owns a slice of one
0-100 scale (its plan).
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from nemo_skills.client.events import StillWorking
from nemo_skills.jobs.progress_events import (
    Notice,
    ProgressCallback,
    ProgressEvent,
    RenderUpdate,
    Stage,
    Transfer,
)

log = logging.getLogger(__name__)

TOTAL = 100.0
# Smallest step on the scale: a message with no new progress still moves it this much.
NUDGE = 0.1

ProgressSender = Callable[[float, float | None, str | None], Awaitable[None]]
"""An async function that sends (progress, total, message) to a host, e.g. an MCP request's report_progress."""


class ProgressPump:
    """Maps step fractions onto one rising 0-100 scale and queues them for the sender."""

    def __init__(self, send: MemoryObjectSendStream[tuple[float, str | None]] | None) -> None:
        self._send = send
        self._start = 0.0
        self._end = TOTAL
        self._last = -1.0

    @property
    def value(self) -> float:
        """The last value reported (0 before any)."""
        return max(self._last, 0.0)

    def step(self, start: float, end: float, message: str | None = None) -> None:
        """Begin a step owning [start, end] of the scale; reports its start."""
        self._start, self._end = float(start), float(max(start, end))
        if self._start > self._last:
            self.update(0.0, message)
        else:
            self.note(message)

    def update(self, fraction: float | None, message: str | None = None) -> None:
        """Report how far the current step is (0..1; None keeps the step's start)."""
        if fraction is None or not math.isfinite(fraction):
            fraction = 0.0
        fraction = min(max(fraction, 0.0), 1.0)
        value = round(float(self._start + (self._end - self._start) * fraction), 1)
        self._emit(value, message)

    def note(self, message: str | None) -> None:
        """Report a message within the current step, nudging the value just enough to count as new."""
        if message is not None:
            value = round(max(self._last, self._start) + NUDGE, 1)
            if value <= self._end:
                self._emit(value, message)

    def _emit(self, value: float, message: str | None) -> None:
        # The MCP spec asks for a progress value that increases with every notification.
        if value <= self._last:
            return
        self._last = value
        if self._send is None:
            return
        try:
            self._send.send_nowait((value, message))
        except (anyio.WouldBlock, anyio.ClosedResourceError, anyio.BrokenResourceError):
            log.debug("progress update dropped")


@asynccontextmanager
async def progress_pump(report: ProgressSender | None) -> AsyncIterator[ProgressPump]:
    """A pump whose updates reach `report` (none when it is None); drained before the block ends."""
    if report is None:
        yield ProgressPump(None)
        return
    send, receive = anyio.create_memory_object_stream[tuple[float, str | None]](max_buffer_size=math.inf)

    async def drain() -> None:
        async with receive:
            async for value, message in receive:
                try:
                    await report(value, TOTAL, message)
                except Exception as exc:
                    # A host that stopped listening must not fail the job it asked for.
                    log.debug("progress report failed: %s", exc)

    # The job's own error is raised after the task group, so callers catch it as
    # itself rather than wrapped in an exception group.
    error: Exception | None = None
    async with anyio.create_task_group() as tg:
        tg.start_soon(drain)
        async with send:
            try:
                yield ProgressPump(send)
            except Exception as exc:
                error = exc
    if error is not None:
        raise error


Plan = Mapping[str, tuple[float, float]]
"""Where each job stage (`Stage.stage`) sits on the 0-100 scale."""


def forwarder(pump: ProgressPump, plan: Plan) -> ProgressCallback:
    """A job progress callback (`ProgressEvent`s) that moves the pump along a plan of stages."""

    def on_progress(event: ProgressEvent) -> None:
        if isinstance(event, Stage):
            span = plan.get(event.stage)
            if span is not None:
                pump.step(span[0], span[1], event.message or None)
            else:
                pump.note(event.message or None)
        elif isinstance(event, RenderUpdate):
            pump.update(event.progress, f"Rendering: {event.status}")
        elif isinstance(event, Transfer):
            fraction = event.done / event.total if event.total else None
            pump.update(fraction, f"{event.kind.capitalize()}ing {event.name}")
        elif isinstance(event, StillWorking):
            pump.note(f"Still working ({event.elapsed:.0f}s)")
        elif isinstance(event, Notice):
            pump.note(event.message)

    return on_progress
