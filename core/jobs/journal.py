"""The job journal: every job's request and how far it got, durable before each step it guards.

A job moves queued → sent → rendering → downloading → done (or failed). Each move is committed to the shared
database before the step it guards begins: the chat request is marked `sent` before it goes out, the render
id is recorded before the export request, so after a crash, Ctrl-C or `kill -9` the same command (or
`nemo-skills resume JOB`) can tell what is missing and never pays for an export twice.

A job being worked on carries its owner (host and process id) and a heartbeat its owner renews; another
process takes over only a job whose owner is gone, so two identical commands at once do not both finish the
same job. The owner writes what it is doing as progress events beside the job, and the job's result when it
is done: the journal is the whole contract between a job's worker and whoever waits on it (`jobs.attach`).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import time
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from nemo_skills.errors import InputError, JobCancelled
from nemo_skills.errors import JobTaken as JobTaken
from nemo_skills.files.edge import check_name, check_prompt, mask_credentials
from nemo_skills.files.processes import pid_alive
from nemo_skills.jobs.database import Connection, Database, JobsDatabase
from nemo_skills.jobs.postgres import jobs_database
from nemo_skills.jobs.results import RunResult

JobState = Literal["queued", "sent", "rendering", "downloading", "done", "failed", "cancelled"]
JOB_STATES: tuple[JobState, ...] = (
    "queued",
    "sent",
    "rendering",
    "downloading",
    "done",
    "failed",
    "cancelled",
)
FINISHED: tuple[JobState, ...] = ("done", "failed", "cancelled")
UNFINISHED: tuple[JobState, ...] = ("queued", "sent", "rendering", "downloading")
JOB_ID_PREFIX = "job_"
# Finished jobs are kept for KEEP_DAYS, and at most MAX_JOBS_KEPT of them; an unfinished job is never pruned.
MAX_JOBS_KEPT = 5000
KEEP_DAYS = 30.0
# A worker renews its job's heartbeat this often; a job whose heartbeat is older than BEAT_STALE is
# abandoned even when its owner's pid now names another process.
BEAT_SECONDS = 10.0
BEAT_STALE = 120.0
# Progress events kept per job: enough for a waiter that polls a few times a second to miss none.
EVENTS_KEPT = 200


class JobSpec(BaseModel):
    """What a job was asked to do, as given (before routing and output naming).

    Links and a backend URL are kept whole, user and password included: the worker pool that runs
    the job, and `resume` after a crash, read the request from here and must reach the same server
    and hand the backend the same links. The journal is the user's own 0600 file, like the token
    cache. What is read out of it to be shown (labels, results, progress events, `jobs --json`)
    passes through `mask_credentials`.
    """

    skill: str = Field(description="The skill asked for ('auto' lets the router pick).")
    text: str = ""
    files: list[str] = Field(default_factory=list, description="Absolute paths of the local files.")
    urls: list[str] = Field(default_factory=list)
    output: str | None = Field(default=None, description="The output path or folder the user named.")
    export: bool = True
    backend: str = Field(description="The backend label: 'local', 'cloud' or the server URL.")
    session_id: str | None = Field(default=None, description="A session the job continues.")
    continue_last: bool = False
    position: int | None = Field(
        default=None, description="1-based place in its batch: the same request twice in a batch is two jobs."
    )
    contents: list[str] = Field(
        default_factory=list,
        description="SHA-256 of each file's contents: the same request names the same bytes, not only paths.",
    )
    send: bool = Field(default=True, description="Send the request; False only exports the session.")
    render_id: str | None = Field(default=None, description="An export job's render, started earlier.")

    # Bytes that are not UTF-8 (from argv or a file name) cannot be stored: the user reads an InputError.
    @field_validator("text")
    @classmethod
    def _text_is_utf8(cls, value: str) -> str:
        return check_prompt(value)

    @field_validator("files")
    @classmethod
    def _file_names_are_utf8(cls, value: list[str]) -> list[str]:
        return [check_name(name, "the file name") for name in value]

    @field_validator("output")
    @classmethod
    def _output_is_utf8(cls, value: str | None) -> str | None:
        return value if value is None else check_name(value, "the output name")

    def key(self) -> str:
        """Identifies the same request given again (the same command after a crash)."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


