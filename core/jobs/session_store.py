"""Sessions remembered between runs, so a later command can continue or resume an export.

Several runs may use the store at once (a batch in one terminal, an export in another, the MCP server):
records live in the user data folder's SQLite database, and every read-modify-write is one transaction, so
no run loses another's update. A `sessions.json` left by an earlier version is imported once and kept.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from nemo_skills.files.atomic import data_dir
from nemo_skills.jobs.database import Database

log = logging.getLogger(__name__)

LEGACY_STORE_FILE = "sessions.json"
MAX_RECORDS = 1000


class SessionRecord(BaseModel):
    """One remembered session."""

    skill: str
    session_id: str
    base_url: str
    created: float = Field(default_factory=time.time)
    updated: float = Field(default_factory=time.time)
    pending_render: str | None = None
    last_output: str | None = None
    pending_output: str | None = Field(default=None, description="Where the pending render is to be saved.")
    title: str | None = Field(default=None, description="The session's first request, for naming its videos.")


Change = Callable[[SessionRecord | None], SessionRecord | None]


class SessionStore:
    """Remembered sessions in the shared database; each change is one transaction."""

    def __init__(self, path: Path | Database | None = None) -> None:
        self.db = path if isinstance(path, Database) else Database(path)
        self._imported = False

    def __repr__(self) -> str:
        return f"SessionStore({str(self.db.path)!r})"

    @property
    def path(self) -> Path:
        """The database file."""
        return self.db.path

    def _import_legacy(self) -> None:
        # Once per store object: the JSON file of earlier versions becomes rows, then is renamed, never lost.
        if self._imported:
            return
        self._imported = True
        legacy = self.db.path.with_name(LEGACY_STORE_FILE)
        if self.db.path.parent != data_dir() or not legacy.is_file():
            return
        try:
            data = json.loads(legacy.read_text(encoding="utf-8"))
            records = [SessionRecord.model_validate(r) for r in data.get("sessions", [])]
        except (OSError, ValueError, ValidationError, AttributeError):
            log.warning("could not import %s; it is kept as it is", legacy)
            return
        with self.db.transaction() as conn:
            for record in records:
                conn.execute(
                    "INSERT OR IGNORE INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        record.session_id,
                        record.skill,
                        record.base_url.rstrip("/"),
                        record.created,
                        record.updated,
                        record.model_dump_json(),
                    ),
                )
        legacy.rename(legacy.with_name(LEGACY_STORE_FILE + ".imported"))

    def _rows(
        self,
        where: str = "",
        params: tuple[object, ...] = (),
        *,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> list[SessionRecord]:
        self._import_legacy()
        order = "updated DESC, rowid DESC" if newest_first else "updated, rowid"
        tail = f" LIMIT {int(limit)}" if limit is not None else ""
        rows = self.db.read(f"SELECT record FROM sessions {where} ORDER BY {order}{tail}", params)
        out: list[SessionRecord] = []
        for row in rows:
            try:
                out.append(SessionRecord.model_validate_json(row["record"]))
            except ValidationError:
                log.warning("skipping an unreadable session record in %s", self.db.path)
        return out

    def records(self) -> list[SessionRecord]:
        """Every remembered session, oldest update first."""
        return self._rows()

    def modify(self, session_id: str, change: Change) -> SessionRecord | None:
        """Change one session's record in one transaction; returns the record as stored.

        `change` gets the current record (None when there is none) and returns the new
        one, or None to leave the store as it is. `updated` is set to now.
        """
        self._import_legacy()
        with self.db.transaction() as conn:
            row = conn.execute("SELECT record FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
            old = SessionRecord.model_validate_json(row["record"]) if row is not None else None
            record = change(old)
            if record is None:
                return old
            record = record.model_copy(update={"session_id": session_id, "updated": time.time()})
            if old is not None:
                record.created = min(old.created, record.created)
            conn.execute(
                "INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    record.skill,
                    record.base_url.rstrip("/"),
                    record.created,
                    record.updated,
                    record.model_dump_json(),
                ),
            )
            conn.execute(
                "DELETE FROM sessions WHERE session_id NOT IN "
                "(SELECT session_id FROM sessions ORDER BY updated DESC LIMIT ?)",
                (MAX_RECORDS,),
            )
            return record

    def save(self, record: SessionRecord) -> None:
        """Add or replace the record of a session; `updated` is set to now."""
        self.modify(record.session_id, lambda _old: record)

    def get(self, session_id: str) -> SessionRecord | None:
        """The record of a session, or None."""
        found = self._rows("WHERE session_id = ?", (session_id,))
        return found[0] if found else None

    def last(self, skill: str | None = None, base_url: str | None = None) -> SessionRecord | None:
        """The most recently used session (of a skill, on one backend, when given).

        With a backend, one look-up in the `sessions_by_backend` index (backend, skill, updated),
        not a read of every record.
        """
        where, params = [], []
        if base_url is not None:
            # The column holds the backend without a trailing slash, as written by modify and the import.
            where.append("base_url = ?")
            params.append(base_url.rstrip("/"))
        if skill is not None:
            where.append("skill = ?")
            params.append(skill)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        newest = self._rows(clause, tuple(params), newest_first=True, limit=1)
        if newest:
            return newest[0]
        # The newest row was unreadable (skipped): the next readable one, the slow way.
        older = self._rows(clause, tuple(params), newest_first=True)
        return older[0] if older else None

    def set_pending_render(self, session_id: str, render_id: str | None) -> None:
        """Remember (or, with None, forget) a render still running for a session."""
        self.modify(session_id, lambda r: r and r.model_copy(update={"pending_render": render_id}))

    def set_last_output(self, session_id: str, path: str) -> None:
        """Remember the file a session's last export was written to."""
        self.modify(
            session_id, lambda r: r and r.model_copy(update={"last_output": path, "pending_render": None})
        )
