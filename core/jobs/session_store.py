"""Sessions remembered between runs, so a later command can continue or resume an export.

Several runs may use the store at once (a batch in one terminal, an export in
another): every read-modify-write holds an advisory lock on a sibling file, so
no run loses another's update. Writes stay atomic, so readers need no lock.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from pydantic import BaseModel, Field, ValidationError

from nemo_skills.files.atomic import atomic_write_text, data_dir

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock; writes are still atomic
    fcntl = None

log = logging.getLogger(__name__)

STORE_FILE = "sessions.json"
LOCK_SUFFIX = ".lock"
MAX_RECORDS = 200


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


class _StoreFile(BaseModel):
    version: int = 1
    sessions: list[SessionRecord] = Field(default_factory=list)


class SessionStore:
    """A JSON file of session records in the user data folder, rewritten atomically on every change."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else data_dir() / STORE_FILE

    def __repr__(self) -> str:
        return f"SessionStore({str(self.path)!r})"

    def _load(self) -> _StoreFile:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return _StoreFile()
        try:
            return _StoreFile.model_validate(json.loads(raw))
        except (ValueError, ValidationError):
            # A damaged store must not stop anyone from making videos; start afresh.
            log.warning("ignoring unreadable session store %s", self.path)
            return _StoreFile()

    @property
    def lock_path(self) -> Path:
        """The sibling file whose lock guards every read-modify-write of the store."""
        return self.path.with_name(self.path.name + LOCK_SUFFIX)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # flock locks belong to the open file, so separate opens exclude each other
        # across processes and threads alike; closing the file releases the lock.
        if fcntl is None:
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                # A file system without locks (some network mounts) must not stop anyone.
                log.debug("session store %s not locked: %s", self.path, exc)
            yield
        finally:
            os.close(fd)

    def _write(self, data: _StoreFile) -> None:
        data.sessions = sorted(data.sessions, key=lambda r: r.updated)[-MAX_RECORDS:]
        atomic_write_text(self.path, data.model_dump_json(indent=2) + "\n", mode=0o600)

    def records(self) -> list[SessionRecord]:
        """Every remembered session, oldest update first."""
        return sorted(self._load().sessions, key=lambda r: r.updated)

    def modify(self, session_id: str, change: Change) -> SessionRecord | None:
        """Change one session's record under the store's lock; returns the record as stored.

        `change` gets the current record (None when there is none) and returns the new
        one, or None to leave the store as it is. `updated` is set to now. `change`
        must not use the store itself (the lock is held).
        """
        with self._locked():
            data = self._load()
            old = next((r for r in data.sessions if r.session_id == session_id), None)
            record = change(old)
            if record is None:
                return old
            record = record.model_copy(update={"session_id": session_id, "updated": time.time()})
            if old is not None:
                record.created = min(old.created, record.created)
            data.sessions = [r for r in data.sessions if r.session_id != session_id] + [record]
            self._write(data)
            return record

    def save(self, record: SessionRecord) -> None:
        """Add or replace the record of a session; `updated` is set to now."""
        self.modify(record.session_id, lambda _old: record)

    def get(self, session_id: str) -> SessionRecord | None:
        """The record of a session, or None."""
        return next((r for r in self._load().sessions if r.session_id == session_id), None)

    def last(self, skill: str, base_url: str | None = None) -> SessionRecord | None:
        """The most recently used session of a skill (on one backend, when given)."""
        matches = [
            r
            for r in self._load().sessions
            if r.skill == skill and (base_url is None or r.base_url.rstrip("/") == base_url.rstrip("/"))
        ]
        return max(matches, key=lambda r: r.updated, default=None)

    def set_pending_render(self, session_id: str, render_id: str | None) -> None:
        """Remember (or, with None, forget) a render still running for a session."""
        self.modify(session_id, lambda r: r and r.model_copy(update={"pending_render": render_id}))

    def set_last_output(self, session_id: str, path: str) -> None:
        """Remember the file a session's last export was written to."""
        self.modify(
            session_id, lambda r: r and r.model_copy(update={"last_output": path, "pending_render": None})
        )
