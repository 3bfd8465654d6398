"""The request log of the local backend: one JSON line per HTTP request, and the helpers that count them.

`serve-local --request-log FILE` (or `LocalBackend(request_log=FILE)`) appends
`{"t": <unix time>, "method": "POST", "path": "/run_sse", "status": 200}` for every
request it answers, so a test can tell how often the backend was asked for what:

    counts = count_requests(log)
    assert counts[CHAT_TURN] == 1 and counts[RENDER_START] == 1

Only the method, the path and the status are written: never a query string, a header
or a body, and a download's random key is replaced by `<key>` (it grants the file).
Each line is one `write` on a file opened with O_APPEND, so several backend processes
may share one log without tearing each other's lines.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from nemo_skills import protocol
from nemo_skills.local.private import FILE_MODE

ID: Final = "<id>"
KEY: Final = "<key>"
NAME: Final = "<name>"
FILES_PREFIX: Final = "/files/"

# The paths that carry an id, as count_requests names them; every other path is its own pattern.
PATH_PATTERNS: Final[tuple[str, ...]] = (
    protocol.state_path(ID),
    protocol.upload_path(ID),
    protocol.render_status_path(ID),
    f"{FILES_PREFIX}{KEY}/{NAME}",
)

CHAT_TURN: Final = f"POST {protocol.PATH_RUN_SSE}"
RENDER_START: Final = f"POST {protocol.PATH_RENDER}"
RENDER_STATUS: Final = f"GET {protocol.render_status_path(ID)}"
STATE: Final = f"GET {protocol.state_path(ID)}"
UPLOAD: Final = f"POST {protocol.upload_path(ID)}"
DOWNLOAD: Final = f"GET {FILES_PREFIX}{KEY}/{NAME}"


def _compile(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(<[a-z]+>)", pattern)
    return re.compile("".join("[^/]+" if p.startswith("<") else re.escape(p) for p in parts) + r"\Z")


_MATCHERS: Final = tuple((_compile(p), p) for p in PATH_PATTERNS)


def logged_path(path: str) -> str:
    """The path as the log records it: a download's random key (a capability) becomes `<key>`."""
    if path.startswith(FILES_PREFIX):
        _key, sep, rest = path[len(FILES_PREFIX) :].partition("/")
        return f"{FILES_PREFIX}{KEY}{sep}{rest}"
    return path


def path_pattern(path: str) -> str:
    """The path with its ids collapsed: `/api/render/proxy/lambda/render_1` -> `/api/render/proxy/lambda/<id>`.

    Session and render ids become `<id>`, a download `/files/<key>/<name>`; a path of no
    known endpoint is returned as it is.
    """
    for matcher, pattern in _MATCHERS:
        if matcher.match(path):
            return pattern
    return path


def request_key(method: str, path: str) -> str:
    """The key count_requests uses: `"METHOD path-pattern"`, e.g. `"GET /api/state/nemo_agent/me/<id>/latest"`."""
    return f"{method.upper()} {path_pattern(path)}"


@dataclass(frozen=True)
class LoggedRequest:
    """One line of a request log."""

    t: float
    method: str
    path: str
    status: int

    @property
    def key(self) -> str:
        """`"METHOD path-pattern"`, as count_requests counts it."""
        return request_key(self.method, self.path)


def request_line(method: str, path: str, status: int, t: float) -> bytes:
    """One log line (JSON and a newline) for a request; the path is passed through logged_path."""
    record = {"t": t, "method": method, "path": logged_path(path), "status": status}
    return (json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


def open_request_log(path: Path) -> int:
    """A descriptor appending to the log, created owner-only if missing; OSError when it cannot be."""
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), FILE_MODE)


def append_request(log: Path, method: str, path: str, status: int, t: float) -> None:
    """Append one request's line to the log file `log` with a single write (O_APPEND)."""
    line = request_line(method, path, status, t)
    fd = open_request_log(log)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read_request_log(path: Path | str) -> list[LoggedRequest]:
    """Every request in a log, in file order; none when the file does not exist yet.

    A line that is not a request record raises ValueError naming its line number.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    requests = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            requests.append(
                LoggedRequest(
                    t=float(raw["t"]),
                    method=str(raw["method"]),
                    path=str(raw["path"]),
                    status=int(raw["status"]),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}, line {number}: not a request record ({exc})") from None
    return requests


def count_requests(path: Path | str, *, status: int | None = None) -> Counter[str]:
    """How many requests of each kind a request log holds, keyed `"METHOD path-pattern"`.

    Keys are request_key's: `"POST /run_sse"` (CHAT_TURN), `"POST /api/render/proxy/lambda"`
    (RENDER_START), `"GET /api/render/proxy/lambda/<id>"` (RENDER_STATUS),
    `"GET /api/state/nemo_agent/me/<id>/latest"` (STATE), `"POST /api/upload-video/nemo_agent/me/<id>"`
    (UPLOAD), `"GET /files/<key>/<name>"` (DOWNLOAD), and the fixed paths as they are
    (`"POST /api/auth/anonymous-token"`, `"GET /api/credits/balance/simple"`, ...). Every status
    counts (a 429 too) unless `status` picks one. A missing file counts nothing.
    """
    return Counter(r.key for r in read_request_log(path) if status is None or r.status == status)
