"""A minimal protocol driver over plain httpx, for testing the local backend without the client."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from nemo_skills import protocol


def parse_sse(raw: str) -> list[str]:
    """The `data:` payloads of an SSE body, checking the gateway's framing on the way."""
    assert "\r" not in raw
    payloads = []
    for block in raw.split("\n\n"):
        if not block:
            continue
        lines = block.split("\n")
        assert len(lines) == 1, f"an event spans several lines: {block!r}"
        assert lines[0].startswith("data:"), f"not a data line: {lines[0]!r}"
        payloads.append(lines[0][5:].strip())
    return payloads


class Api:
    """One anonymous user with one session, talking to a backend over loopback."""

    def __init__(self, base_url: str, skill: str = "nemo-video-gen", *, token: str | None = None) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.skill = skill
        self.client_id = str(uuid.uuid4())
        self.token = token or self.new_token()
        self.session_id = ""

    @classmethod
    def connect(cls, base_url: str, skill: str = "nemo-video-gen", **kw: Any) -> Api:
        api = cls(base_url, skill, **kw)
        api.session_id = api.new_session()
        return api

    def new_token(self) -> str:
        r = self.http.post(protocol.PATH_ANON_TOKEN, headers={protocol.HEADER_CLIENT_ID: self.client_id})
        body = r.json()
        assert body["code"] == 0, body
        return str(body["data"]["token"])

    @property
    def headers(self) -> dict[str, str]:
        return {
            protocol.HEADER_AUTH: f"Bearer {self.token}",
            protocol.HEADER_SKILL_SOURCE: self.skill,
            protocol.HEADER_SKILL_VERSION: "1.0.0",
            protocol.HEADER_SKILL_PLATFORM: "unknown",
        }

    def new_session(self) -> str:
        r = self.http.post(
            protocol.PATH_CREATE_SESSION, headers=self.headers, json=protocol.session_body("en")
        )
        body = r.json()
        assert body["code"] == 0, body
        return str(body["data"]["session_id"])

    def chat_raw(self, text: str) -> httpx.Response:
        return self.http.post(
            protocol.PATH_RUN_SSE,
            headers={**self.headers, "Accept": protocol.SSE_ACCEPT},
            json=protocol.chat_body(self.session_id, text),
        )

    def chat(self, text: str) -> list[dict[str, Any]]:
        """The JSON events of one turn (heartbeats included, empty data lines left out)."""
        r = self.chat_raw(text)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/event-stream"), r.text
        return [json.loads(p) for p in parse_sse(r.text) if p]

    def reply(self, text: str) -> str:
        """The user-facing text of one turn: text parts of non-partial events."""
        return "".join(
            part["text"]
            for e in self.chat(text)
            if not e.get("partial") and "content" in e
            for part in e["content"]["parts"]
            if "text" in part
        )

    def state(self) -> dict[str, Any]:
        body = self.http.get(protocol.state_path(self.session_id), headers=self.headers).json()
        assert body["code"] == 0, body
        return dict(body["data"])

    def credits(self) -> dict[str, Any]:
        return dict(self.http.get(protocol.PATH_CREDITS, headers=self.headers).json()["data"])

    def upload(self, *paths: Path, names: list[str] | None = None) -> httpx.Response:
        files = [
            (
                protocol.UPLOAD_FIELD,
                ((names[i] if names else p.name), p.read_bytes(), "application/octet-stream"),
            )
            for i, p in enumerate(paths)
        ]
        return self.http.post(protocol.upload_path(self.session_id), headers=self.headers, files=files)

    def start_render(self, render_id: str | None = None, **extra: Any) -> tuple[str, httpx.Response]:
        render_id = render_id or f"render_{uuid.uuid4().hex[:10]}"
        draft = self.state()["state"]["draft"]
        body = {**protocol.render_body(render_id, self.session_id, draft), **extra}
        return render_id, self.http.post(protocol.PATH_RENDER, headers=self.headers, json=body)

    def status(self, render_id: str) -> dict[str, Any]:
        return dict(self.http.get(protocol.render_status_path(render_id), headers=self.headers).json())

    def wait_render(self, render_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.status(render_id)
            status = body.get("status") or body.get("data", {}).get("status")
            if status in protocol.RenderStatus.TERMINAL:
                return body
            time.sleep(0.05)
        raise AssertionError(f"render {render_id} did not finish")

    def export(self, dest: Path, **extra: Any) -> dict[str, Any]:
        render_id, r = self.start_render(**extra)
        assert r.json()["success"] is True, r.text
        body = self.wait_render(render_id)
        assert body["status"] == "completed", body
        dest.write_bytes(self.http.get(body["output"]["url"]).content)
        return body


def text_of(events: list[dict[str, Any]], *, partial: bool = False) -> str:
    """Concatenated text parts of the (non-)partial events."""
    return "".join(
        part.get("text", "")
        for e in events
        if bool(e.get("partial")) is partial and "content" in e
        for part in e["content"]["parts"]
    )
