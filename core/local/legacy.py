"""The JSON state file of earlier versions, moved into the database the first time a backend starts."""

from __future__ import annotations

import contextlib
from pathlib import Path

from pydantic import ValidationError

from nemo_skills.local.db import Database
from nemo_skills.local.job_store import render_fingerprint
from nemo_skills.local.records import StoreData

LEGACY_STATE_FILE = "state.json"


def import_legacy_state(db: Database, path: Path) -> None:
    """Copy what `path` holds into the database (keeping rows already there), then rename the file."""
    if not path.is_file():
        return
    try:
        old = StoreData.model_validate_json(path.read_bytes())
    except (OSError, ValidationError, ValueError):
        old = StoreData()
    with db.write() as conn:
        for user_id, acct in old.accounts.items():
            conn.execute("INSERT OR IGNORE INTO accounts VALUES (?, ?)", (user_id, acct.model_dump_json()))
        conn.executemany("INSERT OR IGNORE INTO clients VALUES (?, ?)", old.clients.items())
        for key, rec in old.tokens.items():
            conn.execute(
                "INSERT OR IGNORE INTO tokens VALUES (?, ?, ?, ?)",
                (key, rec.client_id, rec.expires_at, rec.model_dump_json()),
            )
        for sess in old.sessions.values():
            conn.execute(
                "INSERT OR IGNORE INTO sessions VALUES (?, ?, ?)",
                (sess.session_id, sess.user_id, sess.model_dump_json()),
            )
        for job in old.renders.values():
            conn.execute(
                "INSERT OR IGNORE INTO renders VALUES (?, ?, ?, NULL, ?)",
                (job.id, job.session_id, render_fingerprint(job), job.model_dump_json()),
            )
    # Another backend starting at the same moment may have moved it already.
    with contextlib.suppress(OSError):
        path.replace(path.with_name(LEGACY_STATE_FILE + ".imported"))
