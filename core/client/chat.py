"""One chat turn: reading the event stream with its timers, and writing the reply.

When the stream breaks off or ends without text, the reply is what the settled
state shows (settle.py); nothing is sent again.

`read_events` takes any async iterator of server-sent events, so it runs the
same over a live httpx stream and over recorded bytes in tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import httpx
from httpx_sse import ServerSentEvent

from nemo_skills.client import gui_phrases as gui
from nemo_skills.client.adk_events import ReplyAccumulator, decode_data
from nemo_skills.client.events import ChatEvent, Heartbeat, StillWorking, StreamError
from nemo_skills.client.models import Action, Reply, SessionState
from nemo_skills.client.settings import ClientOptions
from nemo_skills.client.settle import (
    CHECK_ACTION,
    RESEND_ACTION,
    StateFetcher,
    applied_note,
    not_applied_message,
    settle_state,
    unreadable_message,
)
from nemo_skills.draft import Draft, diff_drafts
from nemo_skills.errors import BackendError, NemoSkillsError, ReplyNotAppliedError

log = logging.getLogger(__name__)


class _Inbox:
    """Where the reader and the timer leave events for the stream's consumer, and how the stream ended."""

    __slots__ = ("ended", "events", "failure", "news_at", "waiter")

    def __init__(self, started: float) -> None:
        self.events: deque[ChatEvent] = deque()
        self.news_at = started  # when the stream last said something other than a heartbeat
        self.ended = False
        self.failure: Exception | None = None
        self.waiter: asyncio.Future[None] | None = None

    def put(self, events: list[ChatEvent]) -> None:
        """Leave events, waking the consumer if it waits."""
        self.events.extend(events)
        if self.waiter is not None:
            self.wake()

    def end(self, failure: Exception | None = None) -> None:
        """No more events; `failure` is raised to the consumer after the ones left."""
        self.ended, self.failure = True, failure
        self.wake()

    def wake(self) -> None:
        """Wake the consumer if it waits."""
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self) -> None:
        """Return once there is an event or the stream ended."""
        while not (self.events or self.ended):
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None


async def read_events(
    source: AsyncIterator[ServerSentEvent], options: ClientOptions, started: float | None = None
) -> AsyncGenerator[ChatEvent, None]:
    """Typed events from a stream, plus StillWorking after each silent interval and a StreamError
    when the stream breaks off or runs past its overall cap. Never raises for a broken stream."""
    started = time.monotonic() if started is None else started
    # One reader task and one timer task per stream, meeting in an inbox: a wait per event would cost
    # more than decoding the event. A reply's events are few and small, so the inbox is unbounded.
    inbox = _Inbox(started)
    reader = asyncio.create_task(_read(source, options, inbox))
    timer = asyncio.create_task(_time_silence(options, inbox, started, reader))
    events = inbox.events
    try:
        while True:
            await inbox.wait()
            while events:
                yield events.popleft()
            if inbox.ended:
                if inbox.failure is not None:
                    raise inbox.failure
                return
    finally:
        reader.cancel()
        timer.cancel()
        await asyncio.wait({reader, timer})
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()


async def _read(source: AsyncIterator[ServerSentEvent], options: ClientOptions, inbox: _Inbox) -> None:
    """Decode the stream into the inbox, then end it (with a StreamError first if it broke off)."""
    # The inbox's put, inlined: this loop runs once per event of every reply.
    extend, clock = inbox.events.extend, time.monotonic
    try:
        async for sse in source:
            decoded = decode_data(sse.data)
            if decoded:
                if decoded[0].__class__ is not Heartbeat:
                    inbox.news_at = clock()
                extend(decoded)
                if inbox.waiter is not None:
                    inbox.wake()
    except httpx.TimeoutException:
        inbox.put(
            [
                StreamError(
                    message=f"The backend went silent for over {options.sse_read_timeout:g} s.", cut=True
                )
            ]
        )
    except httpx.TransportError as exc:
        inbox.put(
            [StreamError(message=f"The connection dropped mid-reply ({type(exc).__name__}).", cut=True)]
        )
    except Exception as exc:  # not a broken stream: the consumer sees it raised, where it reads
        inbox.end(exc)
        return
    inbox.end()


