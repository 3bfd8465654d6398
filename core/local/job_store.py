"""Render jobs in the backend's database: recorded once per id, owned by the backend running them.

A job's status, progress and output file are in the database, so any backend on
the folder answers polls and downloads for it. A job whose backend stopped or
died is taken over by the next backend asked about it, and rendered again.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from nemo_skills.local import owners
from nemo_skills.local.db import Database
from nemo_skills.local.problems import ApiProblem
from nemo_skills.local.records import RenderJob
from nemo_skills.protocol import HTTP_RENDER_ID_TAKEN, RenderStatus

EXPIRED_MESSAGE = "render expired on the local backend; run the export again"


def new_file_key() -> str:
    """The random path part of a finished render's URL: 128 bits, so the URL cannot be guessed."""
    return secrets.token_urlsafe(16)


def render_fingerprint(job: RenderJob) -> str:
    """What makes two render requests the same request: the session, the draft and the aspect."""
    request = {"session": job.session_id, "draft": job.draft, "aspect": job.aspect}
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode("utf-8")).hexdigest()


def render_id_taken(render_id: str, reason: str) -> ApiProblem:
    """HTTP 409: the render id belongs to another render; the client should send a fresh one."""
    return ApiProblem(
        HTTP_RENDER_ID_TAKEN,
        f"render id {render_id!r} is already used {reason}; send the export again with a new id",
        status=HTTP_RENDER_ID_TAKEN,
        data={"id": render_id},
    )


class RenderJobStore:
    """The render-job half of the store; `db` and `owner` are set by the store."""

    db: Database
    owner: str

    def add_render(self, job: RenderJob) -> tuple[RenderJob, bool]:
        """Record a new render job owned by this backend, and whether it is new.

        The same request again (same id, session and draft: a client retrying) gets the job
        already recorded; the id used by another session or for another draft is a 409.
        """
        fingerprint = render_fingerprint(job)
        with self.db.write() as conn:
            row = conn.execute(
                "SELECT session_id, fingerprint, data FROM renders WHERE id = ?", (job.id,)
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO renders (id, session_id, fingerprint, owner, data) VALUES (?, ?, ?, ?, ?)",
                    (job.id, job.session_id, fingerprint, self.owner, job.model_dump_json()),
                )
                return job, True
        session_id, known, raw = row
        if session_id != job.session_id:
            raise render_id_taken(job.id, "by another session")
        if known != fingerprint:
            raise render_id_taken(job.id, "for a different draft of this session")
        return RenderJob.model_validate_json(raw), False

    def render(self, render_id: str) -> RenderJob | None:
        """A render job as it stands, or None."""
        row = self.db.connection().execute("SELECT data FROM renders WHERE id = ?", (render_id,)).fetchone()
        return RenderJob.model_validate_json(row[0]) if row else None

    def update_render(self, render_id: str, **changes: Any) -> None:
        """Change fields of a render job (status, progress, output, ...)."""
        with self.db.write() as conn:
            row = conn.execute("SELECT data FROM renders WHERE id = ?", (render_id,)).fetchone()
            if row is None:
                return
            now = time.time()
            stamps: dict[str, Any] = {"updated": now}
            if changes.get("status") in RenderStatus.TERMINAL:
                stamps["finished"] = now
            elif "status" in changes:
                stamps["finished"] = None
            job = RenderJob.model_validate_json(row[0]).model_copy(update={**changes, **stamps})
            conn.execute("UPDATE renders SET data = ? WHERE id = ?", (job.model_dump_json(), render_id))

    def claim_render(self, render_id: str) -> bool:
        """Take over an unfinished job whose backend stopped or died; True when this backend now runs it."""
        # A cheap look first: polls of a job another live backend runs must not queue for the write lock.
        row = self.db.connection().execute("SELECT owner FROM renders WHERE id = ?", (render_id,)).fetchone()
        if row is None or row[0] == self.owner or owners.is_alive(self.db.connection(), row[0]):
            return False
        with self.db.write() as conn:
            row = conn.execute("SELECT owner, data FROM renders WHERE id = ?", (render_id,)).fetchone()
            owner, raw = row
            job = RenderJob.model_validate_json(raw)
            if job.status in RenderStatus.TERMINAL or owner == self.owner or owners.is_alive(conn, owner):
                return False
            if owner is not None:
                owners.unregister(conn, owner)
            job = job.model_copy(
                update={"status": RenderStatus.PENDING, "progress": 0.0, "updated": time.time()}
            )
            conn.execute(
                "UPDATE renders SET owner = ?, data = ? WHERE id = ?",
                (self.owner, job.model_dump_json(), render_id),
            )
        return True

    def unfinished_elsewhere(self) -> list[str]:
        """Ids of unfinished jobs this backend does not own (claim_render decides if they are orphans)."""
        conn = self.db.connection()
        rows = conn.execute(
            "SELECT id, data FROM renders WHERE owner IS NULL OR owner != ?", (self.owner,)
        ).fetchall()
        return [
            render_id
            for render_id, raw in rows
            if RenderJob.model_validate_json(raw).status not in RenderStatus.TERMINAL
        ]

    def render_uses(self) -> list[RenderUse]:
        """Every render's status, file and last use, read without parsing the drafts."""
        rows = (
            self.db.connection()
            .execute(
                f"SELECT id, json_extract(data, '$.status'), json_extract(data, '$.output'), {_EXPIRED}, {_LAST_USE}"
                " FROM renders"
            )
            .fetchall()
        )
        return [
            RenderUse(rid, status, output, bool(gone), float(used))
            for rid, status, output, gone, used in rows
        ]

    def expire_renders(self, render_ids: list[str], cutoff: float) -> list[str]:
        """Mark finished renders untouched since `cutoff` as expired; the names of their files to delete.

        The conditions are checked again under the write lock: a render downloaded
        meanwhile is left as it is. Done in SQL, so the lock is held briefly.
        """
        files: list[str] = []
        still_old = f"json_extract(data, '$.status') = ? AND NOT {_EXPIRED} AND {_LAST_USE} < ? AND id = ?"
        with self.db.write() as conn:
            for render_id in render_ids:
                params = (RenderStatus.COMPLETED, cutoff, render_id)
                row = conn.execute(
                    f"SELECT json_extract(data, '$.output') FROM renders WHERE {still_old}", params
                ).fetchone()
                if row is None:
                    continue
                if row[0]:
                    files.append(str(row[0]))
                conn.execute(
                    "UPDATE renders SET data = json_set(data, '$.status', ?, '$.error', ?,"
                    " '$.expired', json('true'), '$.output', NULL, '$.size', NULL, '$.updated', ?)"
                    " WHERE id = ?",
                    (RenderStatus.FAILED, EXPIRED_MESSAGE, time.time(), render_id),
                )
        return files


# Read in SQL so the drafts are never loaded. A render's keep window starts at its last use: when it
# was requested, finished or downloaded.
_EXPIRED = "coalesce(json_extract(data, '$.expired'), 0)"
_LAST_USE = (
    "max(json_extract(data, '$.created'), json_extract(data, '$.updated'),"
    " coalesce(json_extract(data, '$.accessed'), 0))"
)


@dataclass(frozen=True)
class RenderUse:
    """What the cleaning of old renders needs to know of one render."""

    id: str
    status: str
    output: str | None
    expired: bool
    last_use: float

    def past(self, cutoff: float) -> bool:
        """Whether this is a finished render with a file, untouched since `cutoff`."""
        return self.status == RenderStatus.COMPLETED and not self.expired and self.last_use < cutoff
