"""Jobs across machines: dispatch, claims and recovery by procrastinate, on the shared PostgreSQL database.

Each job of the journal is one procrastinate job of the task `nemo_skills.run_job`, in the queue of the
token it runs under (`pool.queue_name`), with the journal's job id as its `lock` (never two at once) and
`queueing_lock` (asked twice, queued once). Every machine's pool runs a procrastinate worker on its queue:
the engine hands each job to one worker (`FOR UPDATE SKIP LOCKED`), and each worker renews its heartbeat.
A pool also asks the engine every RECOVER_EVERY seconds for jobs of workers whose heartbeat stopped
(`get_stalled_jobs`, a machine that died) and puts them back in the queue (`retry_job`), so another
machine takes them up within about STALLED + RECOVER_EVERY seconds. What a job does when taken up again
is ours (`jobs.steps`): a request marked sent is never sent again while its reply may run, a render
already asked for is waited for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from typing import Any, Protocol

from nemo_skills.errors import JobsDatabaseError
from nemo_skills.jobs.journal import Job, Journal


class Runner(Protocol):
    """What runs the jobs the engine hands this process: a worker pool's (`jobs.pool.Runner`)."""

    journal: Journal
    limit: int
    running: dict[str, asyncio.Task[None]]

    async def run(self, job: Job) -> None:
        """Take one job to its end."""


log = logging.getLogger(__name__)

TASK = "nemo_skills.run_job"
# A worker whose heartbeat is older than this is gone; its jobs are put back in the queue.
ENV_STALLED = "NEMO_SKILLS_POOL_STALLED"
STALLED = 30.0
RECOVER_EVERY = 10.0
# Taken while the engine's schema is made, so two machines starting at once make it once.
SCHEMA_LOCK = 0x4E454D50

_apps: dict[str, Any] = {}
_runners: dict[str, Runner] = {}


def stalled_after() -> float:
    """Seconds without a heartbeat after which a worker counts as gone (NEMO_SKILLS_POOL_STALLED)."""
    try:
        return max(1.0, float(os.environ.get(ENV_STALLED, "") or STALLED))
    except ValueError:
        return STALLED


def _url(journal: Journal) -> str:
    url = getattr(journal.db, "url", None)
    if not isinstance(url, str):
        raise JobsDatabaseError("the engine needs the PostgreSQL jobs database.")
    return url


def _ensure_schema(url: str) -> None:
    """Create procrastinate's tables in the jobs database once."""
    import psycopg
    from procrastinate.schema import SchemaManager

    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        row = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
        if row is None or row[0] is None:
            conn.execute(SchemaManager.get_schema())


def _app(journal: Journal) -> Any:
    """The procrastinate app of the jobs database (its schema made on first use)."""
    url = _url(journal)
    if url not in _apps:
        try:
            import procrastinate
        except ImportError as exc:
            raise JobsDatabaseError(
                "NEMO_SKILLS_JOBS_URL needs the job engine, which is not installed.",
                action='Install it with: pip install "nemo-skills[postgres]"',
            ) from exc
        journal.db.read("SELECT 1")  # a clear error for a bad URL before the engine's own
        _ensure_schema(url)
        app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(conninfo=url, min_size=1, max_size=8)
        )

        @app.task(name=TASK, pass_context=False)
        async def run_job(job_id: str) -> None:
            runner = _runners.get(url)
            if runner is None:
                raise RuntimeError("no pool runs in this process")
            job = runner.journal.take(job_id)
            if job is None:
                return  # finished meanwhile (or unknown): nothing to do
            runner.running[job_id] = asyncio.current_task()  # type: ignore[assignment]
            await runner.run(job)

        _apps[url] = app
    return _apps[url]


def enqueue(journal: Journal, job: Job) -> None:
    """Queue a journal job for the pools of its queue, unless the engine has it queued or running."""
    from procrastinate.exceptions import AlreadyEnqueued

    app = _app(journal)
    with app.open():
        rows = app.job_manager.list_jobs(lock=job.job_id)
        if any(row.status in ("todo", "doing") for row in rows):
            return
        task = app.tasks[TASK].configure(queue=job.queue, lock=job.job_id, queueing_lock=job.job_id)
        with contextlib.suppress(AlreadyEnqueued):
            task.defer(job_id=job.job_id)


async def _recover(app: Any, queue: str, stalled: float) -> None:
    """Put back in the queue the jobs of workers that stopped beating (a machine that died)."""
    while True:
        with contextlib.suppress(Exception):
            for found in await app.job_manager.get_stalled_jobs(queue=queue, seconds_since_heartbeat=stalled):
                log.warning("job %s of a stopped worker goes back in the queue", found.lock)
                await app.job_manager.retry_job(found)
        await asyncio.sleep(min(RECOVER_EVERY, stalled))


async def _waiting(app: Any, queue: str) -> bool:
    """Whether the queue holds work: queued, or running on some machine (whose jobs this pool takes up
    should that machine stop)."""
    for status in ("todo", "doing"):
        if any(True for _ in await app.job_manager.list_jobs_async(queue=queue, status=status)):
            return True
    return False


async def work_queue(journal: Journal, queue: str, runner: Runner, *, idle: float) -> None:
    """Run the engine's worker on `queue` for this pool until it has had nothing to do for `idle` s."""
    url = _url(journal)
    app = _app(journal)
    stalled = stalled_after()
    _runners[url] = runner
    async with app.open_async():
        worker = asyncio.create_task(
            app.run_worker_async(
                queues=[queue],
                concurrency=runner.limit,
                install_signal_handlers=False,
                delete_jobs="successful",
                update_heartbeat_interval=max(0.5, stalled / 3),
                stalled_worker_timeout=stalled,
            )
        )
        recovering = asyncio.create_task(_recover(app, queue, stalled))
        try:
            quiet_since = time.monotonic()
            while not worker.done():
                await asyncio.sleep(0.5)
                if runner.running or await _waiting(app, queue):
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since >= idle:
                    break
        finally:
            recovering.cancel()
            worker.cancel()
            await asyncio.gather(worker, recovering, return_exceptions=True)
            _runners.pop(url, None)
