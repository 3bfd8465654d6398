"""Asking for a job and waiting on it: every caller (the CLI, `wait`, `resume`, the MCP tools) does it so.

    job, joined = submit_job(RunRequest(skill="auto", text="a sunset", backend="local"))
    job = await wait_for_job(job.job_id, timeout=20, on_progress=print)
    result = job_outcome(job)      # the RunResult, or the job's error raised again

`submit_job` checks a request (nothing is sent), then records a new job, or joins the unfinished job of
the identical request (same skill, text, file contents, URLs, output and session target), and makes sure
this machine's worker pool (`jobs.pool`) has it. `wait_for_job` follows the job in the journal for at
most `timeout` seconds, passing its progress on, and gives it to the pool again when nobody works on it. A caller
that gives up, is cut off or is killed loses nothing: asking again joins the same job.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from nemo_skills.catalog.registry import Catalog
from nemo_skills.client.settings import ClientOptions
from nemo_skills.errors import InputError, JobCancelled, JobStillRunning, OverBudgetError, restore_error
from nemo_skills.jobs.backends import backend_label, check_backend, client_options_from_env
from nemo_skills.jobs.journal import UNFINISHED, Job, Journal
from nemo_skills.jobs.plan import JobPlan, RunRequest, job_spec, job_stores, plan_job
from nemo_skills.jobs.pool import check_settings, dispatch
from nemo_skills.jobs.progress_events import (
    Notice,
    ProgressCallback,
    ProgressEvent,
    RenderUpdate,
    Stage,
    for_job,
    ignore,
)
from nemo_skills.jobs.results import CancelOutcome, RunResult
from nemo_skills.jobs.session_store import SessionStore
from nemo_skills.jobs.steps import note_job

# How often a waiter looks for a worker that is gone, at most.
REVIVE_EVERY = 2.0

_EVENT: TypeAdapter[ProgressEvent] = TypeAdapter(ProgressEvent)

OutputChooser = Callable[[JobPlan], Path | None]
"""Picks a new job's output from its plan (a host keeps outputs in its own folder)."""


def submit_job(
    request: RunRequest,
    *,
    catalog: Catalog | None = None,
    store: SessionStore | None = None,
    journal: Journal | None = None,
    options: ClientOptions | None = None,
    registry: Path | None = None,
    choose_output: OutputChooser | None = None,
    on_progress: ProgressCallback | None = None,
    batch: tuple[str, int] | None = None,
) -> tuple[Job, bool]:
    """The job for a request, given to the worker pool; True when it joined a job asked for earlier.

    A new request is checked first (skill, files, output), so bad input fails here with nothing
    recorded. The unfinished job of the identical request is joined as it is; a failed one goes on
    from where it stopped.
    """
    catalog, store, journal = job_stores(catalog, store, journal)
    check_backend(request.backend)
    check_settings()
    # Kept with the job: the pool that runs it may have been started by a caller with other settings.
    options = options if options is not None else client_options_from_env()
    spec = job_spec(request, backend_label(request.backend), catalog)
    latest = journal.latest_for(spec)
    joined = True
    if latest is not None and latest.state in UNFINISHED:
        job = latest
    elif latest is not None and latest.state == "failed":
        job = journal.reopen(latest)
    else:
        if request.max_credits is not None:
            check_budget(journal, request.skill, spec.backend, request.max_credits)
        plan = plan_job(
            spec, catalog, store, cwd=request.cwd, force=request.force, name_output=choose_output is None
        )
        output = choose_output(plan) if choose_output is not None else plan.output
        plan = plan.model_copy(update={"output": output})

        def planned(new: Job) -> Job:
            return new.model_copy(
                update={
                    "skill": plan.skill.name,
                    "reason": plan.reason,
                    "output": str(plan.output) if plan.output else None,
                    "registry": str(registry) if registry is not None else None,
                    # (batch id, 1-based place) of a request asked for as part of a batch.
                    "batch_id": batch[0] if batch is not None else None,
                    "index": batch[1] if batch is not None else None,
                }
            )

        job, joined = journal.add_or_join(spec, planned)
        if not joined and plan.reason is not None:
            (on_progress or ignore)(Stage(stage="route", message=f"{plan.skill.name}: {plan.reason}"))
    dispatch(journal, job.job_id, options=options)
    return journal.get(job.job_id) or job, joined


def check_budget(journal: Journal, skill: str, backend: str, limit: float) -> None:
    """OverBudgetError when the next video is expected to cost more than `limit` (the last one's cost)."""
    expected = journal.last_cost(skill, backend)
    if expected is not None and expected > limit:
        raise OverBudgetError(
            f"the budget is {limit:g} credits and the next video is expected to cost {expected:g} "
            "(what the last one on this backend cost); nothing was started."
        )


