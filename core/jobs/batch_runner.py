"""A batch: independent jobs, each in its own session with its own render, up to N at once.

"Each gets its own render" (the seeds' batch style) means each item's video holds only that item, so each
item is a job of its own. Renders happen on the server and the client only waits, so items run
concurrently. A failed item never stops the others; errors that would fail every later item the same way
(auth, credits, plan, rate limit, Ctrl-C) stop new items from starting. Every item is journaled: the same
batch command run again skips the items already done, finishes interrupted ones without a second export,
and runs the rest.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from nemo_skills.catalog.registry import Catalog
from nemo_skills.client.settings import ClientOptions
from nemo_skills.errors import (
    AuthError,
    InputError,
    InterruptedByUser,
    JobStillRunning,
    JobTaken,
    NemoSkillsError,
    NoCreditsError,
    PlanTierError,
    RateLimitedError,
)
from nemo_skills.files.edge import shorten
from nemo_skills.jobs.attach import job_outcome, note_ids, stage_of, wait_for_job
from nemo_skills.jobs.backends import CLOUD, Backend, backend_label, client_options_from_env, open_backend
from nemo_skills.jobs.batch import BatchItem
from nemo_skills.jobs.journal import Job, JobSpec, Journal, new_batch_id, owner_alive
from nemo_skills.jobs.plan import AUTO, JobPlan, job_stores, plan_job, record_plan
from nemo_skills.jobs.progress_events import JobUpdate, ProgressCallback, for_job, ignore
from nemo_skills.jobs.results import RunResult
from nemo_skills.jobs.session_store import SessionStore
from nemo_skills.jobs.steps import JobContext, execute, note_job
from nemo_skills.jobs.worker import start_worker

DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 64

# Errors that would fail every later item of a batch the same way: start no more items.
_BATCH_FATAL: tuple[type[NemoSkillsError], ...] = (
    AuthError,
    NoCreditsError,
    PlanTierError,
    RateLimitedError,
    InterruptedByUser,
)


class BatchRequest(BaseModel):
    """A batch: each item its own job (own session, own render), up to `concurrency` at once."""

    skill: str = AUTO
    items: list[BatchItem]
    output_dir: Path | None = Field(default=None, description="Folder for the outputs (default: cwd).")
    export: bool = True
    force: bool = Field(default=False, description="Replace existing outputs and redo items already done.")
    backend: str = CLOUD
    deadline: float | None = Field(default=None, gt=0)
    concurrency: int = Field(default=DEFAULT_CONCURRENCY, ge=1, le=MAX_CONCURRENCY)


class BatchItemResult(BaseModel):
    """One batch item's outcome: its result, or the error that stopped it."""

    index: int
    line: int
    label: str
    ok: bool
    skipped: bool = Field(default=False, description="Already done by an earlier run of the same batch.")
    job_id: str | None = None
    skill: str | None = None
    session_id: str | None = None
    render_id: str | None = None
    output: Path | None = None
    result: RunResult | None = None
    error: str | None = None
    error_code: str | None = Field(default=None, description="The failure's name, as --json's `error.code`.")
    exit_code: int = 0


class BatchResult(BaseModel):
    """A whole batch: every item's outcome, in the batch's order."""

    batch_id: str
    backend: str
    concurrency: int
    items: list[BatchItemResult]

    @property
    def succeeded(self) -> int:
        """How many items produced their result (now or in an earlier run)."""
        return sum(1 for i in self.items if i.ok)

    @property
    def failed(self) -> int:
        """How many items did not."""
        return len(self.items) - self.succeeded

    @property
    def exit_code(self) -> int:
        """0 when all succeeded; 130 when interrupted; else the exit code of the first failure."""
        codes = [i.exit_code for i in self.items if not i.ok]
        if InterruptedByUser.exit_code in codes:
            return InterruptedByUser.exit_code
        return codes[0] if codes else 0


def item_spec(request: BatchRequest, item: BatchItem, label: str, position: int) -> JobSpec:
    """The journal's view of one batch item."""
    folder = (request.output_dir or Path.cwd()).absolute()
    output = folder / item.output if item.output is not None else folder
    return JobSpec(
        skill=request.skill,
        text=item.text,
        files=[str(f.resolve()) for f in item.files],
        urls=list(item.urls),
        output=str(output),
        export=request.export,
        backend=label,
        position=position,
    )


class _Planned(BaseModel):
    """An item after the checks that need nothing sent: its job, or why it cannot run."""

    item: BatchItem
    index: int
    job: Job | None = None
    plan: JobPlan | None = Field(default=None, description="A new job's plan; None for one resumed.")
    done: Job | None = None
    error: NemoSkillsError | None = None

    model_config = ConfigDict(arbitrary_types_allowed=True)


