"""One worker pool per machine: a process that runs many jobs at once, whoever asked for them.

    python -m nemo_skills.jobs.pool [--db PATH]

Agent hosts cut a tool call after 5-60 s and a shell command after about two minutes; a video takes longer.
So a job does not run inside the command or tool call that asked for it: `dispatch` puts it in the
journal's queue and starts this machine's pool when none runs (detached, see files.processes). The pool
runs up to NEMO_SKILLS_WORKERS jobs at once in one event loop, sharing one pace and one connection pool
per backend (jobs mostly wait on the network), writes their progress, heartbeats and results to the
journal, and exits after NEMO_SKILLS_POOL_IDLE seconds with nothing to do. Whoever asked, and anyone who
asks the same thing later, waits on the journal (`jobs.attach`); a caller that is cut off loses nothing.

Where jobs are in SQLite (one machine), the pool takes them from the journal itself: a job whose owner
is gone or whose heartbeat is stale is taken up again. Where they are in PostgreSQL, dispatch, claims and
the recovery of a dead machine's jobs come from the engine (`jobs.engine`).

A job runs under the token it was asked with: its queue (`queue_name`) names the token (as a hash) and
the API base, so only a pool with the same ones takes it up. A job asked for with no NEMO_TOKEN uses
the anonymous token of the machine (the data folder) it was asked on, and stays there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import sys
import time
import traceback
from pathlib import Path

from pydantic import BaseModel

from nemo_skills import protocol
from nemo_skills.catalog.registry import get_catalog
from nemo_skills.client.events import StillWorking
from nemo_skills.client.pace import ConnectionPool, pace_for
from nemo_skills.client.settings import ClientOptions
from nemo_skills.errors import InputError, NemoSkillsError
from nemo_skills.files.atomic import atomic_write_bytes, data_dir
from nemo_skills.files.edge import mask_credentials_in_logs
from nemo_skills.files.locks import lock_held, try_file_lock
from nemo_skills.files.processes import spawn_detached
from nemo_skills.jobs.backends import Backend, client_options_from_env, open_backend
from nemo_skills.jobs.database import Database
from nemo_skills.jobs.journal import BEAT_SECONDS, Job, Journal
from nemo_skills.jobs.progress_events import ProgressEvent, RenderUpdate, ReplyText, Transfer
from nemo_skills.jobs.session_store import SessionStore
from nemo_skills.jobs.steps import CancelWatch, JobContext, execute

log = logging.getLogger(__name__)

ENV_WORKERS = "NEMO_SKILLS_WORKERS"
# Jobs mostly wait on the backend, and the shared pace holds requests to its rate.
DEFAULT_WORKERS = 64
ENV_POOL_IDLE = "NEMO_SKILLS_POOL_IDLE"
DEFAULT_IDLE = 60.0
# How often a pool on SQLite looks for jobs given to it.
LOOK_EVERY = 0.25
# How long a pool being started counts as starting (its imports take about a second).
STARTING_GRACE = 10.0
LOGS = "workers"
LOG_KEPT_BYTES = 1024 * 1024
MACHINE_ID = "machine-id"
# Byte and render progress come many times a second; waiters poll a few times a second.
EVENT_INTERVAL = 0.5


def _env_number(name: str, default: float, *, minimum: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise InputError(f"{name} must be a number of at least {minimum:g}, not {raw!r}.")
    return value


def workers() -> int:
    """How many jobs a machine's pool runs at once (NEMO_SKILLS_WORKERS, default 64)."""
    return int(_env_number(ENV_WORKERS, DEFAULT_WORKERS, minimum=1))


def idle_seconds() -> float:
    """How long a pool with nothing to do waits before it exits (NEMO_SKILLS_POOL_IDLE)."""
    return _env_number(ENV_POOL_IDLE, DEFAULT_IDLE, minimum=0)


def check_settings() -> None:
    """InputError for a bad NEMO_SKILLS_WORKERS or NEMO_SKILLS_POOL_IDLE: the caller's error line, not a
    pool that never starts."""
    workers()
    idle_seconds()


def machine_id() -> str:
    """This data folder's own id: jobs under its anonymous token stay with it.

    Made once: two processes making it at once both end up with the first one written.
    """
    path = data_dir() / MACHINE_ID
    with contextlib.suppress(OSError):
        found = path.read_text(encoding="ascii").strip()
        if found:
            return found
    draft = path.with_name(f".{MACHINE_ID}.{secrets.token_hex(4)}")
    atomic_write_bytes(draft, secrets.token_hex(8).encode("ascii"))
    try:
        os.link(draft, path)  # never replaces an id another process wrote first
    except FileExistsError:
        pass
    except OSError:
        # A file system without hard links: the rare race of two first uses is accepted there.
        with contextlib.suppress(OSError):
            os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()


