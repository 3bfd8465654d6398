"""What the state says after a reply stream broke off or ended without text.

The backend goes on with an edit after its stream is gone, so one look at the
state is not enough: the draft is read until two reads in a row agree (or the
bound passes), and that settled draft is what the reply reports. Nothing here
sends a request again: only the user may, and only when the state shows the
request was not applied.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from nemo_skills.client.models import SessionState
from nemo_skills.client.settings import ClientOptions

StateFetcher = Callable[[], Awaitable[SessionState]]

RESEND_ACTION = "It was not sent again automatically; send the request again to retry it."
CHECK_ACTION = "Look at the session state before sending the request again: it may have been applied."


async def settle_state(fetch_state: StateFetcher, options: ClientOptions) -> SessionState:
    """The session state once its draft stops changing: two equal reads `settle_interval` apart.

    After `settle_max_seconds` the latest read is taken as it is.
    """
    deadline = time.monotonic() + options.settle_max_seconds
    last = await fetch_state()
    while (left := deadline - time.monotonic()) > 0:
        await asyncio.sleep(min(options.settle_interval, left))
        current = await fetch_state()
        if current.draft.dump() == last.draft.dump():
            return current
        last = current
    return last


def broke_off(error: str | None) -> str:
    """How the stream ended, as a sentence: broken off with its error, or without text."""
    if error is None:
        return "The reply ended without any text."
    return f"The reply stream broke off: {error.strip().rstrip('.')}."


def applied_note(error: str | None) -> str:
    """The sentences put before the changes when a broken stream said nothing of them."""
    if error is None:
        return ""
    return f"{broke_off(error)} The session state shows the request was applied. "


def not_applied_message(error: str | None) -> str:
    """The failure when the settled state shows no change."""
    return f"{broke_off(error)} The session state shows the request was not applied: the timeline did not change."


def unreadable_message(error: str | None, reason: str) -> str:
    """The failure when the state cannot be read to decide."""
    return f"{broke_off(error)} The session state could not be read to see whether the request was applied: {reason}"
