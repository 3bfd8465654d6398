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
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from nemo_skills.catalog.registry import Catalog
from nemo_skills.client import AsyncNemoClient
from nemo_skills.client.models import Credits
from nemo_skills.client.pace import ConnectionPool, Pace, pace_for
from nemo_skills.client.settings import ClientOptions
from nemo_skills.errors import (
    AuthError,
    InputError,
    InterruptedByUser,
    JobCancelled,
    JobTaken,
    NemoSkillsError,
    NoCreditsError,
    OverBudgetError,
    PlanTierError,
    RateLimitedError,
)
from nemo_skills.files.edge import shorten
from nemo_skills.files.previews import sheet_beside_if_possible
from nemo_skills.jobs.attach import job_outcome, wait_for_job
from nemo_skills.jobs.backends import CLOUD, Backend, backend_label, client_options_from_env, open_backend
from nemo_skills.jobs.batch import BatchItem
from nemo_skills.jobs.journal import Job, JobSpec, Journal, new_batch_id, owner_alive
from nemo_skills.jobs.plan import AUTO, job_stores, plan_job, record_plan
from nemo_skills.jobs.pool import dispatch
from nemo_skills.jobs.progress_events import JobUpdate, Notice, ProgressCallback, for_job, ignore
from nemo_skills.jobs.results import RunResult
from nemo_skills.jobs.session_store import SessionStore
from nemo_skills.jobs.steps import CancelWatch, JobContext, execute, note_job

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 64
# How often a batch looks whether the backend is holding it back, to say so.
HELD_BACK_CHECK = 1.0

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
    gallery: bool = Field(
        default=True, description="Write index.html into the output folder: every item, its video and sheet."
    )
    max_credits: float | None = Field(
        default=None,
        ge=0,
        description="A budget: no item starts when the spend so far, what the running items are expected "
        "to spend and the next item's expected cost would pass it.",
    )


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
    credits_spent: float | None = Field(
        default=None, description="This item's share of the batch's spend (an estimate when items overlap)."
    )
    credits_estimated: bool = False
    preview: Path | None = Field(default=None, description="A contact sheet of its MP4, beside it.")


class BatchResult(BaseModel):
    """A whole batch: every item's outcome, in the batch's order.

    An item's reply and timeline are read from the journal when a report asks (`outcome`), so a batch
    holds no reply text in memory however many items it has.
    """

    batch_id: str
    backend: str
    concurrency: int
    items: list[BatchItemResult]
    credits_spent: float | None = Field(
        default=None, description="What the batch cost: the balance's fall across it (exact); None if unread."
    )
    gallery: Path | None = Field(
        default=None, description="index.html showing every item, in the output folder."
    )
    max_credits: float | None = Field(default=None, description="The budget the batch ran under, if any.")
    journal_path: Path | None = Field(default=None, exclude=True, description="Where the items' jobs are.")
    _journal: Journal | None = PrivateAttr(default=None)

    def outcome(self, item: BatchItemResult) -> RunResult | None:
        """What an item produced: its result as the journal keeps it (None when it made nothing)."""
        if item.result is not None or not item.ok or item.job_id is None:
            return item.result
        if self._journal is None:
            if self.journal_path is None:
                return None
            self._journal = Journal(self.journal_path)
        job = self._journal.get(item.job_id)
        return job.result if job is not None else None

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
    """An item after the checks that need nothing sent: its job, or why it cannot run.

    Its plan is in the journal with its job, not here: a batch holds no item's input in memory
    (documents can be long) until the item runs.
    """

    item: BatchItem
    index: int
    job_id: str | None = Field(default=None, description="The job to run (new, or an earlier one to finish).")
    done: str | None = Field(default=None, description="The job that already made it, in an earlier run.")
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
            entry.done = earlier.job_id
            if earlier.output:
                taken.add(Path(earlier.output))
            continue
        if earlier is not None and not earlier.finished and owner_alive(earlier.owner):
            entry.error = JobTaken(f"item {index} is being made by another process ({earlier.owner}).")
            continue
        if earlier is not None and earlier.state != "done":
            entry.job_id = earlier.job_id
            if earlier.output:
                taken.add(Path(earlier.output))
            continue
        try:
            plan = plan_job(spec, catalog, store, cwd=request.output_dir, force=request.force, taken=taken)
        except NemoSkillsError as exc:
            entry.error = exc
            continue
        if plan.output is not None:
            taken.add(plan.output)
        entry.job_id = record_plan(journal, journal.add(spec, batch_id=batch_id, index=index), plan).job_id
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


