"""A job's worker: a process of its own that takes one job to its end, whoever asked for it.

    python -m nemo_skills.jobs.worker JOB_ID --db PATH

Agent hosts cut a tool call after 30-60 s and a shell command after about two minutes; a video takes
longer. So a job does not run inside the command or tool call that asked for it: `start_worker` starts
this module detached (see files.processes), it claims the job in the journal, runs it (`runner.execute`)
and writes its progress, heartbeat and result there. Whoever asked, and anyone who asks the same thing
later, waits on the journal (`jobs.attach`); a caller that is cut off loses nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time
import traceback
from pathlib import Path

from pydantic import BaseModel

from nemo_skills.catalog.registry import get_catalog
from nemo_skills.client.events import StillWorking
from nemo_skills.client.settings import ClientOptions
from nemo_skills.errors import JobTaken, NemoSkillsError
from nemo_skills.files.atomic import data_dir
from nemo_skills.files.edge import mask_credentials_in_logs
from nemo_skills.files.processes import spawn_detached
from nemo_skills.jobs.backends import ENV_CLIENT_OPTIONS, client_options_from_env, open_backend
from nemo_skills.jobs.journal import BEAT_SECONDS, Job, Journal, owner_tag
from nemo_skills.jobs.progress_events import ProgressEvent, RenderUpdate, ReplyText, Transfer
from nemo_skills.jobs.session_store import SessionStore
from nemo_skills.jobs.steps import JobContext, execute

log = logging.getLogger(__name__)

WORKER_LOGS = "workers"
# Byte and render progress come many times a second; waiters poll a few times a second.
EVENT_INTERVAL = 0.5


def worker_log(job_id: str) -> Path:
    """Where a job's worker writes what it prints (an unexpected failure's traceback)."""
    folder = data_dir() / WORKER_LOGS
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / f"{job_id}.log"


def start_worker(journal: Journal, job_id: str, *, options: ClientOptions | None = None) -> Job | None:
    """Start a worker for a job nobody works on; the job as handed over, or None (finished, or taken).

    The worker gets this process's environment, with `options` (when given) as its client options.
    """
    argv = [sys.executable, "-m", "nemo_skills.jobs.worker", job_id, "--db", str(journal.db.path)]
    env = dict(os.environ)
    if options is not None:
        env[ENV_CLIENT_OPTIONS] = options.model_dump_json()

    def start() -> str:
        return owner_tag(spawn_detached(argv, env=env, log=worker_log(job_id)))

    return journal.hand_over(job_id, start)


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


async def _beat(journal: Journal, job_id: str) -> None:
    while True:
        await asyncio.sleep(BEAT_SECONDS)
        with contextlib.suppress(NemoSkillsError):
            journal.beat(job_id)


async def work(journal: Journal, job: Job) -> None:
    """Run a claimed job to its end; the journal records how it ended (the error of a failure too)."""
    catalog = get_catalog(Path(job.registry) if job.registry else None)
    store = SessionStore(journal.db)
    options = client_options_from_env()
    beating = asyncio.create_task(_beat(journal, job.job_id))
    try:
        with open_backend(job.spec.backend) as backend:
            ctx = JobContext(backend, catalog, store, journal, options, EventPoster(journal, job.job_id))
            with contextlib.suppress(NemoSkillsError):  # recorded in the journal by execute
                await execute(job, ctx)
    finally:
        beating.cancel()


def _record_crash(journal: Journal, job_id: str, exc: BaseException) -> None:
    """A failure nobody foresaw: recorded as the job's end, so waiters stop and say where to look."""
    traceback.print_exception(exc)
    job = journal.get(job_id)
    if job is None or job.finished:
        return
    journal.update(
        job,
        state="failed",
        resume_from=job.state,
        error=f"the job's worker failed unexpectedly ({type(exc).__name__}: {exc}); "
        f"its log is {worker_log(job_id)}",
        error_code="internal",
        action="Run the same command again to retry it, and please report the log.",
        exit_code=1,
        owner=None,
    )


def main(argv: list[str] | None = None) -> int:
    """The worker's entry point: claim the job, run it, exit 0 however it ended (the journal says)."""
    parser = argparse.ArgumentParser(prog="nemo_skills.jobs.worker", description=__doc__)
    parser.add_argument("job_id")
    parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The log is kept when a job fails: no credential in a URL may reach it.
    mask_credentials_in_logs()
    journal = Journal(args.db)
    try:
        job = journal.claim(args.job_id)
    except JobTaken:
        return 0  # another worker has it
    except NemoSkillsError as exc:
        print(exc.user_message(), file=sys.stderr)
        return 2
    if job.finished:
        journal.release(job)
        return 0
    try:
        asyncio.run(work(journal, job))
    except BaseException as exc:
        _record_crash(journal, args.job_id, exc)
        return 1
    done = journal.get(args.job_id)
    if done is not None and done.state == "done":
        # Nothing to look into: only a failure's log is kept.
        worker_log(args.job_id).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
