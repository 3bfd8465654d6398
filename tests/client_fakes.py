"""An in-memory stand-in for the gateway (httpx.MockTransport), for the client's unit tests.

Integration tests use the real local backend over loopback; these fakes only
let a test script exact bytes, status codes and failures, one call at a time.
"""

from __future__ import annotations

import json
import struct
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from nemo_skills import protocol
from nemo_skills.client import AsyncNemoClient, ClientOptions

FAST = ClientOptions(
    poll_initial=0.0,
    poll_max=0.0,
    rate_limit_wait=0.0,
    still_working_interval=5.0,
    download_retry_wait=0.0,
    upload_chunk_size=1024,
    settle_interval=0.01,
)

Handler = Callable[[httpx.Request], httpx.Response | None]


def ok(data: Any = None) -> httpx.Response:
    """A gateway success envelope."""
    return httpx.Response(200, json={"code": 0, "message": "ok", "data": data or {}})


def fail(code: int, message: str = "", data: Any = None, status: int = 200) -> httpx.Response:
    """A gateway error envelope."""
    return httpx.Response(status, json={"code": code, "message": message, "data": data or {}})


def sse_frames(*frames: object) -> bytes:
    """Frames as an SSE body: dicts become `data: {json}`, strings are sent as they are."""
    out = []
    for frame in frames:
        out.append(frame if isinstance(frame, str) else f"data: {json.dumps(frame)}\n\n")
    return "".join(out).encode()


async def _chunks(parts: list[bytes], error: Exception | None) -> AsyncIterator[bytes]:
    for part in parts:
        yield part
    if error is not None:
        raise error


def split_every(data: bytes, size: int) -> list[bytes]:
    """Bytes cut into pieces of `size` (cutting through lines and UTF-8 characters)."""
    return [data[i : i + size] for i in range(0, len(data), size)]


def sse_response(parts: list[bytes], *, error: Exception | None = None) -> httpx.Response:
    """A streamed text/event-stream response delivering exactly these chunks, then maybe failing."""
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=_chunks(parts, error))


def adk_text(text: str, *, partial: bool = False) -> dict[str, Any]:
    """An ADK event with one text part."""
    return {
        "id": "e1",
        "invocationId": "i1",
        "author": "nemo_agent",
        "partial": partial,
        "content": {"role": "model", "parts": [{"text": text}]},
    }


DRAFT = {
    "t": [
        {"tt": 0, "sg": [{"st": 0, "d": 10000, "m": {"label": "city timelapse"}}]},
        {"tt": 1, "sg": [{"st": 0, "d": 10000, "m": {"label": "Lo-fi", "volume": 0.35}}]},
        {"tt": 7, "sg": [{"st": 0, "d": 3000, "m": {"text": "Urban Dreams"}}]},
    ]
}


@dataclass
class FakeGateway:
    """A scripted gateway: default answers for every endpoint, overridable per call with `script`."""

    token: str = "tok-anon-1"
    draft: dict[str, Any] = field(default_factory=dict)
    drafts_after_chat: dict[str, Any] | None = None
    chat_parts: list[bytes] = field(default_factory=list)
    chat_error: Exception | None = None
    script: list[Handler] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    tokens_issued: int = 0
    sessions_created: int = 0

    def transport(self) -> httpx.MockTransport:
        """The transport to hand to the client."""
        return httpx.MockTransport(self.handle)

    def client(self, skill: str = "nemo-video-gen", **kwargs: Any) -> AsyncNemoClient:
        """An async client wired to this gateway."""
        kwargs.setdefault("options", FAST)
        return AsyncNemoClient(skill, base_url="http://gw.test", transport=self.transport(), **kwargs)

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        return [r.url.path for r in self.requests]

    async def handle(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        self.requests.append(request)
        self.bodies.append(body)
        for i, handler in enumerate(self.script):
            answer = handler(request)
            if answer is not None:
                del self.script[i]
                return answer
        return self.default(request, body)

    def default(self, request: httpx.Request, body: bytes) -> httpx.Response:
        path = request.url.path
        if path == protocol.PATH_ANON_TOKEN:
            if not request.headers.get(protocol.HEADER_CLIENT_ID):
                return httpx.Response(400, json={"code": 400, "message": "missing X-Client-Id"})
            self.tokens_issued += 1
            return ok({"token": self.token, "credits": 100, "expires_in": 7 * 24 * 3600})
        if path == protocol.PATH_CREATE_SESSION:
            self.sessions_created += 1
            n = self.sessions_created
            return ok({"task_id": f"task-{n}", "session_id": f"sess-{n}", "bind_id": f"bind-{n}"})
        if path.startswith(protocol.PATH_STATE_PREFIX):
            return ok({"state": {"draft": self.draft, "video_infos": [], "generated_media": []}})
        if path == protocol.PATH_CREDITS:
            return ok({"available": 90, "frozen": 5, "total": 100})
        if path == protocol.PATH_RUN_SSE:
            if self.drafts_after_chat is not None:
                self.draft = self.drafts_after_chat
            return sse_response(list(self.chat_parts), error=self.chat_error)
        if path.startswith(protocol.PATH_UPLOAD_PREFIX):
            return ok({"files": [{"name": "clip.mp4", "kind": "video", "id": "m1"}]})
        return httpx.Response(404, json={"code": 404, "message": "no route"})


def on(path: str, response: httpx.Response | Callable[[httpx.Request], httpx.Response]) -> Handler:
    """A one-shot script step answering the next request whose path starts with `path`."""

    def handler(request: httpx.Request) -> httpx.Response | None:
        if not request.url.path.startswith(path):
            return None
        return response(request) if callable(response) else response

    return handler


def make_wav(path: Path, size: int) -> Path:
    """A valid, silent 16-bit stereo 44.1 kHz WAV of exactly `size` bytes, written sparse."""
    fmt = struct.pack("<IHHIIHH", 16, 1, 2, 44100, 44100 * 4, 4, 16)
    with path.open("wb") as fh:
        fh.write(
            b"RIFF" + struct.pack("<I", size - 8) + b"WAVEfmt " + fmt + b"data" + struct.pack("<I", size - 44)
        )
        fh.truncate(size)
    return path
