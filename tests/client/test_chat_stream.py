"""Chat stream decoding: recorded byte streams, cut at awkward places, through the real client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing

import httpx
import pytest
from httpx_sse import ServerSentEvent

from nemo_skills import protocol
from nemo_skills.client import ClientOptions
from nemo_skills.client.adk_events import ReplyAccumulator, decode_data, decode_event
from nemo_skills.client.chat import read_events
from nemo_skills.client.events import (
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
from nemo_skills.client.models import SessionState
from nemo_skills.client.settle import settle_state
from nemo_skills.draft import Draft
from nemo_skills.errors import BackendError
from tests.client_fakes import DRAFT, FakeGateway, adk_text, ok, on, split_every, sse_frames

# A reply as the gateway sends it: heartbeats, empty data lines, partial previews,
# a tool call and its result, a state delta, the final text (with CJK and emoji,
# so cuts land inside UTF-8 characters), CRLF line endings in part of it.
RECORDED = sse_frames(
    {"type": "heartbeat"},
    "data:\n\n",
    adk_text("Adding a ti", partial=True),
    adk_text("tle «夕阳» 🌅", partial=True),
    {
        "id": "e2",
        "author": "nemo_agent",
        "content": {
            "role": "model",
            "parts": [{"functionCall": {"id": "c1", "name": "add_title", "args": {"text": "夕阳"}}}],
        },
    },
    {
        "id": "e3",
        "author": "nemo_agent",
        "content": {
            "role": "user",
            "parts": [{"functionResponse": {"id": "c1", "name": "add_title", "response": {"ok": True}}}],
        },
        "actions": {"stateDelta": {"draft_version": 2}},
    },
    {"type": "progress", "step": 3},
    'data: {"id": "e4", "author": "nemo_agent", "actions": {"stateDelta": {"x": 1}}}\r\n\r\n',
    {**adk_text("Adding a title «夕阳» 🌅. Click the Export button when ready."), "turnComplete": True},
    ": a comment line\n\n",
)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64, 4096])
async def test_recorded_stream_decodes_the_same_at_any_chunk_size(size: int) -> None:
    gw = FakeGateway(chat_parts=split_every(RECORDED, size))
    async with gw.client() as client:
        events = [e async for e in client.chat("add a title")]
    kinds = [type(e) for e in events]
    assert kinds == [
        Heartbeat,
        Heartbeat,
        PartialText,
        PartialText,
        ToolCall,
        ToolResult,
        StateChange,
        StateChange,
        TextEvent,
        ReplyDone,
    ]
    call = events[4]
    assert isinstance(call, ToolCall) and call.name == "add_title" and call.args == {"text": "夕阳"}
    done = events[-1]
    assert isinstance(done, ReplyDone)
    # Final text only: the previews are not repeated, the tool call stays internal,
    # and the GUI phrase is translated.
    assert done.reply.text == 'Adding a title «夕阳» 🌅. Say "export" when ready.'
    assert "export" in done.reply.actions
    assert not done.reply.from_state


async def test_crash_frame_mid_stream_is_reported_and_ends_the_reply_with_the_state_diff() -> None:
    gw = FakeGateway(
        chat_parts=split_every(sse_frames(adk_text("Work", partial=True), {"error": "agent crashed"}), 3),
        drafts_after_chat=DRAFT,
    )
    async with gw.client() as client:
        events = [e async for e in client.chat("make a city video")]
    errors = [e for e in events if isinstance(e, StreamError)]
    assert [e.message for e in errors] == ["agent crashed"]
    done = events[-1]
    assert isinstance(done, ReplyDone)
    assert done.reply.error == "agent crashed"
    # A preview is not a reply: the settled state says what happened.
    assert done.reply.from_state and "Work" not in done.reply.text
    assert done.reply.text.startswith(
        "The reply stream broke off: agent crashed. The session state shows the request was applied."
    )
    assert "city timelapse (0-10s)" in done.reply.text
    assert done.reply.timeline == Draft.parse(DRAFT).summary()


async def test_crash_frame_with_nothing_changed_raises_a_backend_error() -> None:
    gw = FakeGateway(chat_parts=[sse_frames({"error": {"message": "model overloaded"}})])
    async with gw.client() as client:
        with pytest.raises(BackendError, match="model overloaded") as info:
            await client.send("hello")
    assert "not applied" in info.value.user_message()
    assert gw.paths().count(protocol.PATH_RUN_SSE) == 1


async def test_an_edit_landing_after_the_stream_ended_is_found_by_settling() -> None:
    # The first two state reads (before the request, right after the stream) still show the old draft.
    empty = ok({"state": {"draft": {}}})
    gw = FakeGateway(
        chat_parts=[sse_frames({"type": "heartbeat"})],
        drafts_after_chat=DRAFT,
        script=[on(protocol.PATH_STATE_PREFIX, empty), on(protocol.PATH_STATE_PREFIX, empty)],
    )
    async with gw.client() as client:
        reply = await client.send("make a city video")
    assert reply.from_state and reply.error is None
    assert reply.text.startswith("Updated the timeline: added or changed Video: city timelapse (0-10s)")
    assert reply.timeline == Draft.parse(DRAFT).summary()
    # Before, then until two reads agree: empty, DRAFT, DRAFT.
    assert gw.paths().count(protocol.state_path("sess-1")) == 4
    assert gw.paths().count(protocol.PATH_RUN_SSE) == 1


async def test_an_empty_stream_with_nothing_changed_says_not_applied_and_sends_nothing_again() -> None:
    gw = FakeGateway(chat_parts=[sse_frames({"type": "heartbeat"}, "data:\n\n")])
    async with gw.client() as client:
        with pytest.raises(BackendError) as info:
            await client.send("make a city video")
    message = info.value.user_message()
    assert message.startswith(
        "The reply ended without any text. The session state shows the request was not applied"
    )
    assert "not sent again automatically; send the request again" in message
    assert gw.paths().count(protocol.PATH_RUN_SSE) == 1


async def test_an_unreadable_state_after_a_broken_stream_never_advises_a_plain_resend() -> None:
    gw = FakeGateway(
        chat_parts=[sse_frames({"error": "agent crashed"})],
        script=[on(protocol.PATH_STATE_PREFIX, ok({"state": {"draft": {}}}))],
    )
    gw.script.append(on(protocol.PATH_STATE_PREFIX, httpx.Response(500, text="down")))
    async with gw.client() as client:
        with pytest.raises(BackendError, match="could not be read") as info:
            await client.send("make a city video")
    assert "before sending the request again: it may have been applied" in info.value.user_message()


async def test_settling_waits_for_two_equal_reads() -> None:
    drafts = [Draft(), Draft.parse(DRAFT), Draft.parse(DRAFT), Draft()]
    reads: list[Draft] = []

    async def fetch() -> SessionState:
        reads.append(drafts[len(reads)])
        return SessionState(draft=reads[-1])

    state = await settle_state(fetch, ClientOptions(settle_interval=0.001))
    assert state.draft == Draft.parse(DRAFT) and len(reads) == 3


async def test_settling_stops_at_its_bound_with_the_latest_read() -> None:
    reads = 0

    async def fetch() -> SessionState:
        nonlocal reads
        reads += 1
        return SessionState(draft=Draft.parse({"t": [{"sg": [{"d": reads * 1000}]}]}))

    state = await settle_state(fetch, ClientOptions(settle_interval=0.001, settle_max_seconds=0))
    assert reads == 1 and state.draft.total_ms == 1000


def test_event_without_content_key_is_not_an_error() -> None:
    assert decode_event({"id": "x", "author": "nemo_agent", "turnComplete": True}) == []
    assert decode_event({"id": "x", "content": None}) == []
    assert decode_event({"id": "x", "content": {"parts": "nonsense"}}) == []


def test_unknown_and_malformed_frames_are_skipped() -> None:
    assert decode_data('{"type": "usage", "tokens": 5}') == []
    assert decode_data("not json at all") == []
    assert decode_data("[1, 2]") == []
    assert decode_data('{"content": {"parts": [7, {"text": 5}, {"thought": true, "text": "hmm"}]}}') == []


def test_adk_error_fields_become_stream_errors() -> None:
    events = decode_event({"errorCode": "RESOURCE_EXHAUSTED", "errorMessage": "quota"})
    assert events == [StreamError(message="quota")]
    assert decode_data('{"type": "error", "message": "boom"}') == [StreamError(message="boom")]


def test_partials_never_duplicate_the_final_text() -> None:
    acc = ReplyAccumulator()
    for event in (PartialText(text="Hel"), PartialText(text="lo"), TextEvent(text="Hello")):
        acc.add(event)
    assert acc.text == "Hello"
    acc.add(PartialText(text="more"))
    assert acc.text == "Hello"


async def _silent_then(events: list[ServerSentEvent], gap: float) -> AsyncIterator[ServerSentEvent]:
    await asyncio.sleep(gap)
    for event in events:
        yield event


async def test_still_working_is_emitted_during_silence() -> None:
    options = ClientOptions(still_working_interval=0.01)
    source = _silent_then([ServerSentEvent(data='{"type":"heartbeat"}')], 0.2)
    events = [e async for e in read_events(source, options)]
    assert any(isinstance(e, StillWorking) for e in events)
    assert isinstance(events[-1], Heartbeat)
    elapsed = [e.elapsed for e in events if isinstance(e, StillWorking)]
    assert elapsed == sorted(elapsed)


async def test_overall_cap_ends_a_stream_that_never_finishes() -> None:
    options = ClientOptions(still_working_interval=100, sse_max_seconds=0.05)
    events = [e async for e in read_events(_silent_then([], 10), options)]
    assert isinstance(events[-1], StreamError)
    assert "No complete reply" in events[-1].message


async def test_dropped_connection_mid_stream_becomes_a_stream_error() -> None:
    gw = FakeGateway(
        chat_parts=[sse_frames(adk_text("Generating the scene"))],
        chat_error=httpx.RemoteProtocolError("peer closed connection"),
    )
    async with gw.client() as client:
        reply = await client.send("a sunset")
    assert reply.text == "Generating the scene"
    assert reply.error is not None and "dropped" in reply.error


async def test_abandoning_a_silent_reply_cancels_the_pending_read() -> None:
    async def silent() -> AsyncIterator[bytes]:
        yield b'data: {"type": "heartbeat"}\n\n'
        await asyncio.sleep(30)
        yield b""

    from nemo_skills import protocol
    from tests.client_fakes import on

    gw = FakeGateway(
        script=[
            on(
                protocol.PATH_RUN_SSE,
                httpx.Response(200, headers={"content-type": "text/event-stream"}, content=silent()),
            )
        ]
    )
    options = ClientOptions(still_working_interval=0.01)
    async with gw.client(options=options) as client:
        others = set(asyncio.all_tasks())
        async with aclosing(client.chat("hello")) as events:
            async for event in events:
                if isinstance(event, StillWorking):
                    break
        # Closing the reply cancelled its pending read at once: no task is left behind.
        assert [t for t in asyncio.all_tasks() if t not in others and not t.done()] == []
        assert (await client.credits()).total == 100
