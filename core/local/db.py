"""The backend's SQLite database: one file per data folder, shared by every backend process using it.

WAL mode lets readers go on while one process writes; a busy timeout makes a
writer wait its turn instead of failing. Each change is one transaction, and a
read-modify-write starts with `BEGIN IMMEDIATE`, so it holds the write lock
from its first read and no other process can slip a change in between.
Connections are per thread (the event loop, render workers), opened lazily.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import AbstractContextManager
from pathlib import Path

from nemo_skills.errors import LocalStateError
from nemo_skills.files.sqlite_files import connect, is_not_a_database, set_aside, transaction
from nemo_skills.local.private import private_file

DB_FILE = "backend.db"
SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (user_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clients (client_id TEXT PRIMARY KEY, user_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    key TEXT PRIMARY KEY, client_id TEXT, expires_at REAL NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_by_client ON tokens (client_id);
CREATE TABLE IF NOT EXISTS sessions (session_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS renders (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    owner TEXT,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS owners (owner TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL);
"""


def _set_aside(path: Path, exc: sqlite3.DatabaseError) -> LocalStateError:
    """Move a damaged or foreign database file out of the way, keeping it, and say so."""
    try:
        backup = set_aside(path)
    except OSError as err:
        return LocalStateError(
            f"{path} is not a local backend database ({exc}) and could not be moved aside: {err.strerror}.",
            action="Move or delete the file, then run the command again.",
        )
    return LocalStateError(
        f"{path} was not a local backend database ({exc}); it was kept as {backup.name}.",
        action="Run the command again: the local backend starts a new database (credits and sessions anew).",
    )


class Database:
    """Connections to one SQLite file, one per thread, and transactions over them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []
        # The folder is the store's to create and tighten (see private.claim_data_dir).
        path.parent.mkdir(parents=True, exist_ok=True)
        # Made 0600 before SQLite opens it: its -wal and -shm files take the same mode; ones an
        # older version left readable are tightened too.
        for item in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
            if item == path or item.exists():
                private_file(item)
        try:
            with self.write() as conn:
                for statement in filter(str.strip, SCHEMA.split(";")):
                    conn.execute(statement)
                conn.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
                )
        except sqlite3.DatabaseError as exc:
            self.close()
            if not is_not_a_database(exc):
                raise  # busy, locked, out of space: the file may be fine
            raise _set_aside(path, exc) from exc

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r})"

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, in autocommit mode so transactions are always explicit."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # NORMAL: a power cut may lose the last commits of this offline test server, never its file.
            conn = connect(self.path, synchronous="NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def write(self) -> AbstractContextManager[sqlite3.Connection]:
        """One read-modify-write transaction, holding the write lock from its first statement."""
        return transaction(self.connection())

    def read(self) -> AbstractContextManager[sqlite3.Connection]:
        """A read transaction: every statement in it sees the same snapshot."""
        return transaction(self.connection(), write=False)

    def close(self) -> None:
        """Close every connection this object opened."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()
