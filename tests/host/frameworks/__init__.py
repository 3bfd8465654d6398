"""Agent frameworks driving `nemo-skills mcp` with their own MCP clients, each left at its defaults.

One driver per framework (openai_agents, google_adk, pydantic_ai, fastmcp_client), run in the frameworks'
own virtualenv (`scripts/host-frameworks setup` makes .venv-hosts) from the repository's root:

    .venv-hosts/bin/python -m tests.host.frameworks.openai_agents BACKEND_URL OUTPUT_DIR [SERVER_OPTION...]

A driver starts the MCP server over stdio as the framework does, lets a scripted model (no model API is
ever called) ask run_skill for a video and then wait_job with the job id it reads in the tool's output
until the video is there, and prints one JSON line:

    {"framework", "job_id_first_call", "first_status", "calls", "cut", "path", "status",
     "client", "server_calls", "outbound"}

`calls` are the tools the model called, `cut` the calls that came back as an error instead of a result
(a client's time limit among them), `client` the clientInfo the server received, `server_calls` each
tools/call the server received (its arguments' names and how long it took to answer), and `outbound` any
connection the framework tried beyond this machine (refused).

The server runs behind `relay` (this file run as a script), which passes stdio through unchanged and
notes what the client sent, so the drivers can report what the server saw.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REQUEST = "a 2-second clip of a lighthouse at dusk"
# How many wait_job calls the scripted model makes before giving up.
MAX_WAITS = 30
JOB_ID = re.compile(r"\bjob_[0-9a-f]{12}\b")
SAVED = re.compile(r"Saved (\S+?\.mp4)\b")
# Where the model may connect: the backend and nothing else.
LOOPBACK = ("127.", "::1", "localhost")


@dataclass
class Outcome:
    """What the model reads in a run_skill or wait_job output."""

    status: str
    job_id: str | None = None
    path: str | None = None


def _as_plain(value: Any) -> Any:
    """Pydantic models, dataclasses and SDK result objects as dicts and lists."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True)
    if hasattr(value, "structured_content") or hasattr(value, "content"):
        return {
            "structuredContent": getattr(value, "structured_content", None),
            "content": _as_plain(getattr(value, "content", None)),
            "isError": getattr(value, "is_error", False),
        }
    if isinstance(value, list | tuple):
        return [_as_plain(item) for item in value]
    return value


