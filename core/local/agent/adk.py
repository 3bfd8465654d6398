"""Google ADK Event JSON, as the gateway streams it over SSE: builders and framing.

Each event is exactly one `data: {json}` line and a blank line; no `event:` or
`id:` lines and no end sentinel. Keys are camelCase, as ADK's API server
serialises them. Every event says in `customMetadata` that a rule-based agent
wrote it.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

AUTHOR = "nemo_agent"
AGENT_METADATA: dict[str, Any] = {"agent": "rule-based", "generative": False}

HEARTBEAT_FRAME = b'data: {"type":"heartbeat"}\n\n'
EMPTY_FRAME = b"data:\n\n"


def frame(payload: dict[str, Any]) -> bytes:
    """One SSE frame carrying a JSON object on a single `data:` line."""
    # json.dumps escapes newlines inside strings, so the payload never spans lines.
    return (
        b"data: " + json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n\n"
    )


def error_frame(message: str) -> bytes:
    """A mid-stream failure, as the gateway reports one."""
    return frame({"error": message})


class EventFactory:
    """Builds the events of one invocation (one user message and the agent's answer)."""

    def __init__(self, invocation_id: str | None = None) -> None:
        self.invocation_id = invocation_id or f"e-{uuid.uuid4()}"

    def _event(
        self,
        parts: list[dict[str, Any]] | None = None,
        *,
        partial: bool = False,
        state_delta: dict[str, Any] | None = None,
        turn_complete: bool = False,
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "id": uuid.uuid4().hex[:8],
            "invocationId": self.invocation_id,
            "author": AUTHOR,
            "timestamp": time.time(),
            "partial": partial,
        }
        if parts is not None:
            event["content"] = {"role": "model", "parts": parts}
        event["actions"] = {"stateDelta": state_delta or {}, "artifactDelta": {}}
        if turn_complete:
            event["turnComplete"] = True
        event["customMetadata"] = dict(AGENT_METADATA)
        return event

    def partial_text(self, text: str) -> dict[str, Any]:
        """A live preview chunk of the answer (not user-facing on its own)."""
        return self._event([{"text": text}], partial=True)

    def text(self, text: str) -> dict[str, Any]:
        """The final answer text; it completes the turn."""
        return self._event([{"text": text}], turn_complete=True)

    def function_call(self, call_id: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
        """The agent calling one of its tools."""
        return self._event([{"functionCall": {"id": call_id, "name": name, "args": args}}])

    def function_response(self, call_id: str, name: str, response: dict[str, Any]) -> dict[str, Any]:
        """What a tool returned."""
        return self._event([{"functionResponse": {"id": call_id, "name": name, "response": response}}])

    def state_delta(self, delta: dict[str, Any], *, turn_complete: bool = False) -> dict[str, Any]:
        """A change of session state, with no content."""
        return self._event(None, state_delta=delta, turn_complete=turn_complete)


def chunks(text: str, size: int = 3) -> list[str]:
    """Split a text into `size` roughly equal pieces on word boundaries, for partial events."""
    words = text.split(" ")
    if len(words) < size:
        return [text]
    step = -(-len(words) // size)
    pieces = [" ".join(words[i : i + step]) for i in range(0, len(words), step)]
    return [p + (" " if i < len(pieces) - 1 else "") for i, p in enumerate(pieces)]