def queue_name() -> str:
    """The queue of a job asked for now: the token it runs under (hashed, never kept) and the API base."""
    token = os.environ.get(protocol.ENV_TOKEN, "").strip()
    scope = f"token:{token}" if token else f"machine:{machine_id()}"
    base = os.environ.get(protocol.ENV_API_BASE, "").strip()
    return "nemo_" + hashlib.sha256(f"{scope}\n{base}".encode()).hexdigest()[:20]


def _pool_name(journal: Journal, queue: str) -> str:
    return hashlib.sha256(f"{journal.db.location}\n{queue}".encode()).hexdigest()[:16]


def pool_log(journal: Journal, queue: str) -> Path:
    """Where this machine's pool for a queue writes what it prints (tracebacks of unforeseen failures).

    A log past LOG_KEPT_BYTES is moved to `.old` (replacing the one before) when a pool starts: logs
    never grow for ever.
    """
    folder = data_dir() / LOGS
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_file = folder / f"pool-{_pool_name(journal, queue)}.log"
    with contextlib.suppress(OSError):
        if log_file.stat().st_size > LOG_KEPT_BYTES:
            os.replace(log_file, log_file.with_name(log_file.name + ".old"))
    return log_file


def _pool_lock(journal: Journal, queue: str) -> Path:
    return data_dir() / LOGS / f"pool-{_pool_name(journal, queue)}.lock"


