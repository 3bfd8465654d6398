"""The user data folder's SQLite database: remembered sessions and the job journal, shared by every process.

Any number of processes (CLI runs, `chat`, the MCP server) open the same file. WAL mode lets readers go on
while one writer commits; every change is one `BEGIN IMMEDIATE` transaction, so a read-modify-write never
interleaves with another process's. A file that is not this database (corrupt, or something else under the
name) is never overwritten: it is renamed aside and the user is told where it went.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from nemo_skills.errors import LocalStateError
from nemo_skills.files.atomic import data_dir
from nemo_skills.files.locks import file_lock
from nemo_skills.files.sqlite_files import connect, is_not_a_database, set_aside, transaction, use_wal

DB_FILE = "nemo-skills.db"
# Identifies the file as ours (PRAGMA application_id): ASCII "NEMO".
APPLICATION_ID = 0x4E454D4F
SCHEMA_VERSION = 1

# The job journal's tables: here, and in the PostgreSQL jobs database (jobs.postgres) with its own float type.
JOBS_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    batch_id TEXT,
    job_key TEXT NOT NULL,
    state TEXT NOT NULL,
    skill TEXT,
    backend TEXT NOT NULL,
    session_id TEXT,
    render_id TEXT,
    output TEXT,
    owner TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_key ON jobs (job_key, created);
CREATE INDEX IF NOT EXISTS jobs_by_update ON jobs (updated);
CREATE TABLE IF NOT EXISTS job_events (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at REAL NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
CREATE TABLE IF NOT EXISTS job_beats (
    job_id TEXT PRIMARY KEY,
    beat REAL NOT NULL
);
"""

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    skill TEXT NOT NULL,
    base_url TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_backend ON sessions (base_url, skill, updated);
"""
    + JOBS_SCHEMA
)


class Connection(Protocol):
    """What the journal's SQL runs on inside a transaction: SQLite's connection, or PostgreSQL's."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any:
        """Run one statement (`?` placeholders); a cursor with `fetchone`, `rowcount` and rows by name."""


class JobsDatabase(Protocol):
    """Where jobs live: this SQLite file by default, a shared PostgreSQL database to scale out."""

    kind: str

    @property
    def location(self) -> str:
        """Where it is, as shown to a user (a password masked)."""

    def transaction(self) -> AbstractContextManager[Connection]:
        """One change, committed on success and rolled back on any error; other writers wait."""

    def read(self, sql: str, params: tuple[object, ...] = ()) -> list[Any]:
        """Rows of one query (by column name)."""

    def close(self) -> None:
        """Close the connection (it reopens on the next use)."""


class StateStoreError(LocalStateError):
    """The user data folder's database cannot be used (not ours, damaged, or not writable)."""


_init_lock = threading.Lock()
_initialised: set[Path] = set()


def default_path() -> Path:
    """Where the database lives: the user data folder."""
    return data_dir() / DB_FILE


def _quarantine(path: Path, why: str) -> StateStoreError:
    """Rename a file that is not our database out of the way, keeping it, and say so."""
    try:
        backup = set_aside(path)
    except OSError as exc:
        return StateStoreError(
            f"{path} is not a nemo-skills database ({why}) and could not be moved aside: {exc.strerror}.",
            action="Move or delete the file, then run the command again.",
        )
    return StateStoreError(
        f"{path} was not a nemo-skills database ({why}); it was kept as {backup.name}.",
        action="Run the command again: a new database is started. Remembered sessions and jobs were in that file.",
    )


def _initialise(path: Path) -> None:
    """Create the schema in a new file, or check that an existing file is ours."""
    # Two processes creating the schema at once would see each other's half-made file.
    with file_lock(path.with_name(path.name + ".lock")):
        existed = path.exists() and path.stat().st_size > 0
        try:
            # Not in WAL yet: a file that turns out not to be ours is set aside as it was.
            conn = connect(path, wal=False)
        except sqlite3.Error as exc:
            raise StateStoreError(f"cannot open {path}: {exc}") from exc
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if existed and tables and app_id != APPLICATION_ID:
                conn.close()
                raise _quarantine(path, "it holds other tables")
            use_wal(conn)
            with transaction(conn):
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
            if is_not_a_database(exc):
                raise _quarantine(path, str(exc)) from exc
            # Busy, locked, out of space: the file may be fine, so it is left alone.
            raise StateStoreError(f"cannot use {path}: {exc}", action="Try the command again.") from exc
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
    with contextlib.suppress(OSError):
        path.chmod(0o600)


class Database:
    """A connection to the shared database, opened lazily; `transaction()` is one atomic change."""

    kind = "sqlite"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else default_path()
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r})"

    @property
    def location(self) -> str:
        """The file's path."""
        return str(self.path)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            resolved = self.path.resolve()
            with _init_lock:
                if resolved not in _initialised or not self.path.exists():
                    _initialise(self.path)
                    _initialised.add(resolved)
            try:
                # _initialise has put the file in WAL mode, which the file keeps.
                self._conn = connect(self.path, wal=False, rows_by_name=True)
            except sqlite3.Error as exc:
                raise StateStoreError(f"cannot open {self.path}: {exc}") from exc
        return self._conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One change, committed on success and rolled back on any error; other processes wait."""
        with self._lock, transaction(self._connection(), refused=self._unwritable) as conn:
            yield conn

    def _unwritable(self, exc: sqlite3.DatabaseError) -> StateStoreError:
        return StateStoreError(f"cannot write {self.path}: {exc}")

    def read(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        """Rows of one query, read from a consistent snapshot."""
        with self._lock:
            conn = self._connection()
            try:
                return list(conn.execute(sql, params))
            except sqlite3.DatabaseError as exc:
                raise StateStoreError(f"cannot read {self.path}: {exc}") from exc

    def close(self) -> None:
        """Close the connection (it reopens on the next use)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