class Job(BaseModel):
    """One job as the journal holds it."""

    job_id: str
    batch_id: str | None = None
    index: int | None = Field(default=None, description="1-based position in its batch.")
    spec: JobSpec
    state: JobState = "queued"
    skill: str | None = Field(default=None, description="The skill that runs it, once chosen.")
    reason: str | None = Field(default=None, description="Why the router chose the skill (None when named).")
    session_id: str | None = None
    draft_before: str | None = Field(
        default=None, description="Fingerprint of the timeline before the request was sent."
    )
    uploaded: list[str] = Field(default_factory=list, description="Names the backend gave the uploads.")
    render_id: str | None = None
    output: str | None = Field(default=None, description="The MP4 path chosen for it.")
    size: int | None = None
    error: str | None = None
    exit_code: int | None = None
    resume_from: JobState | None = Field(default=None, description="The state a failed job had reached.")
    error_code: str | None = Field(default=None, description="The failure's stable code (see errors).")
    action: str | None = Field(default=None, description="What the user can do about the failure.")
    sent_at: float | None = Field(default=None, description="When the request was sent (Unix time).")
    sent_by: str | None = Field(default=None, description="host:pid of the process that sent it.")
    registry: str | None = Field(default=None, description="The registry.yaml a worker loads skills from.")
    result: RunResult | None = Field(default=None, description="What the job produced, once done.")
    credits_spent: float | None = Field(default=None, description="Credits its generation cost.")
    credits_estimated: bool = Field(default=False, description="credits_spent is an estimate.")
    owner: str | None = Field(default=None, description="host:pid of the process working on it.")
    queue: str | None = Field(
        default=None,
        description="The worker pools that may run it (see jobs.pool.queue_name); None: in-process.",
    )
    client_options: str | None = Field(default=None, description="ClientOptions (JSON) its worker uses.")
    created: float = Field(default_factory=time.time)
    updated: float = Field(default_factory=time.time)

    @property
    def finished(self) -> bool:
        """Done, failed or cancelled: nothing more will happen to it."""
        return self.state in FINISHED

    @property
    def label(self) -> str:
        """How lists name the job: the first words of its request, else its files or links."""
        words = self.spec.text.split()
        text = " ".join(words[:8]) + (" ..." if len(words) > 8 else "")
        inputs = ", ".join([*(Path(f).name for f in self.spec.files), *self.spec.urls])
        if text and inputs:
            return mask_credentials(f"{text} ({inputs})")
        return mask_credentials(text or inputs or self.job_id)


def new_job_id() -> str:
    """A job id that cannot collide in practice: `job_` and 12 random hex digits."""
    return JOB_ID_PREFIX + secrets.token_hex(6)


def new_batch_id() -> str:
    """A batch id: `batch_` and 12 random hex digits."""
    return "batch_" + secrets.token_hex(6)


def this_owner() -> str:
    """The owner tag of this process: its host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str | None) -> bool:
    """Whether the process named by an owner tag is still running (other hosts count as alive)."""
    if not owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname():
        return True
    try:
        return pid_alive(int(pid))
    except ValueError:
        return True


_UPSERT_JOB = """
INSERT INTO jobs (job_id, batch_id, job_key, state, skill, backend, session_id, render_id, output, owner,
                  created, updated, record)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (job_id) DO UPDATE SET
    batch_id = excluded.batch_id, job_key = excluded.job_key, state = excluded.state, skill = excluded.skill,
    backend = excluded.backend, session_id = excluded.session_id, render_id = excluded.render_id,
    output = excluded.output, owner = excluded.owner, created = excluded.created, updated = excluded.updated,
    record = excluded.record