def _texts(value: Any) -> list[str]:
    """Every text in a tool output, however the framework shaped it."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        if isinstance(value.get("text"), str):
            return [value["text"]]
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return []


def read_output(output: Any) -> Outcome | None:
    """The status, job id and path in a tool output, as a model would read them; None for an error."""
    value = _as_plain(output)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, dict):
        if value.get("isError") or value.get("is_error") or set(value) == {"error"}:
            return None
        for key in ("structuredContent", "structured_content", None):
            data = value.get(key) if key else value
            if isinstance(data, dict) and isinstance(data.get("status"), str):
                return Outcome(data["status"], data.get("job_id"), data.get("path"))
    text = "\n".join(_texts(value))
    saved, job = SAVED.search(text), JOB_ID.search(text)
    if saved:
        return Outcome("completed", job.group(0) if job else None, saved.group(1))
    if job and "Still working" in text:
        return Outcome("running", job.group(0))
    return None


@dataclass
class Script:
    """The scripted model: run_skill, then wait_job with the job id read back, until the video is there.

    Each framework's model calls `next` with the output of the tool it called last (None at the start)
    and turns the answer into its own message: a tool call (name, arguments) or the final text.
    """

    framework: str
    calls: list[str] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)
    outcomes: list[Outcome | None] = field(default_factory=list)

    def next(self, output: Any = None) -> tuple[str, dict[str, Any]] | str:
        if self.calls and len(self.outcomes) < len(self.calls):
            outcome = read_output(output)
            self.outcomes.append(outcome)
            if outcome is None:
                self.cut.append(f"{self.calls[-1]}: {' '.join(_texts(_as_plain(output)))[:400]}")
        if not self.calls:
            return self._call("run_skill", {"prompt": REQUEST})
        job_id = next((o.job_id for o in reversed(self.outcomes) if o is not None and o.job_id), None)
        last = self.outcomes[-1]
        waiting = last is None or last.status == "running"
        if waiting and job_id and self.calls.count("wait_job") < MAX_WAITS:
            return self._call("wait_job", {"job_id": job_id})
        if last is not None and last.status == "completed" and last.path:
            return f"The video is ready: {last.path}"
        return f"No video: the last output said {last.status if last else 'nothing usable'}."

    def note_error(self, exc: BaseException) -> None:
        """A call the framework ended with an exception instead of handing its output to the model."""
        self.cut.append(f"{self.calls[-1] if self.calls else 'connect'}: {type(exc).__name__}: {exc}"[:400])

    def _call(self, name: str, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        self.calls.append(name)
        return name, args

    def report(self, client_log: Path, outbound: list[str]) -> dict[str, Any]:
        """The JSON line the driver prints."""
        first = self.outcomes[0] if self.outcomes else None
        final = next((o for o in reversed(self.outcomes) if o is not None), None)
        seen = read_client_log(client_log)
        return {
            "framework": self.framework,
            "job_id_first_call": bool(first and first.job_id),
            "first_status": first.status if first else None,
            "calls": self.calls,
            "cut": self.cut,
            "path": final.path if final else None,
            "status": final.status if final else None,
            "client": seen["client"],
            "server_calls": seen["calls"],
            "outbound": outbound,
        }


def server_command(backend_url: str, output_dir: Path, client_log: Path) -> tuple[str, list[str]]:
    """The command and arguments that start `nemo-skills mcp -v` over stdio, behind the relay (with the
    driver's extra server options)."""
    mcp = ["-m", "nemo_skills", "mcp", "-v", "--backend", backend_url, "--output-dir", str(output_dir)]
    return sys.executable, [
        str(Path(__file__).resolve()),
        str(client_log),
        "--",
        sys.executable,
        *mcp,
        *sys.argv[3:],
    ]


def server_env() -> dict[str, str]:
    """The server's environment: this process's (its config and data folders), whatever the client
    would pass by default (the MCP SDK passes only HOME, PATH and a few more)."""
    return dict(os.environ)


def read_client_log(path: Path) -> dict[str, Any]:
    """What the relay noted: the client's clientInfo and each tools/call."""
    client: dict[str, Any] | None = None
    calls: list[dict[str, Any]] = []
    try:
        lines = path.read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        entry = json.loads(line)
        if entry.get("client") and client is None:
            client = entry["client"]
        if entry.get("tool"):
            calls.append(entry)
    return {"client": client, "calls": calls}


def guard_network() -> list[str]:
    """Refuse (and list) every connection and name lookup of this process beyond loopback."""
    attempts: list[str] = []
    connect, connect_ex, getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def local(host: Any) -> bool:
        return isinstance(host, str) and (host.startswith(LOOPBACK) or host == "")

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not local(address[0]):
            attempts.append(f"connect {address[0]}:{address[1]}")
            raise ConnectionRefusedError(f"no network in this test: {address[0]}")

    def guarded_connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return connect_ex(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and not local(name):
            attempts.append(f"lookup {name}")
            raise socket.gaierror(socket.EAI_NONAME, f"no network in this test: {name}")
        return getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = guarded_getaddrinfo
    return attempts


def driver_args() -> tuple[str, Path]:
    """BACKEND_URL OUTPUT_DIR from the command line (any further arguments are options of the server)."""
    if len(sys.argv) < 3:
        sys.exit("usage: python -m tests.host.frameworks.DRIVER BACKEND_URL OUTPUT_DIR [SERVER_OPTION...]")
    output_dir = Path(sys.argv[2]).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    return sys.argv[1], output_dir


def relay(log_path: str, command: list[str]) -> int:
    """Run `command` with this process's stdio passed through line by line, noting in `log_path` (JSON
    lines) the clientInfo the client sends and each tools/call with the time its answer took (or the time
    after which the client cancelled it)."""
    import subprocess
    import threading
    import time

    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    log = open(log_path, "a", buffering=1)  # noqa: SIM115 - open while the server runs
    lock = threading.Lock()
    pending: dict[Any, tuple[str, list[str], float]] = {}
    clients: list[Any] = []

    def note(entry: dict[str, Any]) -> None:
        with lock:
            log.write(json.dumps(entry) + "\n")

    def client_to_server() -> None:
        assert proc.stdin is not None
        for line in sys.stdin.buffer:
            try:
                message = json.loads(line)
            except ValueError:
                message = None
            if isinstance(message, dict):
                params = message.get("params") or {}
                info = params.get("clientInfo") or (params.get("_meta") or {}).get(
                    "io.modelcontextprotocol/clientInfo"
                )
                if info and info not in clients:
                    clients.append(info)
                    note({"client": info, "method": message.get("method")})
                if message.get("method") == "tools/call":
                    args = sorted((params.get("arguments") or {}).keys())
                    pending[message.get("id")] = (params.get("name"), args, time.monotonic())
                if message.get("method") == "notifications/cancelled" and params.get("requestId") in pending:
                    # The client gave up on a call (its time limit): when, seen from here.
                    name, args, started = pending.pop(params["requestId"])
                    seconds = round(time.monotonic() - started, 2)
                    note({"tool": name, "arguments": args, "seconds": seconds, "cancelled": True})
            proc.stdin.write(line)
            proc.stdin.flush()
        proc.stdin.close()

    threading.Thread(target=client_to_server, daemon=True).start()
    for line in proc.stdout:
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        # Noted before the answer goes on, so the note is there once the client has the answer.
        if isinstance(message, dict) and message.get("id") in pending and "method" not in message:
            name, args, started = pending.pop(message["id"])
            error = message.get("error") or (message.get("result") or {}).get("isError")
            seconds = round(time.monotonic() - started, 2)
            note(
                {
                    "tool": name,
                    "arguments": args,
                    "seconds": seconds,
                    "error": bool(error),
                    "cancelled": False,
                }
            )
        sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()
    return proc.wait()


if __name__ == "__main__":
    # python tests/host/frameworks/__init__.py LOG -- COMMAND...
    sys.exit(relay(sys.argv[1], sys.argv[3:]))
