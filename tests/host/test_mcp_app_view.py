"""Our MCP App view in a real browser, inside the MCP Apps reference host (ext-apps `examples/basic-host` 1.7.5).

`nemo-skills mcp --http` serves the tools; the host, served by its own serve.ts, connects to it from the page,
lists the tools, calls one and shows the tool's `ui://` view in its sandbox (host page -> sandbox iframe ->
view iframe); tests/host/apps_host/drive.mjs works the host's form in headless Chromium and reports what the
view shows. The host, its Node and playwright-core come from `scripts/apps-host setup` (.ci/run runs it):
these tests skip where it has not been run, and where Debian's Chromium is missing.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.host.mcp_http import free_port, mcp_http_server

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "apps-host"
DRIVER = ROOT / "tests" / "host" / "apps_host" / "drive.mjs"
HOST_DIR = Path(os.environ.get("NEMO_APPS_HOST") or ROOT / ".apps-host").resolve()
CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
PROMPT = "a 2-second sunset over the sea"


def _host_missing() -> str | None:
    """Why the host cannot run here, or None when `scripts/apps-host setup` has built it and Chromium is there."""
    built = [
        HOST_DIR / "bin" / "node",
        HOST_DIR / "basic-host" / "dist" / "index.html",
        HOST_DIR / "basic-host" / "dist" / "sandbox.html",
        HOST_DIR / "basic-host" / "node_modules" / "playwright-core" / "package.json",
        HOST_DIR / ".built",
    ]
    if not all(path.exists() for path in built):
        return f"the MCP Apps host is not set up in {HOST_DIR} (run scripts/apps-host setup; .ci/run does)"
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"headless Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)"
    return None


pytestmark = pytest.mark.skipif(_host_missing() is not None, reason=str(_host_missing()))


@contextmanager
def _server(
    command: list[str], what: str, ports: list[int], env: dict[str, str] | None = None
) -> Iterator[None]:
    """Run a server until the block ends, once it listens on `ports`.

    Its stderr goes to a file, not to a pipe nobody reads (which could fill and stall it), and is shown if the
    server exits before it listens.
    """
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + 30
            for port in ports:
                while True:
                    if proc.poll() is not None:
                        log.seek(0)
                        raise AssertionError(f"{what} exited: {log.read().decode(errors='replace')[-3000:]}")
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                        break
                    except OSError:
                        assert time.monotonic() < deadline, f"{what} did not listen on {port}"
                        time.sleep(0.05)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@contextmanager
def apps_host(mcp_url: str) -> Iterator[tuple[str, str]]:
    """The host served on free ports and connecting to `mcp_url`; yields the host page and sandbox URLs."""
    host_port, sandbox_port = free_port(), free_port()
    env = {
        **os.environ,
        "NEMO_APPS_HOST": str(HOST_DIR),
        "HOST_PORT": str(host_port),
        "SANDBOX_PORT": str(sandbox_port),
        "SERVERS": json.dumps([mcp_url]),
    }
    with _server(
        [str(SCRIPT), "serve", str(HOST_DIR)], "the host's serve.ts", [host_port, sandbox_port], env
    ):
        # The built host loads its sandbox from http://localhost:8081; the driver answers that from this port.
        yield f"http://127.0.0.1:{host_port}/", f"http://localhost:{sandbox_port}/"


@contextmanager
def slow_backend(chat_delay: float) -> Iterator[str]:
    """`nemo-skills serve-local` whose chat turns take `chat_delay` s before their first edit; yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "nemo_skills", "serve-local", "--port", str(port),
               "--chat-delay", str(chat_delay)]  # fmt: skip
    with _server(command, "serve-local", [port]):
        yield f"http://127.0.0.1:{port}"


