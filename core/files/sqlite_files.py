"""What both SQLite stores (the user's job journal, the local backend's) know of their files on disk."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

# How long a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_MS = 30_000
# SQLite's result codes for a file that is not a sound database (as opposed to busy or locked).
SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26


def is_not_a_database(exc: sqlite3.DatabaseError) -> bool:
    """Whether an error says the file itself is not a (sound) SQLite database, not that it is busy."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code in (SQLITE_CORRUPT, SQLITE_NOTADB)
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text


def set_aside(path: Path) -> Path:
    """Rename an unusable database file out of the way, keeping it; its -wal and -shm go. OSError if stuck."""
    backup = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(OSError):
            path.with_name(path.name + suffix).unlink()
    path.rename(backup)
    return backup
