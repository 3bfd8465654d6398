"""What both SQLite stores (the user's job journal, the local backend's) share: connections,
transactions, and what they know of their files on disk.

Both files are shared by any number of processes. A connection is in autocommit mode, so every
transaction is explicit (`transaction`), waits its turn behind another process's writer instead of
failing, and uses WAL so readers go on while one process writes.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

# How long a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_MS = 30_000
# SQLite's result codes for a file that is not a sound database (as opposed to busy or locked).
SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26


def connect(
    path: Path, *, wal: bool = True, synchronous: str | None = None, rows_by_name: bool = False
) -> sqlite3.Connection:
    """A connection to a shared database file: autocommit, a busy timeout, WAL (unless `wal=False`).

    `wal=False` is for a file not yet known to be ours: its journal mode is left alone until it is
    checked (`use_wal` then). `synchronous` sets that pragma (NORMAL trades the last commits on a
    power loss for speed; the default keeps SQLite's FULL). `rows_by_name`: rows are sqlite3.Row.
    """
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if wal:
            use_wal(conn)
        if synchronous is not None:
            conn.execute(f"PRAGMA synchronous = {synchronous}")
    except BaseException:
        conn.close()
        raise
    if rows_by_name:
        conn.row_factory = sqlite3.Row
    return conn


def use_wal(conn: sqlite3.Connection) -> None:
    """Put the database in WAL mode (kept in the file: later connections find it so)."""
    conn.execute("PRAGMA journal_mode = WAL")


@contextlib.contextmanager
def transaction(
    conn: sqlite3.Connection,
    *,
    write: bool = True,
    refused: Callable[[sqlite3.DatabaseError], Exception] | None = None,
) -> Iterator[sqlite3.Connection]:
    """One transaction: committed when the block ends, rolled back on any error (Ctrl-C included).

    `write` takes the write lock at once (BEGIN IMMEDIATE), so a read-modify-write never interleaves
    with another process's; otherwise every read in the block sees one snapshot. `refused` turns a
    failure to begin (busy past the timeout, a read-only file) into the caller's own error.
    """
    try:
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    except sqlite3.DatabaseError as exc:
        if refused is None:
            raise
        raise refused(exc) from exc
    try:
        yield conn
    except BaseException:
        # SQLite may have rolled back already (a full disk, an I/O error): then there is nothing to undo.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


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
