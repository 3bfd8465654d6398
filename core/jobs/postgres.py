"""Where jobs live: the user data folder's SQLite file, or the PostgreSQL database NEMO_SKILLS_JOBS_URL names.

One machine needs nothing: jobs are in the SQLite file beside the remembered sessions. A team, a shared
MCP server or several replicas set `NEMO_SKILLS_JOBS_URL=postgresql://USER:PASS@HOST:PORT/DB` on every
machine; then jobs, their steps, progress and results are in that database, and every machine's worker
pool shares them. Remembered sessions stay in each machine's data folder.

The journal's SQL is written once, for both stores: `?` placeholders become psycopg's `%s` here, rows
come back by column name as SQLite's do. Every change takes one transaction-wide advisory lock first,
so a read-modify-write (two identical requests joining one job) is as serial as SQLite's single
writer, across every machine. Needs the `[postgres]` extra (psycopg); nothing here is imported
without NEMO_SKILLS_JOBS_URL.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from nemo_skills.errors import InputError, JobsDatabaseError
from nemo_skills.files.edge import mask_credentials
from nemo_skills.jobs.database import JOBS_SCHEMA, Database, JobsDatabase

ENV_JOBS_URL = "NEMO_SKILLS_JOBS_URL"
SCHEMES = ("postgresql", "postgres")

SCHEMA_VERSION = 1
# Taken by every writing transaction (pg_advisory_xact_lock): one writer at a time, like SQLite.
WRITE_LOCK = 0x4E454D4F
CONNECT_TIMEOUT = 10

# SQLite's REAL is a double; PostgreSQL's is a single-precision float, too coarse for Unix times.
_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS nemo_skills_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
    + JOBS_SCHEMA.replace(" REAL ", " DOUBLE PRECISION ")
    + "CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state);"
)


class _Conn:
    """A psycopg connection that takes the journal's `?` placeholders."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self._conn.execute(sql.replace("?", "%s"), tuple(parameters))


class PgDatabase:
    """A connection to the shared PostgreSQL jobs database, opened lazily and checked once."""

    kind = "postgres"

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: Any = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"PgDatabase({self.location!r})"

    @property
    def location(self) -> str:
        """The URL with its password masked."""
        return mask_credentials(self.url)

    def _fail(self, what: str, exc: BaseException) -> JobsDatabaseError:
        detail = mask_credentials(" ".join(str(exc).split())) or type(exc).__name__
        if self.url and "@" in self.url:
            # psycopg may quote the password back in a message: never let it through.
            password = self.url.split("@", 1)[0].rpartition(":")[2]
            if password and "//" not in password:
                detail = detail.replace(password, "***")
        return JobsDatabaseError(
            f"{what} the jobs database {self.location}: {detail}",
            action="Check NEMO_SKILLS_JOBS_URL (host, port, user, password, database), or unset it.",
        )

    def _connection(self) -> Any:
        if self._conn is None or self._conn.closed:
            try:
                import psycopg
                from psycopg.rows import dict_row
            except ImportError as exc:
                raise JobsDatabaseError(
                    "NEMO_SKILLS_JOBS_URL needs the PostgreSQL driver, which is not installed.",
                    action='Install it with: pip install "nemo-skills[postgres]"',
                ) from exc
            try:
                conn = psycopg.connect(
                    self.url, autocommit=True, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT
                )
            except psycopg.Error as exc:
                raise self._fail("cannot connect to", exc) from None
            try:
                self._initialise(conn)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _initialise(self, conn: Any) -> None:
        import psycopg

        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    conn.execute(statement)
                row = conn.execute(
                    "SELECT value FROM nemo_skills_meta WHERE name = 'schema_version'"
                ).fetchone()
                if row is None:
                    conn.execute(
                        "INSERT INTO nemo_skills_meta VALUES ('schema_version', %s)", (str(SCHEMA_VERSION),)
                    )
                elif int(row["value"]) > SCHEMA_VERSION:
                    raise JobsDatabaseError(
                        f"the jobs database {self.location} was set up by a newer nemo-skills "
                        f"(schema {row['value']}, this one knows {SCHEMA_VERSION}).",
                        action="Upgrade nemo-skills on this machine, or point NEMO_SKILLS_JOBS_URL elsewhere.",
                    )
        except psycopg.Error as exc:
            raise self._fail("cannot use", exc) from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[_Conn]:
        """One change, committed on success and rolled back on any error; other writers wait."""
        import psycopg

        with self._lock:
            conn = self._connection()
            try:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                    yield _Conn(conn)
            except psycopg.OperationalError as exc:
                self.close()
                raise self._fail("lost", exc) from None
            except psycopg.Error as exc:
                raise self._fail("cannot write", exc) from None

    def read(self, sql: str, params: tuple[object, ...] = ()) -> list[Any]:
        """Rows of one query, as dicts by column name."""
        import psycopg

        with self._lock:
            conn = self._connection()
            try:
                return list(_Conn(conn).execute(sql, params))
            except psycopg.OperationalError as exc:
                self.close()
                raise self._fail("lost", exc) from None
            except psycopg.Error as exc:
                raise self._fail("cannot read", exc) from None

    def close(self) -> None:
        """Close the connection (it reopens on the next use)."""
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.close()
                self._conn = None


def jobs_url() -> str | None:
    """NEMO_SKILLS_JOBS_URL, checked (InputError names what is wrong, the password masked); None if unset."""
    url = os.environ.get(ENV_JOBS_URL, "").strip()
    if not url:
        return None
    shown = mask_credentials(url)
    action = f"Set {ENV_JOBS_URL}=postgresql://USER:PASSWORD@HOST:PORT/DATABASE, or unset it."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InputError(f"{ENV_JOBS_URL} ({shown}) does not parse: {exc}.", action=action) from None
    if parts.scheme not in SCHEMES:
        raise InputError(
            f"{ENV_JOBS_URL} ({shown}) is not a PostgreSQL URL: the scheme must be postgresql://.",
            action=action,
        )
    if not parts.hostname or port == 0 or not parts.path.strip("/"):
        raise InputError(f"{ENV_JOBS_URL} ({shown}) needs a host and a database name.", action=action)
    return url


def jobs_database(sqlite: Database | None = None) -> JobsDatabase:
    """The jobs database: PostgreSQL when NEMO_SKILLS_JOBS_URL is set, else `sqlite` (or the default file)."""
    url = jobs_url()
    if url is None:
        return sqlite if sqlite is not None else Database()
    return PgDatabase(url)
