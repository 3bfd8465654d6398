"""The ADK-shaped streams in tests/data/adk through the real client, and the stream's timers.

The timers run with tiny intervals; each test asserts an order or a lower bound, never a duration.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from httpx_sse import ServerSentEvent

from nemo_skills.client import ClientOptions
from nemo_skills.client.chat import read_events
from nemo_skills.client.events import (
    ChatEvent,
    Heartbeat,
    PartialText,
    ReplyDone,
    StateChange,
    StillWorking,
    StreamError,
    TextEvent,
    ToolCall,
    ToolResult,
)
from tests.client_fakes import DRAFT, FakeGateway, split_every

ADK = Path(__file__).parent.parent / "data" / "adk"
NEWS = '{"content": {"parts": [{"text": "a"}]}, "partial": true}'


async def _chat(name: str, chunk: int) -> list[ChatEvent]:
    gw = FakeGateway(chat_parts=split_every((ADK / name).read_bytes(), chunk), drafts_after_chat=DRAFT)
    async with gw.client() as client:
        return [e async for e in client.chat("a 5-second sunset")]


@pytest.mark.parametrize("chunk", [7, 4096])
async def test_a_tool_turn_decodes_every_event_kind_and_keeps_only_the_final_text(chunk: int) -> None:
    events = await _chat("tool_turn.sse", chunk)
    kinds = [type(e) for e in events]
    # The thought is reasoning, not a reply: it yields nothing.
    assert kinds[:6] == [ToolCall, ToolResult, StateChange, ToolCall, ToolResult, StateChange]
    assert set(kinds[6:-2]) == {PartialText} and kinds[-2:] == [TextEvent, ReplyDone]
    first = events[0]
    assert isinstance(first, ToolCall) and first.name == "add_video"
    assert first.args == {"prompt": "sunset over a city skyline", "duration_ms": 5000}
    delta = events[2]
    assert isinstance(delta, StateChange) and delta.delta["draft_version"] == 2
    done = events[-1]
    assert isinstance(done, ReplyDone)
    assert done.reply.text == (
        'Added a 5-second sunset over the skyline «夕阳» 🌅 with lo-fi music at 35%. Say "export" when ready.'
    )
    assert done.reply.changes  # the draft in the state delta is compared with the one before


async def test_a_streamed_text_reply_is_its_final_text_once() -> None:
    events = await _chat("text_reply.sse", 64)
    previews = [e.text for e in events if isinstance(e, PartialText)]
    finals = [e.text for e in events if isinstance(e, TextEvent)]
    assert len(previews) > 20 and len(finals) == 1 and "".join(previews) == finals[0]
    done = events[-1]
    assert isinstance(done, ReplyDone) and done.reply.text.startswith(
        "Here is a plan for your 5-second sunset"
    )


async def test_heartbeats_control_frames_and_an_adk_error_field() -> None:
    events = await _chat("long_with_error.sse", 5)
    kinds = [type(e) for e in events]
    assert kinds.count(Heartbeat) == 7 and kinds.count(PartialText) == 6  # 6 heartbeats, 1 empty data line
    errors = [e for e in events if isinstance(e, StreamError)]
    assert [e.message for e in errors] == ["quota exceeded for this minute"]
    done = events[-1]
    assert isinstance(done, ReplyDone)
    # The whole text came before the error: it stands, with the error beside it.
    assert done.reply.text == "All six scenes are rendered." and done.reply.error == errors[0].message


async def _every(gap: float, data: str, count: int | None = None) -> AsyncIterator[ServerSentEvent]:
    sent = 0
    while count is None or sent < count:
        await asyncio.sleep(gap)
        sent += 1
        yield ServerSentEvent(data=data)


async def test_heartbeats_do_not_hold_back_the_still_working_notice() -> None:
    options = ClientOptions(still_working_interval=0.02)
    events = [e async for e in read_events(_every(0.002, '{"type": "heartbeat"}', 60), options)]
    notices = [e for e in events if isinstance(e, StillWorking)]
    assert notices and sum(isinstance(e, Heartbeat) for e in events) == 60
    # Never early: the first notice comes a whole interval after the message was sent.
    assert notices[0].elapsed >= 0.02


async def test_news_restarts_the_silence() -> None:
    options = ClientOptions(still_working_interval=30)
    events = [e async for e in read_events(_every(0.001, NEWS, 50), options)]
    assert len(events) == 50 and not any(isinstance(e, StillWorking) for e in events)


async def test_notices_are_spaced_an_interval_apart_during_one_silence() -> None:
    options = ClientOptions(still_working_interval=0.02)
    started = asyncio.get_running_loop().time()
    events = [e async for e in read_events(_every(0.15, NEWS, 1), options)]
    elapsed = [e.elapsed for e in events if isinstance(e, StillWorking)]
    assert len(elapsed) >= 2 and isinstance(events[-1], PartialText)
    assert all(b - a >= 0.02 for a, b in itertools.pairwise(elapsed))
    assert asyncio.get_running_loop().time() - started >= 0.15


async def test_the_overall_cap_holds_while_news_keeps_coming_and_nothing_follows_its_error() -> None:
    options = ClientOptions(still_working_interval=30, sse_max_seconds=0.05)
    events = [e async for e in read_events(_every(0.002, NEWS, 2000), options)]  # ends in 4 s at most
    assert isinstance(events[-1], StreamError) and "No complete reply within" in events[-1].message
    assert all(isinstance(e, PartialText) for e in events[:-1])


async def test_a_failure_that_is_not_a_broken_stream_reaches_the_caller() -> None:
    async def failing() -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(data=NEWS)
        raise ValueError("decoder bug")

    seen: list[ChatEvent] = []
    with pytest.raises(ValueError, match="decoder bug"):
        async for event in read_events(failing(), ClientOptions()):
            seen.append(event)
    assert [type(e) for e in seen] == [PartialText]


async def test_a_finished_stream_leaves_no_task_behind() -> None:
    others = set(asyncio.all_tasks())
    events = [e async for e in read_events(_every(0, NEWS, 3), ClientOptions(still_working_interval=0.01))]
    assert len(events) == 3
    assert [t for t in asyncio.all_tasks() if t not in others and not t.done()] == []
