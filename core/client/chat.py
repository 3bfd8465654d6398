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
from nemo_skills.errors import BackendError, NemoSkillsError

log = logging.getLogger(__name__)


async def read_events(
    source: AsyncIterator[ServerSentEvent], options: ClientOptions, started: float | None = None
) -> AsyncGenerator[ChatEvent, None]:
    """Typed events from a stream, plus StillWorking after each silent interval and a StreamError
    when the stream breaks off or runs past its overall cap. Never raises for a broken stream."""
    started = time.monotonic() if started is None else started
    deadline = started + options.sse_max_seconds
    last_news = started
    pending: asyncio.Future[ServerSentEvent] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(source))
            now = time.monotonic()
            wait = min(last_news + options.still_working_interval, deadline) - now
            done, _ = await asyncio.wait({pending}, timeout=max(wait, 0.0))
            if not done:
                now = time.monotonic()
                if now >= deadline:
                    yield StreamError(message=f"No complete reply within {options.sse_max_seconds:g} s.")
                    return
                last_news = now
                yield StillWorking(elapsed=now - started)
                continue
            task, pending = pending, None
            try:
                sse = task.result()
            except StopAsyncIteration:
                return
            except httpx.TimeoutException:
                yield StreamError(message=f"The backend went silent for over {options.sse_read_timeout:g} s.")
                return
            except httpx.TransportError as exc:
                yield StreamError(message=f"The connection dropped mid-reply ({type(exc).__name__}).")
                return
            for event in decode_data(sse.data):
                if not isinstance(event, Heartbeat):
                    last_news = time.monotonic()
                yield event
    finally:
        if pending is not None:
            pending.cancel()
            await asyncio.wait({pending})
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()


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
        )
    if not changes:
        raise BackendError(not_applied_message(acc.error), action=RESEND_ACTION)
    return Reply(
        text=notice + applied_note(acc.error) + _changes_text(changes),
        changes=changes,
        timeline=state.draft.summary(),
        from_state=True,
        session_replaced=replaced,
        error=acc.error,
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
    if {Action.STATE, Action.TIMELINE} & set(translated.actions):
        try:
            after = (await fetch_state()).draft
            timeline = after.summary()
        except NemoSkillsError as exc:
            log.info("could not fetch the state for the timeline summary: %s", exc)
    return Reply(
        text=notice + translated.text,
        changes=diff_drafts(before, after) if after is not None else [],
        timeline=timeline,
        actions=translated.actions,
        session_replaced=replaced,
    )
