"""Chat stream decoding without I/O: SSE `data` payloads → typed events → the reply text.

The gateway sends Google ADK Event JSON (camelCase), `{"type": ...}` control
frames such as heartbeats, bare `{"error": ...}` frames for failures after the
HTTP 200, and empty `data:` lines. Anything unrecognised is skipped, not fatal.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from nemo_skills.client.events import (
    ChatEvent,
    Heartbeat,
    PartialText,
    StateChange,
    StreamError,
    TextEvent,
    ToolCall,
    ToolResult,
)

log = logging.getLogger(__name__)

HEARTBEAT_TYPES = frozenset({"heartbeat", "ping", "keepalive", "keep-alive"})


def decode_data(data: str) -> list[ChatEvent]:
    """Events in one SSE `data` payload; an empty payload is a heartbeat, garbage is skipped."""
    if not data.strip():
        return [Heartbeat()]
    try:
        obj = json.loads(data)
    except ValueError:
        log.debug("skipping a chat frame that is not JSON (%d chars)", len(data))
        return []
    return decode_event(obj)


def _error_text(value: object) -> str:
    if isinstance(value, dict):
        value = value.get("message") or value.get("error") or value.get("detail") or json.dumps(value)
    text = str(value).strip() if value is not None else ""
    return text or "the backend reported an error"


def _camel_or_snake(obj: dict[str, Any], camel: str, snake: str) -> Any:
    return obj.get(camel, obj.get(snake))


def decode_event(obj: object) -> list[ChatEvent]:
    """Events in one decoded JSON frame (ADK event, control frame or error frame)."""
    if not isinstance(obj, dict):
        return []
    if "content" not in obj and "error" in obj:
        return [StreamError(message=_error_text(obj["error"]))]
    kind = obj.get("type")
    if isinstance(kind, str) and "content" not in obj:
        if kind.lower() in HEARTBEAT_TYPES:
            return [Heartbeat()]
        if kind.lower() == "error":
            return [StreamError(message=_error_text(obj.get("message") or obj.get("detail")))]
        log.debug("skipping chat frame of unknown type %r", kind)
        return []
    events: list[ChatEvent] = []
    code = _camel_or_snake(obj, "errorCode", "error_code")
    message = _camel_or_snake(obj, "errorMessage", "error_message")
    if code or message:
        text = _error_text(message) if message else f"the backend reported {code}"
        events.append(StreamError(message=text))
    events.extend(_content_events(obj.get("content"), partial=bool(obj.get("partial"))))
    actions = obj.get("actions")
    if isinstance(actions, dict):
        delta = _camel_or_snake(actions, "stateDelta", "state_delta")
        if isinstance(delta, dict) and delta:
            events.append(StateChange(delta=delta))
    return events


def _content_events(content: object, *, partial: bool) -> list[ChatEvent]:
    if not isinstance(content, dict):
        return []
    parts = content.get("parts")
    if not isinstance(parts, list):
        return []
    events: list[ChatEvent] = []
    texts: list[str] = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        text = part.get("text")
        # Model "thoughts" are reasoning, not reply text.
        if isinstance(text, str) and text and not part.get("thought"):
            texts.append(text)
        call = _camel_or_snake(part, "functionCall", "function_call")
        if isinstance(call, dict):
            args = call.get("args")
            events.append(
                ToolCall(
                    id=_opt_str(call.get("id")),
                    name=str(call.get("name") or "unknown"),
                    args=args if isinstance(args, dict) else {},
                )
            )
        result = _camel_or_snake(part, "functionResponse", "function_response")
        if isinstance(result, dict):
            events.append(
                ToolResult(
                    id=_opt_str(result.get("id")),
                    name=str(result.get("name") or "unknown"),
                    response=result.get("response"),
                )
            )
    if texts:
        joined = "".join(texts)
        events.insert(0, PartialText(text=joined) if partial else TextEvent(text=joined))
    return events


def _opt_str(value: object) -> str | None:
    return str(value) if value is not None else None


class ReplyAccumulator:
    """Collects a stream's events into the reply: final text only, partials as a fallback."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.partials: list[str] = []
        self.errors: list[str] = []
        self.tool_calls: list[ToolCall] = []
        self.state_delta: dict[str, Any] = {}

    def add(self, event: ChatEvent) -> None:
        """Take one event into account."""
        if isinstance(event, TextEvent):
            self.texts.append(event.text)
            # ADK sends the whole text again, non-partial, after its previews.
            self.partials.clear()
        elif isinstance(event, PartialText):
            self.partials.append(event.text)
        elif isinstance(event, StreamError):
            self.errors.append(event.message)
        elif isinstance(event, ToolCall):
            self.tool_calls.append(event)
        elif isinstance(event, StateChange):
            self.state_delta.update(event.delta)

    @property
    def text(self) -> str:
        """The reply's text: the non-partial texts; previews only if the stream broke before them."""
        final = "\n\n".join(t.strip() for t in self.texts if t.strip())
        if final:
            return final
        return "".join(self.partials).strip()

    @property
    def error(self) -> str | None:
        """The first failure the stream reported, if any."""
        return self.errors[0] if self.errors else None