async def wait_for_job(
    job_id: str,
    *,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    journal: Journal | None = None,
    options: ClientOptions | None = None,
) -> Job:
    """The job once finished, or as it stands when `timeout` seconds pass first (it goes on).

    Its progress events reach `on_progress` as its worker records them. A job nobody works on (its
    pool is gone) goes to this machine's pool, which goes on from where the job stopped.
    """
    journal = journal if journal is not None else Journal()
    opts = options if options is not None else client_options_from_env()
    report = for_job(job_id, on_progress or ignore)
    ends = None if timeout is None else time.monotonic() + max(0.0, timeout)
    seen, revived, told = 0, time.monotonic(), False
    while True:
        for seq, raw in journal.events_after(job_id, seen):
            seen = seq
            try:
                report(_EVENT.validate_json(raw))
            except ValidationError:
                continue  # an event of another version: progress only
        job = journal.get(job_id)
        if job is None:
            raise InputError(f"no job {job_id} in the journal.", action="List jobs with: nemo-skills jobs")
        if job.finished:
            return job
        now = time.monotonic()
        if now - revived >= REVIVE_EVERY:
            revived = now
            if not journal.running(job) and not dispatch(journal, job_id, options=opts) and not told:
                told = True
                report(
                    Notice(
                        level="warning",
                        message=f"Job {job_id} runs under another token (another NEMO_TOKEN, or another "
                        "machine's anonymous token), and no pool of it runs: it goes on when one does.",
                    )
                )
        if ends is not None and now >= ends:
            return job
        pause = opts.job_poll if ends is None else min(opts.job_poll, max(0.0, ends - now))
        await asyncio.sleep(pause)


def job_outcome(job: Job, *, waited: float | None = None) -> RunResult:
    """What a job produced; a failed job's error raised again, as its worker met it; JobStillRunning for a
    job not finished yet (after `waited` seconds of waiting), which goes on."""
    if not job.finished:
        after = f" after {waited:.3g} s" if waited is not None else ""
        running = JobStillRunning(
            f"Job {job.job_id} is still running{after} ({stage_of(job)}); it goes on.",
            action=f"Wait for it with: nemo-skills wait {job.job_id}",
        )
        running.status = {
            "status": "running",
            "stage": stage_of(job),
            "progress": last_progress(job.job_id),
            "skill": job.skill,
            "output": job.output,
        }
        note_job(running, job)
        raise running
    if job.state == "cancelled":
        spent = f" ({job.credits_spent:g} credits)" if job.credits_spent else ""
        cancelled = JobCancelled(
            f"Job {job.job_id} was cancelled (while {stage_of(job, job.resume_from)}); nothing more was sent "
            f"for it. What the backend had already started is not recalled, and credits it spent stay "
            f"spent{spent}.",
            action=f"Start it afresh with: nemo-skills resume {job.job_id} --afresh",
        )
        note_job(cancelled, job)
        raise cancelled
    if job.state == "failed":
        error = restore_error(job.error_code or "internal", job.error or "the job failed.", action=job.action)
        note_job(error, job)
        raise error
    if job.result is not None:
        return job.result
    # Done by an earlier version, or by `export`/`resume --session` saving its render: what the journal has.
    return RunResult(
        job_id=job.job_id,
        skill=job.skill or job.spec.skill,
        routed=job.reason is not None,
        reason=job.reason,
        session_id=job.session_id or "",
        backend=job.spec.backend,
        text="",
        timeline="",
        uploaded=job.uploaded,
        output=Path(job.output) if job.output else None,
        render_id=job.render_id,
        size=job.size,
    )


def last_progress(job_id: str, journal: Journal | None = None) -> float | None:
    """The render's progress (0-1) a job last reported, or None before its render reports any."""
    journal = journal if journal is not None else Journal()
    for _, raw in reversed(journal.events_after(job_id, 0)):
        try:
            event = _EVENT.validate_json(raw)
        except ValidationError:
            continue
        if isinstance(event, RenderUpdate) and event.progress is not None:
            return event.progress
    return None


def stage_of(job: Job, state: str | None = None) -> str:
    """Where a job is (or was, in `state`), in words: its state, and the render's id once it renders."""
    state = state or job.state
    if state == "queued":
        return "queued" if job.session_id is None else "preparing"
    if state == "sent":
        return "generating (the request is with the backend)"
    if state == "rendering":
        return f"rendering {job.render_id}" if job.render_id else "starting the render"
    return state


def cancel_jobs(
    job_ids: list[str], *, journal: Journal | None = None, batch_ids: Sequence[str] = ()
) -> list[CancelOutcome]:
    """Cancel jobs (and every unfinished job of the batches named): a queued one never starts, a running
    one stops within seconds, sending nothing more. Unknown ids are bad input, checked before any cancel.
    """
    journal = journal if journal is not None else Journal()
    wanted = list(dict.fromkeys(job_ids))
    for job_id in wanted:
        if journal.get(job_id) is None:
            raise InputError(f"no job {job_id} in the journal.", action="List jobs with: nemo-skills jobs")
    for batch_id in dict.fromkeys(batch_ids):
        found = [job for job in journal.list() if job.batch_id == batch_id]
        if not found:
            raise InputError(
                f"no batch {batch_id} in the journal.", action="List jobs with: nemo-skills jobs"
            )
        wanted += [job.job_id for job in found if not job.finished and job.job_id not in wanted]
    outcomes = []
    for job_id in wanted:
        job, cancelled = journal.cancel(job_id)
        was = stage_of(job, job.resume_from) if cancelled else job.state
        spent = f" ({job.credits_spent:g} credits)" if job.credits_spent else ""
        if cancelled:
            message = (
                f"Cancelled job {job_id}, which was {was}: nothing more is sent for it. What the backend had "
                f"already started is not recalled, and credits it spent stay spent{spent}."
            )
        else:
            message = f"Job {job_id} had already finished ({job.state}): nothing changed."
        outcomes.append(
            CancelOutcome(
                job_id=job_id,
                state=job.state,
                cancelled=cancelled,
                was=was,
                credits_spent=job.credits_spent,
                message=message,
            )
        )
    return outcomes
