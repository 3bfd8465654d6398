"""POST /run_sse: one chat turn, streamed as ADK events over server-sent events."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from nemo_skills import protocol
from nemo_skills.files.documents import MAX_DOCUMENT_CHARS
from nemo_skills.local.agent.rules import plan_turn
from nemo_skills.local.agent.turns import END
from nemo_skills.local.http.context import ctx, json_body, require_str
from nemo_skills.local.problems import bad_request

# A message carries the text of the documents a client read (each up to MAX_DOCUMENT_CHARS, several
# per message), so this server must take much more than one document.
MAX_MESSAGE_CHARS = 10 * MAX_DOCUMENT_CHARS
DROP_MESSAGE = "ASGI callable returned without completing response."


class _IntentionalDropFilter(logging.Filter):
    """Hide uvicorn's complaint about the connections this backend drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != DROP_MESSAGE


logging.getLogger("uvicorn.error").addFilter(_IntentionalDropFilter())


class SSEResponse:
    """Streams frames from a queue; with `drop_after`, closes the connection abruptly after that many."""

    def __init__(self, queue: asyncio.Queue[bytes], drop_after: int | None = None) -> None:
        self.queue = queue
        self.drop_after = drop_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-cache"),
                    (b"x-accel-buffering", b"no"),
                ],
            }
        )
        disconnected = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            disconnected.set()

        watcher = asyncio.ensure_future(watch())
        sent = 0
        try:
            while not disconnected.is_set():
                frame = await self.queue.get()
                if frame == END:
                    break
                if self.drop_after is not None and sent >= self.drop_after:
                    # Return without the final empty body: the server closes the connection mid-stream.
                    return
                try:
                    await send({"type": "http.response.body", "body": frame, "more_body": True})
                except OSError:
                    return
                sent += 1
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            return
        finally:
            watcher.cancel()


def _message_text(body: dict[str, Any]) -> str:
    message = body.get("new_message")
    if not isinstance(message, dict):
        raise bad_request("missing field 'new_message' (an object with 'parts')")
    parts = message.get("parts")
    if not isinstance(parts, list) or not parts:
        raise bad_request("field 'new_message.parts' must be a non-empty list")
    texts = [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)]
    text = "\n".join(texts).strip()
    if not text:
        raise bad_request("the message has no text part")
    if len(text) > MAX_MESSAGE_CHARS:
        raise bad_request(f"the message is longer than {MAX_MESSAGE_CHARS} characters")
    return text


async def run_sse(request: Request) -> SSEResponse:
    """Check everything that can fail before streaming (JSON errors), then stream the turn."""
    c = ctx(request)
    account = c.authenticate(request)
    body = await json_body(request)
    app_name = body.get("app_name", protocol.APP_NAME)
    if app_name != protocol.APP_NAME:
        raise bad_request(f"unknown app_name {app_name!r}; this server runs {protocol.APP_NAME!r}")
    session_id = require_str(body, "session_id")
    text = _message_text(body)
    session = c.store.session(session_id, account.user_id)
    c.chats += 1
    plan = plan_turn(text, session)
    if plan.cost:
        c.store.reserve_credits(account.user_id, plan.cost, bind_id=session.bind_id)
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    c.spawn(c.turns.run(session_id, account.user_id, plan, queue))
    return SSEResponse(queue, drop_after=c.faults.take_stream_drop())