def _inside(request: BatchRequest, output: Path) -> bool:
    """Whether an item's output, links followed, stays inside the batch's output folder."""
    folder = (request.output_dir or Path.cwd()).resolve()
    if output.is_absolute() or ".." in output.parts:
        return False
    return (folder / output).resolve().is_relative_to(folder)


def _plan(
    request: BatchRequest, label: str, catalog: Catalog, store: SessionStore, journal: Journal, batch_id: str
) -> list[_Planned]:
    """Each item's job: an earlier one to skip or finish, or a new one; outputs never shared."""
    taken: set[Path] = set()
    planned: list[_Planned] = []
    for index, item in enumerate(request.items, 1):
        entry = _Planned(item=item, index=index)
        planned.append(entry)
        if item.error is not None:
            entry.error = InputError(item.error)
            continue
        if item.output is not None and not _inside(request, item.output):
            entry.error = InputError(
                f"line {item.line}: output {shorten(str(item.output), 60)} is outside the output folder; "
                "give a name inside it (no absolute path, no '..', no link leading out)."
            )
            continue
        spec = item_spec(request, item, label, index)
        earlier = journal.latest_for(spec)
        if earlier is not None and earlier.state == "done" and not request.force:
            entry.done = earlier
            if earlier.output:
                taken.add(Path(earlier.output))
            continue
        if earlier is not None and not earlier.finished and owner_alive(earlier.owner):
            entry.error = JobTaken(f"item {index} is being made by another process ({earlier.owner}).")
            continue
        if earlier is not None and earlier.state != "done":
            entry.job = earlier
            if earlier.output:
                taken.add(Path(earlier.output))
            continue
        try:
            entry.plan = plan_job(
                spec, catalog, store, cwd=request.output_dir, force=request.force, taken=taken
            )
        except NemoSkillsError as exc:
            entry.error = exc
            continue
        if entry.plan.output is not None:
            taken.add(entry.plan.output)
        entry.job = record_plan(journal, journal.add(spec, batch_id=batch_id, index=index), entry.plan)
    return planned


async def run_batch(
    request: BatchRequest,
    *,
    on_progress: ProgressCallback | None = None,
    catalog: Catalog | None = None,
    store: SessionStore | None = None,
    options: ClientOptions | None = None,
    backend: Backend | None = None,
    journal: Journal | None = None,
) -> BatchResult:
    """Run every item of a batch as its own job, up to `request.concurrency` at once."""
    report = on_progress or ignore
    catalog, store, journal = job_stores(catalog, store, journal)
    if not any(i.error is None for i in request.items):
        raise InputError("no usable request in the batch: " + "; ".join(i.error or "" for i in request.items))
    label = backend.label if backend is not None else backend_label(request.backend)
    batch_id = new_batch_id()
    planned = _plan(request, label, catalog, store, journal, batch_id)
    opts = options if options is not None else client_options_from_env()
    if backend is not None:
        return await _run_planned(backend, request, planned, batch_id, catalog, store, journal, opts, report)
    with open_backend(request.backend) as started:
        return await _run_planned(started, request, planned, batch_id, catalog, store, journal, opts, report)


def _from_job(entry: _Planned, job: Job, *, ok: bool, skipped: bool = False) -> BatchItemResult:
    return BatchItemResult(
        index=entry.index,
        line=entry.item.line,
        label=entry.item.label,
        ok=ok,
        skipped=skipped,
        job_id=job.job_id,
        skill=job.skill,
        session_id=job.session_id,
        render_id=job.render_id,
        output=Path(job.output) if job.output and ok and job.spec.export else None,
        error=job.error if not ok else None,
        exit_code=job.exit_code or 0,
    )