class _Budget:
    """Which items of a batch may start under --max-credits; one decision at a time."""

    def __init__(self, request: BatchRequest, journal: Journal, backend: Backend) -> None:
        assert request.max_credits is not None
        self.limit = request.max_credits
        self.running = 0
        self.costs: list[float] = []
        # Before any item of this batch is measured: the journal's last figure for the skill and backend.
        self.known = journal.last_cost(request.skill, backend.label)
        self.spent = 0.0
        self._start: Credits | None = None
        self._changed = asyncio.Condition()

    def expected(self) -> float | None:
        """What one more item is expected to cost: the most one has cost so far."""
        return max(self.costs) if self.costs else self.known

    def why(self) -> str:
        """The budget's one line: the limit and what was spent."""
        return f"the budget is {self.limit:g} credits and {self.spent:g} were spent"

    async def admit(self, read_balance: Callable[[], Awaitable[Credits | None]]) -> bool:
        """Whether the next item may start (it is then counted as running)."""
        async with self._changed:
            while True:
                cost = self.expected()
                if cost is None and self.running:
                    # Nothing known of what an item costs: the first runs alone, so it can be measured.
                    await self._changed.wait()
                    continue
                now = await read_balance()
                if now is not None:
                    self._start = self._start or now
                    self.spent = round(max(0.0, self._start.available - now.available), 6)
                if self.spent + (cost or 0.0) * (self.running + 1) > self.limit:
                    return False
                self.running += 1
                return True

    async def done(self, job: Job | None) -> None:
        """An admitted item ended: its measured cost informs the next decisions."""
        async with self._changed:
            self.running = max(0, self.running - 1)
            if job is not None and job.credits_spent is not None:
                self.costs.append(job.credits_spent)
            self._changed.notify_all()


async def _balance(
    backend: Backend, catalog: Catalog, pool: ConnectionPool, options: ClientOptions
) -> Credits | None:
    """The token's balance now, or None when it cannot be read (the batch goes on without its total)."""
    served = catalog.skills()
    if not served:
        return None
    client = AsyncNemoClient(
        served[0],
        base_url=backend.base_url,
        options=options,
        token_cache_key=backend.token_key,
        env_token=backend.env_token,
        http_client=pool.http,
    )
    try:
        return await client.credits()
    except NemoSkillsError:
        return None
    finally:
        await client.aclose()


async def _spread_spend(
    before: Credits | None,
    backend: Backend,
    catalog: Catalog,
    pool: ConnectionPool,
    options: ClientOptions,
    results: dict[int, BatchItemResult],
    journal: Journal,
) -> float | None:
    """The batch's spend (the balance's fall, exact) and each generating item's share of it.

    Items ran side by side on one token, so a share is exact only when one item generated; with more it
    is the average, marked an estimate.
    """
    after = await _balance(backend, catalog, pool, options) if before is not None else None
    if before is None or after is None:
        return None
    spent = round(max(0.0, before.available - after.available), 6)
    made = [item for item in results.values() if item.ok and not item.skipped and item.job_id]
    for item in made:
        item.credits_spent = round(spent / len(made), 6)
        item.credits_estimated = len(made) > 1
        job = journal.get(item.job_id or "")
        if job is not None:
            journal.record(
                job,
                credits_spent=item.credits_spent,
                credits_estimated=item.credits_estimated,
            )
    return spent