"""
_UPSERT_BEAT = "INSERT INTO job_beats VALUES (?, ?) ON CONFLICT (job_id) DO UPDATE SET beat = excluded.beat"
_UNFINISHED_SQL = f"state IN ({', '.join(repr(state) for state in UNFINISHED)})"


class Journal:
    """The job journal in the jobs database (SQLite by default, PostgreSQL with NEMO_SKILLS_JOBS_URL)."""

    def __init__(self, db: JobsDatabase | Path | None = None) -> None:
        if db is None:
            db = jobs_database()
        self.db: JobsDatabase = Database(db) if isinstance(db, Path) else db

    def __repr__(self) -> str:
        return f"Journal({self.db.location!r})"

    @classmethod
    def beside(cls, sessions: Database) -> Journal:
        """The journal of a session store's user: in the same SQLite file, unless jobs live in PostgreSQL."""
        return cls(jobs_database(sessions))

    @staticmethod
    def _row(job: Job) -> tuple[object, ...]:
        return (
            job.job_id,
            job.batch_id,
            job.spec.key(),
            job.state,
            job.skill,
            job.spec.backend,
            job.session_id,
            job.render_id,
            job.output,
            job.owner,
            job.created,
            job.updated,
            job.model_dump_json(),
        )

    def _write(self, conn: Connection, job: Job) -> None:
        conn.execute(_UPSERT_JOB, self._row(job))

    @staticmethod
    def _parse(rows: Iterable[Any]) -> list[Job]:
        jobs: list[Job] = []
        for row in rows:
            try:
                jobs.append(Job.model_validate_json(row["record"]))
            except ValidationError:
                continue
        return jobs

    def add(
        self,
        spec: JobSpec,
        *,
        batch_id: str | None = None,
        index: int | None = None,
        owner: str | Literal["me"] | None = "me",
    ) -> Job:
        """Record a new queued job, owned by this process (or by `owner`: None leaves it to a worker)."""
        job = self._new(spec, batch_id=batch_id, index=index, owner=owner)
        with self.db.transaction() as conn:
            self._insert(conn, job)
        return job

    def _new(
        self, spec: JobSpec, *, batch_id: str | None, index: int | None, owner: str | Literal["me"] | None
    ) -> Job:
        tag = this_owner() if owner == "me" else owner
        return Job(job_id=new_job_id(), batch_id=batch_id, index=index, spec=spec, owner=tag)

    def _insert(self, conn: Connection, job: Job) -> None:
        self._write(conn, job)
        self._prune(conn, KEEP_DAYS * 86400)

    @staticmethod
    def _prune(conn: Connection, older_than: float) -> int:
        # By the `updated` index, and each table by job id: a new job costs no scan of the whole journal.
        finished = f"state IN ({', '.join(repr(state) for state in FINISHED)})"
        rows = conn.execute(
            f"SELECT job_id FROM jobs WHERE {finished} AND (updated < ? OR updated < "
            "(SELECT updated FROM jobs ORDER BY updated DESC LIMIT 1 OFFSET ?))",
            (time.time() - older_than, MAX_JOBS_KEPT),
        ).fetchall()
        ids = [str(row["job_id"]) for row in rows]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for table in ("jobs", "job_events", "job_beats"):
                conn.execute(f"DELETE FROM {table} WHERE job_id IN ({marks})", tuple(chunk))
        return len(ids)

    def prune(self, older_than_days: float = KEEP_DAYS) -> int:
        """Forget finished jobs last changed more than `older_than_days` ago (never an unfinished one);
        how many went."""
        with self.db.transaction() as conn:
            return self._prune(conn, older_than_days * 86400)

    def add_or_join(self, spec: JobSpec, prepare: Callable[[Job], Job]) -> tuple[Job, bool]:
        """A new job for `spec`, or the unfinished one of the same request (True: joined, not added).

        The look-up and the insert are one transaction, so two identical requests at once make one job.
        `prepare` fills in a new job (its plan) before it is stored; it runs inside the transaction.
        """
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT record FROM jobs WHERE job_key = ? ORDER BY created DESC, job_id DESC LIMIT 1",
                (spec.key(),),
            ).fetchone()
            found = self._parse([row]) if row is not None else []
            if found and found[0].state in UNFINISHED:
                return found[0], True
            job = prepare(self._new(spec, batch_id=None, index=None, owner=None))
            self._insert(conn, job)
            return job, False

    def reopen(self, job: Job, *, resend: bool = False, afresh: bool = False) -> Job:
        """A failed job set back to where it stopped, its error cleared, for a worker to take up.

        `resend` sends again a request whose outcome is unknown (the user's explicit retry); a job
        a live process works on is left as it is. `afresh` starts a cancelled job over from the
        beginning, in a new session (a cancelled job is otherwise left as it is).
        """
        if afresh:
            with self.db.transaction() as conn:
                row = conn.execute("SELECT record FROM jobs WHERE job_id = ?", (job.job_id,)).fetchone()
                current = self._parse([row])[0] if row is not None else job
                if current.state != "cancelled":
                    job = current
                else:
                    job = Job(
                        **{
                            **current.model_dump(include={"job_id", "batch_id", "index", "spec", "skill"}),
                            "reason": current.reason,
                            "output": current.output,
                            "registry": current.registry,
                            "client_options": current.client_options,
                        }
                    )
                    self._write(conn, job)
                    conn.execute("DELETE FROM job_events WHERE job_id = ?", (job.job_id,))
                    return job
        with self.db.transaction() as conn:
            row = conn.execute("SELECT record FROM jobs WHERE job_id = ?", (job.job_id,)).fetchone()
            current = self._parse([row])[0] if row is not None else job
            resume_at = current.resume_from if current.state == "failed" else current.state
            unknown = resend and resume_at == "sent" and not self._running(conn, current)
            if current.state != "failed" and not unknown:
                return current
            current = current.model_copy(
                update={
                    "state": "queued" if unknown else (current.resume_from or "queued"),
                    "draft_before": None if unknown else current.draft_before,
                    "sent_at": None if unknown else current.sent_at,
                    "error": None,
                    "error_code": None,
                    "action": None,
                    "exit_code": None,
                    "owner": None,
                    "updated": time.time(),
                }
            )
            self._write(conn, current)
            conn.execute("DELETE FROM job_events WHERE job_id = ?", (job.job_id,))
            return current

    def claim_queued(self, queue: str, limit: int, running: Collection[str] = ()) -> list[Job]:
        """Take up to `limit` unfinished jobs of `queue` that nobody works on, for this process (a pool);
        `running` names the jobs it runs now (one of its own it does not run any more is taken again)."""
        if limit <= 0:
            return []
        me, now = this_owner(), time.time()
        taken: list[Job] = []
        with self.db.transaction() as conn:
            rows = conn.execute(
                f"SELECT record FROM jobs WHERE {_UNFINISHED_SQL} ORDER BY created, job_id"
            ).fetchall()
            for job in self._parse(rows):
                if job.queue != queue or job.job_id in running:
                    continue
                if job.owner != me and self._running(conn, job):
                    continue
                job = job.model_copy(update={"owner": me, "updated": now})
                self._write(conn, job)
                conn.execute(_UPSERT_BEAT, (job.job_id, now))
                taken.append(job)
                if len(taken) >= limit:
                    break
        return taken

    def take(self, job_id: str) -> Job | None:
        """Take a job for this process, whoever held it (the engine has settled that nobody else runs it).

        None when the job is unknown or finished.
        """
        now = time.time()
        with self.db.transaction() as conn:
            row = conn.execute("SELECT record FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            found = self._parse([row]) if row is not None else []
            if not found or found[0].finished:
                return None
            job = found[0].model_copy(update={"owner": this_owner(), "updated": now})
            self._write(conn, job)
            conn.execute(_UPSERT_BEAT, (job_id, now))
            return job

    def queue_for(self, job_id: str, queue: str, options: str | None) -> Job | None:
        """Give an unfinished job nobody works on to the pools of `queue` (a job they cannot run yet
        keeps its queue); None when it is finished, unknown or worked on now."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT record FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            found = self._parse([row]) if row is not None else []
            if not found or found[0].finished or self._running(conn, found[0]):
                return None
            job = found[0]
            if job.queue is None:
                changes: dict[str, object] = {"queue": queue, "owner": None, "updated": time.time()}
                if options is not None:
                    changes["client_options"] = options
                job = job.model_copy(update=changes)
                self._write(conn, job)
            return job

    def waiting(self, queue: str) -> bool:
        """Whether an unfinished job of `queue` waits for a pool (nobody works on it)."""
        rows = self.db.read(f"SELECT record FROM jobs WHERE {_UNFINISHED_SQL}")
        return any(job.queue == queue and not self.running(job) for job in self._parse(rows))

    def beat_many(self, job_ids: Iterable[str]) -> None:
        """Renew the heartbeats of the jobs this process works on, in one transaction."""
        ids, now = list(job_ids), time.time()
        if not ids:
            return
        with self.db.transaction() as conn:
            for job_id in ids:
                conn.execute(_UPSERT_BEAT, (job_id, now))

    @staticmethod
    def _alive(job: Job, beats: Iterable[Any]) -> bool:
        if job.finished or not owner_alive(job.owner):
            return False
        beat = next(iter(beats), None)
        return beat is None or time.time() - float(beat["beat"]) < BEAT_STALE

    def _running(self, conn: Connection, job: Job) -> bool:
        return self._alive(job, conn.execute("SELECT beat FROM job_beats WHERE job_id = ?", (job.job_id,)))

    def running(self, job: Job) -> bool:
        """Whether a live process works on the job now (its owner runs and its heartbeat is fresh)."""
        # A read, not a transaction: waiters ask every few seconds and must not queue behind writers.
        return self._alive(job, self.db.read("SELECT beat FROM job_beats WHERE job_id = ?", (job.job_id,)))

    def beat(self, job_id: str) -> None:
        """Renew the heartbeat of a job this process works on."""
        with self.db.transaction() as conn:
            conn.execute(_UPSERT_BEAT, (job_id, time.time()))

    def post(self, job_id: str, event: str) -> None:
        """Append a progress event (JSON) of a job, for whoever waits on it; old ones are dropped."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT MAX(seq) AS last FROM job_events WHERE job_id = ?", (job_id,)
            ).fetchone()
            seq = int(row["last"] or 0) + 1
            conn.execute("INSERT INTO job_events VALUES (?, ?, ?, ?)", (job_id, seq, time.time(), event))
            if seq > EVENTS_KEPT:
                conn.execute(
                    "DELETE FROM job_events WHERE job_id = ? AND seq <= ?", (job_id, seq - EVENTS_KEPT)
                )
            conn.execute(_UPSERT_BEAT, (job_id, time.time()))

    def last_cost(self, skill: str, backend: str) -> float | None:
        """What the newest measured job of a skill (any, for 'auto') on a backend cost, if one was measured."""
        rows = self.db.read(
            "SELECT record FROM jobs WHERE backend = ? AND state = 'done' ORDER BY updated DESC LIMIT 50",
            (backend,),
        )
        for job in self._parse(rows):
            if job.credits_spent is not None and skill in ("auto", job.skill):
                return job.credits_spent
        return None

    def others_generating(self, job: Job, since: float) -> bool:
        """Whether another job of the same backend sent a request since `since`, or is generating now."""
        rows = self.db.read(
            "SELECT record FROM jobs WHERE backend = ? AND job_id != ? AND (state = 'sent' OR updated >= ?)",
            (job.spec.backend, job.job_id, since),
        )
        return any(
            other.state == "sent" or (other.sent_at is not None and other.sent_at >= since)
            for other in self._parse(rows)
        )

    def events_after(self, job_id: str, seq: int) -> list[tuple[int, str]]:
        """A job's progress events after `seq`, oldest first, as (seq, JSON)."""
        rows = self.db.read(
            "SELECT seq, event FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq", (job_id, seq)
        )
        return [(int(r["seq"]), str(r["event"])) for r in rows]

    def get(self, job_id: str) -> Job | None:
        """A job by id, or None."""
        found = self._parse(self.db.read("SELECT record FROM jobs WHERE job_id = ?", (job_id,)))
        return found[0] if found else None

    def latest_for(self, spec: JobSpec) -> Job | None:
        """The newest job recorded for the same request, or None."""
        rows = self.db.read(
            "SELECT record FROM jobs WHERE job_key = ? ORDER BY created DESC, job_id DESC LIMIT 1",
            (spec.key(),),
        )
        found = self._parse(rows)
        return found[0] if found else None

    def list(self, *, states: Iterable[str] = (), limit: int | None = None) -> list[Job]:
        """Jobs, newest first, optionally only those in some states."""
        wanted = tuple(states)
        where = f"WHERE state IN ({', '.join('?' * len(wanted))})" if wanted else ""
        sql = f"SELECT record FROM jobs {where} ORDER BY created DESC, job_id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self._parse(self.db.read(sql, wanted))

    def claim(self, job_id: str) -> Job:
        """Take a job over for this process; JobTaken when a live process owns it."""
        me = this_owner()
        with self.db.transaction() as conn:
            row = conn.execute("SELECT record FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            if row is None:
                raise InputError(
                    f"no job {job_id} in the journal.", action="List jobs with: nemo-skills jobs"
                )
            job = Job.model_validate_json(row["record"])
            if job.owner not in (None, me) and not job.finished and owner_alive(job.owner):
                raise JobTaken(
                    f"job {job_id} is being worked on by another process ({job.owner}).",
                    action="Wait for it to finish, then check it with: nemo-skills jobs",
                )
            job = job.model_copy(update={"owner": me, "updated": time.time()})
            self._write(conn, job)
            # A heartbeat left by an earlier owner must not make this one look gone.
            conn.execute("DELETE FROM job_beats WHERE job_id = ?", (job_id,))
            return job

    def update(self, job: Job, **changes: object) -> Job:
        """Commit changes to a job (before the step they guard) and return the job as stored.

        JobCancelled when the job is cancelled: the step it guards must not begin.
        """
        return self._commit(job, changes, after_cancel=False)

    def record(self, job: Job, **changes: object) -> Job:
        """Commit what became of a job whatever its state, a cancelled one included (a render saved by
        `export --render`, what it cost, its release)."""
        return self._commit(job, changes, after_cancel=True)

    def _commit(self, job: Job, changes: dict[str, object], *, after_cancel: bool) -> Job:
        new = job.model_copy(update={**changes, "updated": time.time()})
        Job.model_validate(new.model_dump())
        with self.db.transaction() as conn:
            row = conn.execute("SELECT state FROM jobs WHERE job_id = ?", (job.job_id,)).fetchone()
            if row is not None and row["state"] == "cancelled" and not after_cancel:
                raise JobCancelled(f"job {job.job_id} was cancelled; nothing more is sent for it.")
            self._write(conn, new)
        return new

    def cancel(self, job_id: str) -> tuple[Job, bool]:
        """Cancel a job: it never starts, or its steps stop before the next one; (the job, True when it
        was unfinished and is cancelled now). InputError for an unknown id."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT record FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            found = self._parse([row]) if row is not None else []
            if not found:
                raise InputError(
                    f"no job {job_id} in the journal.", action="List jobs with: nemo-skills jobs"
                )
            job = found[0]
            if job.finished:
                return job, False
            job = job.model_copy(
                update={"state": "cancelled", "resume_from": job.state, "owner": None, "updated": time.time()}
            )
            self._write(conn, job)
            return job, True

    def cancelled_among(self, job_ids: Iterable[str]) -> set[str]:
        """Which of these jobs are cancelled (a pool stops them)."""
        ids = list(job_ids)
        if not ids:
            return set()
        rows = self.db.read(
            f"SELECT job_id FROM jobs WHERE state = 'cancelled' AND job_id IN ({', '.join('?' * len(ids))})",
            tuple(ids),
        )
        return {str(row["job_id"]) for row in rows}

    def settle_render(self, session_id: str, render_id: str, *, output: str, size: int) -> tuple[str, ...]:
        """Mark done the jobs that waited on a render `export`/`resume --session` has now saved; their ids.

        A job a live process is still working on is left to it.
        """
        rows = self.db.read(
            "SELECT record FROM jobs WHERE session_id = ? AND render_id = ? AND state != 'done'",
            (session_id, render_id),
        )
        settled: tuple[str, ...] = ()
        for job in self._parse(rows):
            try:
                job = self.claim(job.job_id)
            except JobTaken:
                continue
            self.record(
                job,
                state="done",
                output=output,
                size=size,
                error=None,
                exit_code=None,
                owner=None,
            )
            settled += (job.job_id,)
        return settled