async def _run_planned(
    backend: Backend,
    request: BatchRequest,
    planned: list[_Planned],
    batch_id: str,
    catalog: Catalog,
    store: SessionStore,
    journal: Journal,
    options: ClientOptions,
    report: ProgressCallback,
) -> BatchResult:
    total = len(planned)
    results: dict[int, BatchItemResult] = {}
    gate = asyncio.Semaphore(request.concurrency)
    stop: list[NemoSkillsError] = []

    def update(entry: _Planned, state: str, detail: str = "", job_id: str | None = None) -> None:
        report(
            JobUpdate(
                job_id=job_id,
                index=entry.index,
                total=total,
                label=entry.item.label,
                state=state,
                detail=detail,
            )
        )

    for entry in planned:
        if entry.error is not None:
            results[entry.index] = BatchItemResult(
                index=entry.index,
                line=entry.item.line,
                label=entry.item.label,
                ok=False,
                error=entry.error.user_message(),
                error_code=entry.error.error_code,
                exit_code=entry.error.exit_code,
            )
            update(entry, "failed", entry.error.message)
        elif entry.done is not None:
            results[entry.index] = _from_job(entry, entry.done, ok=True, skipped=True)
            update(entry, "skipped", f"already done: {entry.done.output or 'no export'}", entry.done.job_id)

    async def one(entry: _Planned) -> None:
        assert entry.job is not None
        async with gate:
            if stop:
                results[entry.index] = BatchItemResult(
                    index=entry.index,
                    line=entry.item.line,
                    label=entry.item.label,
                    ok=False,
                    job_id=entry.job.job_id,
                    error=f"not started: {stop[0].message}",
                    error_code=stop[0].error_code,
                    exit_code=stop[0].exit_code,
                )
                update(entry, "failed", f"not started: {stop[0].message}", entry.job.job_id)
                return
            job = journal.claim(entry.job.job_id)
            update(entry, job.state if job.state != "queued" else "running", "", job.job_id)
            ctx = JobContext(
                backend,
                catalog,
                store,
                journal,
                options,
                for_job(job.job_id, report),
                request.deadline,
                request.force,
                request.output_dir,
            )
            try:
                result = await execute(job, ctx, entry.plan)
            except NemoSkillsError as exc:
                latest = journal.get(job.job_id) or job
                note_job(exc, latest)
                results[entry.index] = _from_job(entry, latest, ok=False)
                results[entry.index].error = exc.user_message()
                results[entry.index].exit_code = exc.exit_code
                results[entry.index].error_code = exc.error_code
                update(entry, "failed", exc.message, job.job_id)
                if isinstance(exc, _BATCH_FATAL):
                    stop.append(exc)
                return
            latest = journal.get(job.job_id) or job
            item = _from_job(entry, latest, ok=True)
            item.result = result
            item.output = result.output
            results[entry.index] = item
            update(entry, "done", str(result.output or ""), job.job_id)

    tasks = [asyncio.create_task(one(e)) for e in planned if e.job is not None and e.index not in results]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return BatchResult(
        batch_id=batch_id,
        backend=backend.label,
        concurrency=request.concurrency,
        items=[results[i] for i in sorted(results)],
    )


async def resume_jobs(
    job_ids: list[str],
    *,
    on_progress: ProgressCallback | None = None,
    journal: Journal | None = None,
    options: ClientOptions | None = None,
    deadline: float | None = None,
    resend: bool = False,
) -> BatchResult:
    """Finish journaled jobs (interrupted or failed) from where each stopped; done jobs are reported as is.

    Each unfinished job goes to a worker (or keeps the one it has) and is waited on, like `run`
    and `wait` do; `deadline` bounds the wait (the jobs go on). `resend` sends again a request
    whose outcome is unknown: the one explicit way to retry it.
    """
    report = on_progress or ignore
    journal = journal if journal is not None else Journal()
    opts = options if options is not None else client_options_from_env()
    jobs: list[Job] = []
    for job_id in dict.fromkeys(job_ids):
        job = journal.get(job_id)
        if job is None:
            raise InputError(f"no job {job_id} in the journal.", action="List jobs with: nemo-skills jobs")
        jobs.append(job)
    total = len(jobs)

    async def one(index: int, job: Job) -> BatchItemResult:
        item = BatchItemResult(index=index, line=0, label=job.label, ok=True, job_id=job.job_id)

        def update(state: str, detail: str = "") -> None:
            report(
                JobUpdate(
                    job_id=job.job_id, index=index, total=total, label=job.label, state=state, detail=detail
                )
            )

        if job.state == "done":
            item.skipped, item.output = True, Path(job.output) if job.output else None
            update("skipped", f"already done: {job.output or 'no export'}")
            return item
        job = journal.reopen(job, resend=resend)
        start_worker(journal, job.job_id, options=opts)
        update(job.state if job.state != "queued" else "running")
        job = await wait_for_job(
            job.job_id,
            timeout=deadline,
            on_progress=for_job(job.job_id, report),
            journal=journal,
            options=opts,
        )
        try:
            if not job.finished:
                raise JobStillRunning(
                    f"job {job.job_id} is still running ({stage_of(job)}); it goes on.",
                    action=f"Wait for it with: nemo-skills wait {job.job_id}",
                )
            item.result = job_outcome(job)
        except NemoSkillsError as exc:
            note_ids(exc, job)
            item.ok, item.error, item.error_code, item.exit_code = (
                False,
                exc.user_message(),
                exc.error_code,
                exc.exit_code,
            )
            update("failed", exc.message)
            return item
        item.output, item.render_id = item.result.output, item.result.render_id
        item.skill, item.session_id = item.result.skill, item.result.session_id
        update("done", str(item.output or ""))
        return item

    items = await asyncio.gather(*(one(i, job) for i, job in enumerate(jobs, 1)))
    backends = sorted({job.spec.backend for job in jobs})
    return BatchResult(batch_id="resume", backend=", ".join(backends), concurrency=total, items=list(items))
