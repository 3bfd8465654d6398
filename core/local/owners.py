"""Which backend processes are alive: each running backend registers itself as an owner of render jobs.

A job belongs to the backend that runs it. When that backend stops, it hands
its unfinished jobs back; when its process dies (kill -9, a crash), the pid
check below tells the other backends on the folder that they may take over.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import uuid

HOST = socket.gethostname()


def new_owner_id() -> str:
    """An id for one running backend (a process may run several, one after another)."""
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def register(conn: sqlite3.Connection, owner: str) -> None:
    """Record a running backend (inside a write transaction)."""
    conn.execute(
        "INSERT OR REPLACE INTO owners (owner, host, pid) VALUES (?, ?, ?)", (owner, HOST, os.getpid())
    )


def unregister(conn: sqlite3.Connection, owner: str) -> None:
    """Forget a backend that stopped (inside a write transaction)."""
    conn.execute("DELETE FROM owners WHERE owner = ?", (owner,))


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return False
    return True


def is_alive(conn: sqlite3.Connection, owner: str | None) -> bool:
    """Whether the backend owning a job still runs (None: nobody owns it)."""
    if owner is None:
        return False
    row = conn.execute("SELECT host, pid FROM owners WHERE owner = ?", (owner,)).fetchone()
    if row is None:
        return False
    host, pid = row
    # On another machine sharing the folder there is no way to tell, so it is trusted to be alive.
    return host != HOST or pid_alive(int(pid))