async def _watch_pace(pace: Pace, report: ProgressCallback, every: float = HELD_BACK_CHECK) -> None:
    """Say when the backend holds the batch back (429s), and when it lets it go at full pace again."""
    seen = pace.throttled
    while True:
        await asyncio.sleep(every)
        if pace.throttled > seen:
            seen = pace.throttled
            report(
                Notice(
                    level="warning",
                    message=f"The backend asked to slow down (HTTP 429, {seen} time(s) so far): waiting "
                    f"{pace.held_back:.0f} s, then about {pace.rate or 0:.1f} requests a second.",
                )
            )


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
    stop: list[NemoSkillsError] = []
    # One connection pool for every item: a client per job would churn memory the process keeps.
    pool = ConnectionPool()
    cancels = CancelWatch(journal)

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
        elif entry.done is not None and (done := journal.get(entry.done)) is not None:
            results[entry.index] = _from_job(entry, done, ok=True, skipped=True)
            update(entry, "skipped", f"already done: {done.output or 'no export'}", done.job_id)

    budget = _Budget(request, journal, backend) if request.max_credits is not None else None

    def not_started(entry: _Planned, why: NemoSkillsError, state: str) -> None:
        results[entry.index] = BatchItemResult(
            index=entry.index,
            line=entry.item.line,
            label=entry.item.label,
            ok=False,
            job_id=entry.job_id,
            error=f"not started: {why.message}",
            error_code=why.error_code,
            exit_code=why.exit_code,
        )
        update(entry, state, f"not started: {why.message}", entry.job_id)

    async def one(entry: _Planned) -> None:
        assert entry.job_id is not None
        if stop:
            not_started(entry, stop[0], "failed")
            return
        if budget is not None and not await budget.admit(lambda: _balance(backend, catalog, pool, options)):
            not_started(entry, OverBudgetError(budget.why()), "skipped")
            return
        try:
            await _run_one(entry)
        finally:
            if budget is not None:
                await budget.done(journal.get(entry.job_id))

    async def _run_one(entry: _Planned) -> None:
        assert entry.job_id is not None
        job = journal.claim(entry.job_id)
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
            pool,
            # Only a budget needs each item's cost; the batch's total comes from two reads.
            measure_credits=request.max_credits is not None,
        )
        try:
            result = await cancels.run(job.job_id, execute(job, ctx))
        except NemoSkillsError as exc:
            latest = journal.get(job.job_id) or job
            note_job(exc, latest)
            results[entry.index] = _from_job(entry, latest, ok=False)
            results[entry.index].error = exc.user_message()
            results[entry.index].exit_code = exc.exit_code
            results[entry.index].error_code = exc.error_code
            update(entry, "cancelled" if isinstance(exc, JobCancelled) else "failed", exc.message, job.job_id)
            if isinstance(exc, _BATCH_FATAL):
                stop.append(exc)
            return
        latest = journal.get(job.job_id) or job
        # The reply and timeline stay in the journal (job.result) until the report reads them.
        item = _from_job(entry, latest, ok=True)
        item.output = result.output
        if request.gallery and result.output is not None:
            item.preview = await asyncio.to_thread(sheet_beside_if_possible, result.output)
        results[entry.index] = item
        update(entry, "done", str(result.output or ""), job.job_id)

    waiting = iter([e for e in planned if e.job_id is not None and e.index not in results])

    async def worker() -> None:
        # A fixed set of workers takes the items in order: nothing per item waits in memory.
        for entry in waiting:
            await one(entry)

    pace = pace_for(backend.base_url)
    pace.raise_limit(request.concurrency)
    try:
        balance = await _balance(backend, catalog, pool, options)
        watcher = asyncio.create_task(_watch_pace(pace, report))
        watching = asyncio.create_task(cancels.watch())
        tasks = [asyncio.create_task(worker()) for _ in range(request.concurrency)]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        finally:
            watcher.cancel()
            watching.cancel()
        spent = await _spread_spend(balance, backend, catalog, pool, options, results, journal)
    finally:
        await pool.aclose()
    summary = BatchResult(
        batch_id=batch_id,
        backend=backend.label,
        concurrency=request.concurrency,
        items=[results[i] for i in sorted(results)],
        credits_spent=spent,
        max_credits=request.max_credits,
        journal_path=getattr(journal.db, "path", None),
    )
    summary._journal = journal
    if request.gallery and request.export:
        summary.gallery = _write_gallery(request, summary)
    return summary


