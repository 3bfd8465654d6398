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


# Events built through their validators, skipping BaseModel.__init__: this runs for every event of every reply.
_partial_text = PartialText.__pydantic_validator__.validate_python
_text_event = TextEvent.__pydantic_validator__.validate_python
_state_change = StateChange.__pydantic_validator__.validate_python
_tool_call = ToolCall.__pydantic_validator__.validate_python
_tool_result = ToolResult.__pydantic_validator__.validate_python


def decode_data(data: str) -> list[ChatEvent]:
    """Events in one SSE `data` payload; an empty payload is a heartbeat, garbage is skipped."""
    if not data or data.isspace():
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
    value = obj.get(camel)
    return obj.get(snake) if value is None else value


def _control_frame(obj: dict[str, Any]) -> list[ChatEvent] | None:
    """The events of a frame without content: an error or a typed control frame; None for neither."""
    if "error" in obj:
        return [StreamError(message=_error_text(obj["error"]))]
    kind = obj.get("type")
    if not isinstance(kind, str):
        return None
    if kind.lower() in HEARTBEAT_TYPES:
        return [Heartbeat()]
    if kind.lower() == "error":
        return [StreamError(message=_error_text(obj.get("message") or obj.get("detail")))]
    log.debug("skipping chat frame of unknown type %r", kind)
    return []


def _adk_error(obj: dict[str, Any]) -> StreamError | None:
    code = _camel_or_snake(obj, "errorCode", "error_code")
    message = _camel_or_snake(obj, "errorMessage", "error_message")
    if not (code or message):
        return None
    return StreamError(message=_error_text(message) if message else f"the backend reported {code}")


def decode_event(obj: object) -> list[ChatEvent]:
    """Events in one decoded JSON frame (ADK event, control frame or error frame)."""
    if not isinstance(obj, dict):
        return []
    content = obj.get("content")
    if content is None and "content" not in obj:
        control = _control_frame(obj)
        if control is not None:
            return control
    events: list[ChatEvent] = []
    if "errorCode" in obj or "errorMessage" in obj or "error_code" in obj or "error_message" in obj:
        error = _adk_error(obj)
        if error is not None:
            events.append(error)
    if isinstance(content, dict):
        parts = content.get("parts")
        if isinstance(parts, list):
            text = _only_text(parts)
            if text is not None:  # the common case, a preview's or the reply's text, without the loop
                payload = {"text": text}
                events.append(_partial_text(payload) if obj.get("partial") else _text_event(payload))
            else:
                _parts_events(parts, bool(obj.get("partial")), events)
    actions = obj.get("actions")
    if isinstance(actions, dict):
        delta = actions.get("stateDelta") or actions.get("state_delta")
        if delta and isinstance(delta, dict):
            events.append(_state_change({"delta": delta}))
    return events


def _only_text(parts: list[Any]) -> str | None:
    """The text of a content that is one plain text part and nothing else, else None."""
    if len(parts) != 1:
        return None
    part = parts[0]
    if not isinstance(part, dict) or len(part) != 1:
        return None
    text = part.get("text")
    return text if isinstance(text, str) and text else None


def _parts_events(parts: list[Any], partial: bool, events: list[ChatEvent]) -> None:
    """Append a content's events: its text (joined, first), then tool calls and results in order."""
    at = len(events)
    texts: list[str] = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        text = part.get("text")
        # Model "thoughts" are reasoning, not reply text.
        if isinstance(text, str) and text and not part.get("thought"):
            texts.append(text)
            if len(part) == 1:
                continue  # a text-only part, the common case: no call or result to look for
        call = _camel_or_snake(part, "functionCall", "function_call")
        if isinstance(call, dict):
            args = call.get("args")
            events.append(
                _tool_call(
                    {
                        "id": _opt_str(call.get("id")),
                        "name": str(call.get("name") or "unknown"),
                        "args": args if isinstance(args, dict) else {},
                    }
                )
            )
        result = _camel_or_snake(part, "functionResponse", "function_response")
        if isinstance(result, dict):
            events.append(
                _tool_result(
                    {
                        "id": _opt_str(result.get("id")),
                        "name": str(result.get("name") or "unknown"),
                        "response": result.get("response"),
                    }
                )
            )
    if texts:
        payload = {"text": texts[0] if len(texts) == 1 else "".join(texts)}
        events.insert(at, _partial_text(payload) if partial else _text_event(payload))


def _opt_str(value: object) -> str | None:
    return str(value) if value is not None else None


class ReplyAccumulator:
    """Collects a stream's events into the reply: final text only, partials as a fallback."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.partials: list[str] = []
        self.errors: list[str] = []
        self.cut = False
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
            self.cut = self.cut or event.cut
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
