"""The rule-based chat agent: runs one turn and streams it as ADK events.

A turn runs as its own task and feeds a queue; the HTTP response only reads the
queue. So a client that disconnects (or a dropped stream) does not stop the
edit: the draft changes anyway, as it does on the cloud, and the client can
read the new state.
"""

from __future__ import annotations

import asyncio
import functools
import uuid

from nemo_skills.draft import Draft
from nemo_skills.local.agent import adk
from nemo_skills.local.agent.edit_table import Edit, TurnPlan, apply_edit
from nemo_skills.local.config import BackendSettings
from nemo_skills.local.faults import FaultState
from nemo_skills.local.problems import ApiProblem
from nemo_skills.local.records import BackendSession
from nemo_skills.local.state import Store

# The end of a turn's stream, on its queue.
END: bytes = b""

_GUI_HINTS = (
    "Open the timeline panel to preview it, then click the Export button when you're happy.",
    "",
    "Preview in timeline, or click the Export button to render the MP4.",
)


class TurnRunner:
    """Runs turns of the rule-based agent against a store."""

    def __init__(self, store: Store, settings: BackendSettings, faults: FaultState) -> None:
        self.store = store
        self.settings = settings
        self.faults = faults

    async def _slow_step(self, queue: asyncio.Queue[bytes], seconds: float) -> None:
        """Work for a while, saying only that work goes on (heartbeats and empty data lines)."""
        if self.faults.faults.heartbeat_delay:
            await asyncio.sleep(self.faults.faults.heartbeat_delay)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        beat = 0
        while True:
            await queue.put(adk.HEARTBEAT_FRAME if beat % 2 == 0 else adk.EMPTY_FRAME)
            beat += 1
            left = deadline - loop.time()
            if left <= 0 and beat >= 2:
                return
            await asyncio.sleep(max(0.0, min(self.settings.heartbeat_interval, left)))

    async def run(self, session_id: str, user_id: str, plan: TurnPlan, queue: asyncio.Queue[bytes]) -> None:
        """Run one turn whose credits were reserved; always ends the queue with END."""
        events = adk.EventFactory()
        try:
            if not plan.edits:
                await self._say(queue, events, plan.note or "")
                return
            await self._edits(session_id, user_id, plan, events, queue)
        except ApiProblem as problem:
            await queue.put(adk.error_frame(problem.message))
        finally:
            await queue.put(END)

    async def _edits(
        self,
        session_id: str,
        user_id: str,
        plan: TurnPlan,
        events: adk.EventFactory,
        queue: asyncio.Queue[bytes],
    ) -> None:
        done: list[str] = []
        spent = 0.0
        try:
            if self.faults.faults.chat_delay:
                # The model's own time before it calls a tool; the queue outlives a gone client, so
                # the edits below are applied (and charged) whether or not anyone still listens.
                await self._slow_step(queue, self.faults.faults.chat_delay)
            for edit in plan.edits:
                call_id = f"call_{uuid.uuid4().hex[:12]}"
                await queue.put(adk.frame(events.function_call(call_id, edit.tool, edit.args)))
                await self._work(edit, queue)
                if self.faults.take_stream_error():
                    raise ApiProblem(
                        500, f"the {edit.tool} step failed (injected fault); nothing was changed"
                    )
                phrase = self.store.update_session(session_id, functools.partial(_apply, edit=edit))
                self.store.settle_credits(user_id, edit.cost)
                spent += edit.cost
                done.append(phrase)
                timeline = self._timeline(session_id, user_id)
                response = {"status": "success", "result": phrase, "timeline": timeline}
                await queue.put(adk.frame(events.function_response(call_id, edit.tool, response)))
        finally:
            self.store.release_credits(user_id, plan.cost - spent)
        session = self.store.session(session_id, user_id, count=False)
        self.store.update_session(session_id, _count_turn)
        delta = {
            "draft": session.draft,
            "timeline": Draft.parse(session.draft).summary(),
            "credits_used": spent,
        }
        if self.faults.reply_is_empty():
            await queue.put(adk.frame(events.state_delta(delta)))
            return
        await queue.put(adk.frame(events.state_delta(delta)))
        hint = _GUI_HINTS[session.turns % len(_GUI_HINTS)]
        sentence = "Done! I " + "; then I ".join(done) + "."
        text = " ".join(p for p in (sentence, hint) if p) + "\n\n" + Draft.parse(session.draft).summary()
        await self._say(queue, events, text)

    async def _work(self, edit: Edit, queue: asyncio.Queue[bytes]) -> None:
        stall = self.faults.faults.stall_seconds
        if edit.slow or stall:
            await self._slow_step(queue, self.settings.step_delay * 2 + stall)
        elif self.settings.step_delay:
            await asyncio.sleep(self.settings.step_delay)

    def _timeline(self, session_id: str, user_id: str) -> str:
        return Draft.parse(self.store.session(session_id, user_id, count=False).draft).summary()

    async def _say(self, queue: asyncio.Queue[bytes], events: adk.EventFactory, text: str) -> None:
        for piece in adk.chunks(text):
            await queue.put(adk.frame(events.partial_text(piece)))
        await queue.put(adk.frame(events.text(text)))


def _apply(session: BackendSession, *, edit: Edit) -> str:
    return apply_edit(session, edit)


def _count_turn(session: BackendSession) -> None:
    session.turns += 1
