"""Hooks for testing clients: a chat turn that takes a while (chat_delay) and the request log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from nemo_skills import protocol
from nemo_skills.draft import Draft
from nemo_skills.local import Faults
from nemo_skills.local.request_log import (
    CHAT_TURN,
    DOWNLOAD,
    RENDER_START,
    RENDER_STATUS,
    STATE,
    UPLOAD,
    count_requests,
    logged_path,
    path_pattern,
    read_request_log,
    request_key,
)
from tests.local.helpers import Api

SERVE = [sys.executable, "-c", "from nemo_skills.cli import main; main()", "serve-local"]
# Generous: the wait is for the turn to end, which takes chat_delay plus a few steps.
TURN_DEADLINE = 30.0


def _wait_until(check: Any) -> None:
    deadline = time.monotonic() + TURN_DEADLINE
    while not check():
        assert time.monotonic() < deadline, "the turn did not finish"
        time.sleep(0.05)


# --- chat_delay -----------------------------------------------------------------------------------


def test_chat_delay_is_a_timing_knob_that_turns_on_no_empty_replies() -> None:
    assert not Faults(chat_delay=2).any_enabled()
    assert Faults(chat_delay=2).effective_empty_share == 0.0
    assert Faults(chat_delay=2, rate_limit=1).effective_empty_share == 0.3


def test_a_client_gone_during_the_delay_still_gets_its_edit_applied_and_charged(
    backend_factory: Any, tmp_path: Path
) -> None:
    log = tmp_path / "requests.jsonl"
    backend = backend_factory(faults=Faults(chat_delay=0.5), heartbeat_interval=0.02, request_log=log)
    api = Api.connect(backend.base_url)
    before = api.credits()["available"]
    with httpx.Client(base_url=backend.base_url, timeout=30) as http:
        headers = {**api.headers, "Accept": protocol.SSE_ACCEPT}
        body = protocol.chat_body(api.session_id, "a 5-second sunset")
        with http.stream("POST", protocol.PATH_RUN_SSE, headers=headers, json=body) as r:
            assert r.status_code == 200
            first = next(line for line in r.iter_lines() if line)
        # Leaving the block closes the connection with the body unread: the client is gone.
    assert json.loads(first.removeprefix("data:")) == {"type": "heartbeat"}, "no 'generating' phase"

    def turn_done() -> bool:
        credits = api.credits()
        edited = Draft.parse(api.state()["state"]["draft"]).total_ms == 5000
        return edited and credits["frozen"] == 0 and credits["available"] < before

    _wait_until(turn_done)
    credits = api.credits()
    assert credits["available"] == before - 10 and credits["total"] == before - 10
    assert backend.chat_requests == 1
    assert count_requests(log)[CHAT_TURN] == 1
    assert backend.request_counts()[CHAT_TURN] == 1


def test_chat_delay_streams_heartbeats_at_the_heartbeat_interval(backend_factory: Any) -> None:
    backend = backend_factory(faults=Faults(chat_delay=0.5), heartbeat_interval=0.01)
    events = Api.connect(backend.base_url).chat("a 5-second sunset")
    calls = [i for i, e in enumerate(events) if "functionCall" in json.dumps(e)]
    beats = [i for i, e in enumerate(events) if e == {"type": "heartbeat"}]
    # Every other frame of a slow step is a heartbeat (the others are empty data lines, not parsed here):
    # 0.5 s at 0.01 s makes about 25 of them before the tool is called; a loaded machine makes fewer.
    assert calls and len([i for i in beats if i < calls[0]]) >= 3
    assert "sunset" in json.dumps(events[-1])


def test_turns_that_edit_nothing_are_not_delayed(backend_factory: Any) -> None:
    backend = backend_factory(faults=Faults(chat_delay=60))
    api = Api.connect(backend.base_url)
    assert "rule-based" in api.reply("hello")


# --- the request log ------------------------------------------------------------------------------


def test_each_request_is_logged_once_with_its_status_and_no_secret(
    backend_factory: Any, tmp_path: Path
) -> None:
    log = tmp_path / "requests.jsonl"
    backend = backend_factory(
        faults=Faults(rate_limit=1, rate_limit_paths=(protocol.PATH_CREDITS,)), request_log=log
    )
    api = Api.connect(backend.base_url)  # a token and a session
    assert api.http.get(protocol.PATH_CREDITS, headers=api.headers).status_code == 429
    assert api.http.get(protocol.PATH_CREDITS, headers=api.headers).status_code == 200
    secret = "query-secret-value"
    r = api.http.get(protocol.state_path(api.session_id), headers=api.headers, params={"k": secret})
    assert r.status_code == 200
    assert api.http.get("/nowhere/at/all").status_code == 404
    assert api.http.get("/healthz", headers={"Host": "evil.example"}).status_code == 421

    records = read_request_log(log)
    assert [(r.method, r.path, r.status) for r in records] == [
        ("POST", protocol.PATH_ANON_TOKEN, 200),
        ("POST", protocol.PATH_CREATE_SESSION, 200),
        ("GET", protocol.PATH_CREDITS, 429),
        ("GET", protocol.PATH_CREDITS, 200),
        ("GET", protocol.state_path(api.session_id), 200),
        ("GET", "/nowhere/at/all", 404),
        ("GET", "/healthz", 421),
    ]
    assert all(isinstance(r.t, float) and r.t > 0 for r in records)
    text = log.read_text(encoding="utf-8")
    assert api.token not in text and secret not in text and api.client_id not in text
    assert all(set(json.loads(line)) == {"t", "method", "path", "status"} for line in text.splitlines())
    assert os.stat(log).st_mode & 0o777 == 0o600

    counts = count_requests(log)
    assert counts[f"GET {protocol.PATH_CREDITS}"] == 2
    assert count_requests(log, status=429) == {f"GET {protocol.PATH_CREDITS}": 1}
    assert counts[STATE] == 1
    assert backend.request_counts() == counts


def test_a_chat_stream_is_logged_once_and_backends_share_one_log(
    backend_factory: Any, tmp_path: Path
) -> None:
    log = tmp_path / "shared.jsonl"
    one = backend_factory(request_log=log)
    two = backend_factory(request_log=log, faults=Faults(empty_reply_share=0.0))
    Api.connect(one.base_url).chat("a 5-second sunset")
    Api.connect(two.base_url).chat("a 3-second sunrise")
    counts = count_requests(log)
    assert counts[CHAT_TURN] == 2
    assert counts[f"POST {protocol.PATH_ANON_TOKEN}"] == 2
    assert sum(counts.values()) == 6


def test_count_requests_collapses_ids_into_patterns(tmp_path: Path) -> None:
    assert path_pattern(protocol.state_path("sess_1")) == "/api/state/nemo_agent/me/<id>/latest"
    assert path_pattern(protocol.render_status_path("render_9")) == "/api/render/proxy/lambda/<id>"
    assert path_pattern(protocol.upload_path("sess_1")) == "/api/upload-video/nemo_agent/me/<id>"
    assert path_pattern("/files/abc123/render_9.mp4") == "/files/<key>/<name>"
    assert path_pattern(protocol.PATH_RENDER) == protocol.PATH_RENDER
    assert path_pattern("/api/state/nemo_agent/me/a/b/latest") == "/api/state/nemo_agent/me/a/b/latest"
    # The download key grants the file, so the log never holds it.
    assert logged_path("/files/abc123/render_9.mp4") == "/files/<key>/render_9.mp4"
    assert request_key("get", protocol.render_status_path("r")) == RENDER_STATUS

    log = tmp_path / "log.jsonl"
    assert count_requests(log) == {}
    lines = [
        ("POST", protocol.PATH_RENDER, 200),
        ("GET", protocol.render_status_path("render_1"), 200),
        ("GET", protocol.render_status_path("render_1"), 200),
        ("GET", protocol.render_status_path("render_2"), 200),
        ("POST", protocol.upload_path("sess_1"), 200),
        ("GET", logged_path("/files/k/render_1.mp4"), 206),
    ]
    log.write_text(
        "".join(json.dumps({"t": 1.0, "method": m, "path": p, "status": s}) + "\n" for m, p, s in lines)
    )
    assert count_requests(log) == {RENDER_START: 1, RENDER_STATUS: 3, UPLOAD: 1, DOWNLOAD: 1}


def test_serve_local_takes_both_flags(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    proc = subprocess.Popen(
        [*SERVE, "--request-log", str(log), "--chat-delay", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        api = Api.connect(url)
        assert "sunset" in api.reply("a 5-second sunset")
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "chat_delay=0.2" in err
    assert count_requests(log)[CHAT_TURN] == 1