def ensure_pool(journal: Journal, queue: str) -> None:
    """Start this machine's pool for `queue` unless it runs (it holds its lock for as long as it lives)
    or is starting (a marker beside the lock, younger than STARTING_GRACE, that the pool removes)."""
    lock = _pool_lock(journal, queue)
    if queue != queue_name() or lock_held(lock):
        return  # another token's jobs wait for a pool started with that token
    check_settings()
    starting = lock.with_name(lock.name + ".starting")
    lock.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(starting, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        try:
            age = time.time() - starting.stat().st_mtime
        except OSError:
            return  # removed just now: the pool holds its lock
        if age < STARTING_GRACE:
            return
        starting.touch()  # a pool that never came up: start another
    argv = [sys.executable, "-m", "nemo_skills.jobs.pool"]
    if isinstance(journal.db, Database):
        argv += ["--db", str(journal.db.path)]
    spawn_detached(argv, env=dict(os.environ), log=pool_log(journal, queue))


def dispatch(journal: Journal, job_id: str, *, options: ClientOptions | None = None) -> bool:
    """Give an unfinished job nobody works on to this machine's pool, and make sure the pool runs.

    False when the job waits for pools of another token (it was asked for under another NEMO_TOKEN, or
    under another machine's anonymous token): it keeps its queue, and this machine cannot run it.
    """
    queue = queue_name()
    job = journal.queue_for(job_id, queue, options.model_dump_json() if options is not None else None)
    if job is None:
        return True
    if job.queue != queue:
        return False
    if journal.db.kind == "postgres":
        from nemo_skills.jobs.engine import enqueue

        enqueue(journal, job)
    ensure_pool(journal, queue)
    return True


class EventPoster:
    """A progress callback that writes a job's events to the journal, byte and render ticks thinned out."""

    def __init__(self, journal: Journal, job_id: str, interval: float = EVENT_INTERVAL) -> None:
        self.journal = journal
        self.job_id = job_id
        self.interval = interval
        self._last_tick = 0.0
        self._held: BaseModel | None = None

    def __call__(self, event: ProgressEvent) -> None:
        if isinstance(event, ReplyText) and event.partial:
            return  # a live preview: the finished text follows
        if isinstance(event, RenderUpdate | Transfer | StillWorking):
            now = time.monotonic()
            if now - self._last_tick < self.interval:
                self._held = event
                return
            self._last_tick = now
        elif self._held is not None:
            self._post(self._held)
        self._held = None
        self._post(event)

    def _post(self, event: BaseModel) -> None:
        try:
            self.journal.post(self.job_id, event.model_dump_json())
        except NemoSkillsError as exc:
            # Progress is for show: a busy or full database must not fail the job itself.
            log.warning("progress of %s not recorded: %s", self.job_id, exc.message)


class Runner:
    """What the jobs of a pool share: the journal, the session store, one backend and one connection
    pool per backend; `run` takes one job to its end and records how it ended."""

    def __init__(self, journal: Journal, limit: int) -> None:
        self.journal = journal
        self.limit = limit
        sessions = journal.db if isinstance(journal.db, Database) else None
        self.store = SessionStore(sessions)
        self.running: dict[str, asyncio.Task[None]] = {}
        self.cancels = CancelWatch(journal)
        self._backends: dict[str, Backend] = {}
        self._connections: dict[str, ConnectionPool] = {}
        self._stack = contextlib.ExitStack()

    def _backend(self, label: str) -> Backend:
        if label not in self._backends:
            self._backends[label] = self._stack.enter_context(open_backend(label))
            pace_for(self._backends[label].base_url).raise_limit(self.limit)
        return self._backends[label]

    def start(self, job: Job) -> None:
        """Run a job taken for this pool in a task of its own."""
        self.running[job.job_id] = asyncio.create_task(self.run(job), name=job.job_id)

    async def run(self, job: Job) -> None:
        """Take one job to its end; the journal records how it ended (an unforeseen failure too)."""
        try:
            options = (
                ClientOptions.model_validate_json(job.client_options)
                if job.client_options
                else client_options_from_env()
            )
            backend = self._backend(job.spec.backend)
            pool = self._connections.setdefault(backend.label, ConnectionPool())
            catalog = get_catalog(Path(job.registry) if job.registry else None)
            poster = EventPoster(self.journal, job.job_id)
            ctx = JobContext(backend, catalog, self.store, self.journal, options, poster, pool=pool)
            with contextlib.suppress(NemoSkillsError):  # recorded in the journal by execute
                await self.cancels.run(job.job_id, execute(job, ctx))
            self._set_aside(job.job_id)
        except NemoSkillsError as exc:  # before its steps began: the backend or options
            self._failed(job.job_id, exc.message, exc.error_code, exc.action, int(exc.exit_code))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            traceback.print_exception(exc)
            self._failed(
                job.job_id,
                f"the job's worker failed unexpectedly ({type(exc).__name__}: {exc}); its log is "
                f"{pool_log(self.journal, job.queue or '')}",
                "internal",
                "Run the same command again to retry it, and please report the log.",
                1,
            )
        finally:
            self.running.pop(job.job_id, None)

    def _set_aside(self, job_id: str) -> None:
        # Unfinished after its steps gave up for now (a render that could not be checked before its
        # deadline): it waits for someone to ask again (`wait`, the same command, `resume`), as it
        # would have without a pool, instead of being taken up again at once, for ever.
        with contextlib.suppress(NemoSkillsError):
            job = self.journal.get(job_id)
            if job is not None and not job.finished:
                self.journal.update(job, queue=None, owner=None)

    def _failed(self, job_id: str, error: str, code: str, action: str | None, exit_code: int) -> None:
        with contextlib.suppress(NemoSkillsError):
            job = self.journal.get(job_id)
            if job is None or job.finished:
                return
            self.journal.update(
                job,
                state="failed",
                resume_from=job.state,
                error=error,
                error_code=code,
                action=action,
                exit_code=exit_code,
                owner=None,
            )

    async def beat(self) -> None:
        """Renew the heartbeats of the running jobs, for as long as the pool lives."""
        while True:
            await asyncio.sleep(BEAT_SECONDS)
            with contextlib.suppress(NemoSkillsError):
                self.journal.beat_many(list(self.running))

    async def aclose(self) -> None:
        """Stop the running jobs (they stay unfinished, for a pool to take up) and close what they shared."""
        for task in list(self.running.values()):
            task.cancel()
        await asyncio.gather(*self.running.values(), return_exceptions=True)
        for pool in self._connections.values():
            await pool.aclose()
        self._stack.close()


async def serve(journal: Journal, queue: str, *, limit: int, idle: float) -> None:
    """Run the jobs of `queue` in this process until there has been nothing to do for `idle` seconds."""
    runner = Runner(journal, limit)
    beating = asyncio.create_task(runner.beat())
    watching = asyncio.create_task(runner.cancels.watch())
    try:
        if journal.db.kind == "postgres":
            from nemo_skills.jobs.engine import work_queue

            await work_queue(journal, queue, runner, idle=idle)
            return
        quiet_since = time.monotonic()
        while True:
            for job in journal.claim_queued(queue, limit - len(runner.running), runner.running):
                runner.start(job)
            now = time.monotonic()
            if runner.running:
                quiet_since = now
            elif now - quiet_since >= idle:
                return
            await asyncio.sleep(LOOK_EVERY)
    finally:
        beating.cancel()
        watching.cancel()
        await runner.aclose()


def main(argv: list[str] | None = None) -> int:
    """The pool's entry point: hold this machine's pool lock, run jobs until idle, exit 0."""
    parser = argparse.ArgumentParser(prog="nemo_skills.jobs.pool", description=__doc__)
    parser.add_argument("--db", type=Path, default=None, help="The SQLite journal (default: the user's).")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The log is kept: no credential in a URL may reach it.
    mask_credentials_in_logs()
    try:
        journal = Journal(args.db)
        queue, limit, idle = queue_name(), workers(), idle_seconds()
        while True:
            lock = _pool_lock(journal, queue)
            with try_file_lock(lock) as mine:
                lock.with_name(lock.name + ".starting").unlink(missing_ok=True)
                if not mine:
                    return 0  # this machine's pool for the queue runs already
                asyncio.run(serve(journal, queue, limit=limit, idle=idle))
            # A job queued just before the lock was let go found the pool still running: take it now.
            if not journal.waiting(queue):
                return 0
    except NemoSkillsError as exc:
        print(exc.user_message(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
