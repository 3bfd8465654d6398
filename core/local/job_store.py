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
            job = RenderJob.model_validate_json(row[0]).model_copy(update={**changes, "updated": time.time()})
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

    def expire_renders(self, cutoff: float) -> list[str]:
        """Mark finished renders untouched since `cutoff` as expired; the names of their files to delete.

        Only completed renders are expired: one still pending or rendering is never
        touched, and a failed one has no file and keeps its own error.
        """
        files: list[str] = []
        with self.db.write() as conn:
            for render_id, raw in conn.execute("SELECT id, data FROM renders").fetchall():
                job = RenderJob.model_validate_json(raw)
                if job.status != RenderStatus.COMPLETED or job.expired or last_use(job) >= cutoff:
                    continue
                if job.output:
                    files.append(job.output)
                job = job.model_copy(
                    update={
                        "status": RenderStatus.FAILED,
                        "error": EXPIRED_MESSAGE,
                        "expired": True,
                        "output": None,
                        "size": None,
                        "updated": time.time(),
                    }
                )
                conn.execute("UPDATE renders SET data = ? WHERE id = ?", (job.model_dump_json(), render_id))
        return files

    def kept_files(self) -> set[str]:
        """Names of files under the renders folder still in use: finished renders not expired."""
        rows = self.db.connection().execute("SELECT data FROM renders").fetchall()
        jobs = [RenderJob.model_validate_json(raw) for (raw,) in rows]
        return {job.output for job in jobs if job.output and not job.expired}

    def unfinished_ids(self) -> set[str]:
        """Ids of renders still pending or rendering, on any backend of the folder."""
        rows = self.db.connection().execute("SELECT id, data FROM renders").fetchall()
        return {
            render_id
            for render_id, raw in rows
            if RenderJob.model_validate_json(raw).status not in RenderStatus.TERMINAL
        }


def last_use(job: RenderJob) -> float:
    """When a render was last requested, finished or downloaded: its keep window starts there."""
    return max(job.created, job.updated, job.accessed or 0.0)
