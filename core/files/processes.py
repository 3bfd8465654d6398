"""Starting a process that outlives its parent, and telling whether a process still runs.

The one place that knows how each OS does this. A job's worker must survive a host that cuts
the command or tool call which started it, a closed terminal and Ctrl-C in the terminal it was
started from: on POSIX it gets a session of its own (no controlling terminal, so no SIGHUP or
SIGINT from it); on Windows it is a detached process in a process group of its own, with no
console. The parent reaps it when it ends, so a finished worker never lingers as a zombie that
would look alive.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

IS_WINDOWS = sys.platform == "win32"


def spawn_detached(argv: Sequence[str], *, env: Mapping[str, str], log: Path | None = None) -> int:
    """Start `argv` detached from this process and its terminal; returns its pid.

    Its stdin is empty; stdout and stderr go to `log` (appended, owner-only) or nowhere.
    """
    out = (
        os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) if log is not None else subprocess.DEVNULL
    )
    kwargs: dict[str, object] = {}
    if IS_WINDOWS:  # pragma: no cover - exercised on Windows only
        flags = (
            getattr(subprocess, "DETACHED_PROCESS", 0)
            | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
            | getattr(subprocess, "CREATE_NO_WINDOW", 0)
        )
        kwargs["creationflags"] = flags
    else:
        kwargs["start_new_session"] = True
    try:
        proc: subprocess.Popen[bytes] = subprocess.Popen(
            list(argv),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            close_fds=True,
            **kwargs,  # type: ignore[call-overload]
        )
    finally:
        if isinstance(out, int) and out >= 0 and log is not None:
            os.close(out)
    # Reaped in the background: a long-lived parent (an MCP server) would otherwise keep a zombie.
    threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
    return int(proc.pid)


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this machine (never signals or disturbs it)."""
    if pid <= 0:
        return False
    if IS_WINDOWS:  # pragma: no cover - exercised on Windows only
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    # A killed process whose parent has not reaped it yet still answers signal 0. Where /proc
    # exists (Linux) its state says so; elsewhere init reaps orphans promptly.
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return False
    return stat.rpartition(b")")[2].split()[:1] == [b"Z"]


def _windows_pid_alive(pid: int) -> bool:  # pragma: no cover - Windows only
    # os.kill(pid, 0) would terminate the process on Windows: ask for its exit code instead.
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    process_query_limited_information = 0x1000
    still_active = 259
    handle = kernel32.OpenProcess(process_query_limited_information, False, pid)
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return False
        return bool(code.value == still_active)
    finally:
        kernel32.CloseHandle(handle)