def drive(
    page: str, sandbox: str, tool: str, arguments: dict[str, Any], *options: str
) -> list[dict[str, Any]]:
    """Run the driver against the host; returns its JSON lines (every observation, click, console error)."""
    command = [str(HOST_DIR / "bin" / "node"), str(DRIVER), "--url", page, "--sandbox", sandbox,
               "--tool", tool, "--args", json.dumps(arguments), *options]  # fmt: skip
    done = subprocess.run(
        command,
        env={**os.environ, "NEMO_APPS_HOST": str(HOST_DIR)},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode in (0, 3), f"the driver failed ({done.returncode}): {done.stderr}\n{_tail(events)}"
    return events


def _tail(events: list[dict[str, Any]], count: int = 8) -> str:
    """The driver's notable lines (console errors, failed requests, the result, clicks) and its last ones."""
    kinds = ("console", "pageerror", "http", "error", "clicked", "frame", "ui_resource", "result", "end")
    notable = [e for e in events if e["event"] in kinds]
    shown = [*notable, *[e for e in events[-count:] if e not in notable]]
    return "\n".join(json.dumps(e)[:600] for e in shown)


def _views(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the view showed at each observation, once its frame was there."""
    return [e["view"] for e in events if e["event"] == "observe" and isinstance(e.get("view"), dict)]


def _ui_resource_read(events: list[dict[str, Any]]) -> bool:
    return any(e["event"] == "ui_resource" and e["uri"].startswith("ui://") for e in events)


def test_the_view_plays_the_video_shows_the_contact_sheet_and_the_credits(tmp_path: Path) -> None:
    with (
        mcp_http_server("local", os.environ) as mcp_url,
        apps_host(mcp_url) as (page, sandbox),
    ):
        events = drive(page, sandbox, "run_skill", {"prompt": PROMPT},
                       "--until-video", "--until-images", "1", "--until-text", "credit", "--timeout", "150",
                       "--screenshot", str(tmp_path / "view.png"))  # fmt: skip
    report = _tail(events) + f"\n(the page at the end: {tmp_path / 'view.png'})"
    assert not [e for e in events if e["event"] == "pageerror"], report
    tools = next((e for e in events if e["event"] == "tools"), None)
    assert tools is not None and "run_skill" in tools["tools"], report
    assert _ui_resource_read(events), "the host read no ui:// resource for run_skill\n" + report
    views = _views(events)
    assert views, "the view's frame never appeared\n" + report
    assert (events[-1]["event"], events[-1].get("reason")) == ("end", "condition"), report
    last = views[-1]
    playing = [v for v in last["videos"] if v["readyState"] >= 2 and v["visible"]]
    assert playing, report
    assert playing[0]["duration"] is not None and abs(playing[0]["duration"] - 2.0) < 0.5, playing
    assert any(image["loaded"] and image["visible"] for image in last["images"]), report
    assert re.search(r"credit", last["text"], re.I), last["text"]


def test_the_view_shows_progress_before_the_video_and_cancels(tmp_path: Path) -> None:
    with (
        slow_backend(chat_delay=6) as backend,
        mcp_http_server(backend, os.environ) as mcp_url,
        apps_host(mcp_url) as (page, sandbox),
    ):
        events = drive(page, sandbox, "run_skill", {"prompt": PROMPT},
                       "--cancel", "--until-text", "cancel+ed", "--timeout", "90",
                       "--screenshot", str(tmp_path / "view.png"))  # fmt: skip
    report = _tail(events) + f"\n(the page at the end: {tmp_path / 'view.png'})"
    assert not [e for e in events if e["event"] == "pageerror"], report
    assert _ui_resource_read(events), "the host read no ui:// resource for run_skill\n" + report
    views = _views(events)
    with_text = [view for view in views if view.get("text")]
    assert with_text, "the view never showed any text\n" + report
    first = with_text[0]
    # Progress first: text, and no video loaded yet.
    assert not any(v["currentSrc"] or v["readyState"] > 0 for v in first["videos"]), first
    clicks = [i for i, e in enumerate(events) if e["event"] == "clicked"]
    assert clicks, "no Cancel button was clicked\n" + report
    # What the view showed when Cancel was clicked: the job's progress, its Cancel button, still no video.
    shown = [e["view"] for e in events[: clicks[0]] if e["event"] == "observe" and e.get("view")][-1]
    assert shown["text"] and any("cancel" in button.lower() for button in shown["buttons"]), shown
    assert not any(v["currentSrc"] or v["readyState"] > 0 for v in shown["videos"]), shown
    assert (events[-1]["event"], events[-1].get("reason")) == ("end", "condition"), report
    assert re.search(r"cancel+ed", views[-1]["text"], re.I), views[-1]["text"]
    # Cancelled before it was done: no video ever played.
    assert not any(v["readyState"] >= 2 for view in views for v in view["videos"]), report


def test_the_driver_says_how_to_set_up_the_host_when_it_is_missing(tmp_path: Path) -> None:
    # What a developer who never ran setup reads.
    done = subprocess.run(
        [str(HOST_DIR / "bin" / "node"), str(DRIVER), "--url", "http://127.0.0.1:9/", "--tool", "x"],
        env={**os.environ, "NEMO_APPS_HOST": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1 and "scripts/apps-host setup" in done.stderr, done.stderr
    check = subprocess.run(
        [str(SCRIPT), "check", str(tmp_path)], capture_output=True, timeout=30, check=False
    )
    assert check.returncode == 1


def test_a_batch_shows_each_item_with_its_contact_sheet(tmp_path: Path) -> None:
    requests = [{"prompt": "a 2-second clip of a red kite"}, {"prompt": "a 2-second clip of a blue kite"}]
    # With the host's short wait the view follows what still runs; with a long one every item is done in
    # the tool's answer itself, and its sheet must come all the same.
    waits: dict[str, dict[str, Any]] = {"followed": {}, "done in the answer": {"wait_seconds": 60}}
    runs: dict[str, list[dict[str, Any]]] = {}
    with (
        mcp_http_server("local", os.environ) as mcp_url,
        apps_host(mcp_url) as (page, sandbox),
    ):
        for name, wait in waits.items():
            runs[name] = drive(page, sandbox, "run_batch", {"requests": requests, **wait},
                               "--until-text", "Done: 2 videos", "--until-images", "2", "--timeout", "150",
                               "--screenshot", str(tmp_path / f"{name}.png"))  # fmt: skip
    answer = json.loads(next(e["text"] for e in runs["done in the answer"] if e["event"] == "result"))
    assert [item["status"] for item in answer["structuredContent"]["items"]] == ["completed", "completed"]
    for name, events in runs.items():
        report = f"{name}:\n{_tail(events)}\n(the page at the end: {tmp_path / name}.png)"
        assert not [e for e in events if e["event"] == "pageerror"], report
        assert (events[-1]["event"], events[-1].get("reason")) == ("end", "condition"), report
        last = _views(events)[-1]
        assert "Done: 2 videos" in last["text"] and "credits" in last["text"], last["text"]
        assert len(re.findall(r"Done: a-2-second-clip-of-a-\w+-kite", last["text"])) == 2, last["text"]
        sheets = [image for image in last["images"] if image["loaded"] and image["visible"]]
        assert len(sheets) == 2, report
