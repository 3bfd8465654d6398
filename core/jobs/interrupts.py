"""Whether a cancelled job is the user's Ctrl-C (the CLI) or a host cancelling its own task.

A host that wraps an export in `asyncio.timeout`, `wait_for` or `task.cancel()`
needs the `CancelledError` back, or its timeout never fires. The CLI, where
asyncio turns Ctrl-C into a cancellation of the job, wants `InterruptedByUser`
with the command that finishes the render instead; it says so with
`cancel_means_ctrl_c()` around the event loop it runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_CANCEL_IS_CTRL_C: ContextVar[bool] = ContextVar("nemo_skills_cancel_is_ctrl_c", default=False)


@contextmanager
def cancel_means_ctrl_c() -> Iterator[None]:
    """Within this block (and event loops started in it), a cancelled job is the user's Ctrl-C."""
    token = _CANCEL_IS_CTRL_C.set(True)
    try:
        yield
    finally:
        _CANCEL_IS_CTRL_C.reset(token)


def cancel_is_ctrl_c() -> bool:
    """Whether a cancellation here stands for Ctrl-C (inside `cancel_means_ctrl_c`)."""
    return _CANCEL_IS_CTRL_C.get()