async def _time_silence(
    options: ClientOptions, inbox: _Inbox, started: float, reader: asyncio.Task[None]
) -> None:
    """StillWorking after each silent interval; at the overall cap, a StreamError and the end."""
    deadline = started + options.sse_max_seconds
    while not inbox.ended:
        now = time.monotonic()
        due = min(inbox.news_at + options.still_working_interval, deadline)
        if now < due:
            # Wakes once per interval at most: news meanwhile only moves the next due time.
            await asyncio.sleep(due - now)
            continue
        if now >= deadline:
            reader.cancel()  # nothing after the cap's error
            inbox.put(
                [StreamError(message=f"No complete reply within {options.sse_max_seconds:g} s.", cut=True)]
            )
            inbox.end()
            return
        inbox.news_at = now
        inbox.put([StillWorking(elapsed=now - started)])


def _changes_text(changes: list[str]) -> str:
    return "Updated the timeline: " + "; ".join(changes) + "."


def _draft_from_delta(delta: dict[str, Any]) -> Draft | None:
    raw = delta.get("draft")
    if not isinstance(raw, dict):
        return None
    try:
        return Draft.parse(raw)
    except ValueError:
        return None


async def finish_reply(
    acc: ReplyAccumulator,
    before: Draft,
    fetch_state: StateFetcher,
    options: ClientOptions,
    *,
    replaced: str | None = None,
) -> Reply:
    """The user-facing reply: translated text, or, when the stream broke off or had no text, what
    the settled state shows. Raises BackendError only when that state shows nothing was applied."""
    text = acc.text
    notice = (
        f"The previous session ({replaced}) was lost, and its timeline with it; this is a new session. "
        if replaced
        else ""
    )
    if text and acc.error is None:
        return await _text_reply(acc, text, before, fetch_state, notice, replaced)
    try:
        state = await _state_after(acc, before, fetch_state, options)
    except NemoSkillsError as exc:
        raise BackendError(unreadable_message(acc.error, exc.message), action=CHECK_ACTION) from None
    changes = diff_drafts(before, state.draft)
    complete = any(t.strip() for t in acc.texts)
    if complete:
        # The whole reply arrived before the break: it stands, with what the state shows.
        translated = gui.translate(acc.text)
        return Reply(
            text=notice + translated.text,
            changes=changes,
            timeline=state.draft.summary(),
            actions=translated.actions,
            session_replaced=replaced,
            error=acc.error,
            state=state,
        )
    if not changes:
        raise ReplyNotAppliedError(not_applied_message(acc.error), action=RESEND_ACTION, cut=acc.cut)
    return Reply(
        text=notice + applied_note(acc.error) + _changes_text(changes),
        changes=changes,
        timeline=state.draft.summary(),
        from_state=True,
        session_replaced=replaced,
        error=acc.error,
        state=state,
    )


async def _state_after(
    acc: ReplyAccumulator, before: Draft, fetch_state: StateFetcher, options: ClientOptions
) -> SessionState:
    # A stream that closed cleanly ended with the turn, so a state that already shows the change is final;
    # after a break (the agent may still be at work), or while it shows nothing yet, wait for it to settle.
    if acc.error is None:
        first = await fetch_state()
        if diff_drafts(before, first.draft):
            return first
    return await settle_state(fetch_state, options)


async def _text_reply(
    acc: ReplyAccumulator,
    text: str,
    before: Draft,
    fetch_state: StateFetcher,
    notice: str,
    replaced: str | None,
) -> Reply:
    translated = gui.translate(text)
    timeline: str | None = None
    after = _draft_from_delta(acc.state_delta)
    state: SessionState | None = None
    if {Action.STATE, Action.TIMELINE} & set(translated.actions) and after is not None:
        timeline = after.summary()  # the turn's own stateDelta says it: no read needed
    elif {Action.STATE, Action.TIMELINE} & set(translated.actions):
        try:
            state = await fetch_state()
            after = state.draft
            timeline = after.summary()
        except NemoSkillsError as exc:
            log.info("could not fetch the state for the timeline summary: %s", exc)
    if state is None and after is not None:
        # ADK's stateDelta sets whole state keys: its `draft` is the session's draft as the turn left it,
        # so a caller needs no read of its own for the timeline or an export.
        state = SessionState(draft=after)
    return Reply(
        text=notice + translated.text,
        changes=diff_drafts(before, after) if after is not None else [],
        timeline=timeline,
        actions=translated.actions,
        session_replaced=replaced,
        state=state,
    )