def _write_gallery(request: BatchRequest, result: BatchResult) -> Path | None:
    """index.html in the batch's folder: each item's sheet, video, request, skill, state and credits."""
    from nemo_skills.files.gallery import GalleryItem, write_gallery

    folder = (request.output_dir or Path.cwd()).resolve()
    shown = []
    for item in result.items:
        video = item.output if item.output is not None else None
        sheet = (
            item.preview
            if item.preview is not None
            else (sheet_beside_if_possible(video) if video and video.is_file() else None)
        )
        shown.append(
            GalleryItem(
                request=item.label,
                state="skipped" if item.skipped else ("done" if item.ok else "failed"),
                skill=item.skill,
                error=(item.error or "").splitlines()[0] if not item.ok else None,
                credits_spent=item.credits_spent,
                credits_estimated=item.credits_estimated,
                video=video,
                sheet=sheet,
                job_id=item.job_id,
            )
        )
    try:
        return write_gallery(
            folder, shown, title=f"Batch {result.batch_id}", total_credits=result.credits_spent
        )
    except OSError as exc:
        log.warning("the batch's gallery was not written: %s", exc.strerror or exc)
        return None


async def resume_jobs(
    job_ids: list[str],
    *,
    on_progress: ProgressCallback | None = None,
    journal: Journal | None = None,
    options: ClientOptions | None = None,
    deadline: float | None = None,
    resend: bool = False,
    afresh: bool = False,
) -> BatchResult:
    """Finish journaled jobs (interrupted or failed) from where each stopped; done jobs are reported as is.

    A cancelled job is reported as cancelled and left so, unless `afresh` starts it over.

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
        if job.state == "cancelled" and not afresh:
            try:
                job_outcome(job)
            except NemoSkillsError as exc:
                item.ok, item.error, item.error_code, item.exit_code = (
                    False,
                    exc.user_message(),
                    exc.error_code,
                    exc.exit_code,
                )
            update("cancelled", "cancelled; resume --afresh starts it over")
            return item
        job = journal.reopen(job, resend=resend, afresh=afresh)
        dispatch(journal, job.job_id, options=opts)
        update(job.state if job.state != "queued" else "running")
        job = await wait_for_job(
            job.job_id,
            timeout=deadline,
            on_progress=for_job(job.job_id, report),
            journal=journal,
            options=opts,
        )
        try:
            item.result = job_outcome(job, waited=deadline)
        except NemoSkillsError as exc:
            note_job(exc, job)
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
    for batch_id in sorted({job.batch_id for job in jobs if job.batch_id is not None}):
        await asyncio.to_thread(rewrite_gallery, journal, batch_id)
    backends = sorted({job.spec.backend for job in jobs})
    return BatchResult(batch_id="resume", backend=", ".join(backends), concurrency=total, items=list(items))


def rewrite_gallery(journal: Journal, batch_id: str) -> Path | None:
    """Write a batch's index.html again from the journal (after `resume` finished some of its jobs), in the
    folder where the batch wrote it; None when it wrote none (--no-gallery) or it cannot be found."""
    from nemo_skills.files.gallery import GALLERY_NAME, GalleryItem, write_gallery

    jobs = sorted((j for j in journal.list() if j.batch_id == batch_id), key=lambda j: j.index or 0)
    folders = {
        place
        for job in jobs
        if job.spec.output
        for place in (Path(job.spec.output), *Path(job.spec.output).parents)
        if (place / GALLERY_NAME).is_file()
    }
    if not jobs or not folders:
        return None
    folder = max(folders, key=lambda place: len(place.parts))  # the batch's own folder, not one above it
    shown = []
    for job in jobs:
        video = Path(job.output) if job.state == "done" and job.output else None
        shown.append(
            GalleryItem(
                request=job.label,
                state=job.state,
                skill=job.skill,
                error=(job.error or "").splitlines()[0] if job.state in ("failed", "cancelled") else None,
                credits_spent=job.credits_spent,
                credits_estimated=job.credits_estimated,
                video=video,
                sheet=sheet_beside_if_possible(video) if video is not None and video.is_file() else None,
                job_id=job.job_id,
            )
        )
    try:
        return write_gallery(folder, shown, title=f"Batch {batch_id}")
    except OSError as exc:
        log.warning("the batch's gallery was not written: %s", exc.strerror or exc)
        return None
