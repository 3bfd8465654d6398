"""A job's steps, in order, each recorded in the journal before it begins: the one place they live.

    open the session → upload → send (or learn what became of an earlier send) → render → download → done

The chat request is marked `sent` before it goes out and the render id is recorded before the export is
asked for, so whoever takes a job up again (its worker after a crash, `resume`, the same command run
again) knows what is missing and never pays for a generation or an export twice. A request whose reply is
unknown (the stream was cut, the process killed) is never sent again while the backend may still be
working on it: the session's state is read until the change shows, for as long as the reply's own cap.
Progress goes to one callback as `ProgressEvent`s; nothing here prints.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from nemo_skills.catalog.registry import Catalog
from nemo_skills.catalog.skill import Skill
from nemo_skills.client.base_client import new_render_id
from nemo_skills.client.models import Credits, ExportResult, Reply, SessionState
from nemo_skills.client.pace import ConnectionPool
from nemo_skills.client.settings import ClientOptions
from nemo_skills.errors import (
    InterruptedByUser,
    JobCancelled,
    NemoSkillsError,
    RenderFailedError,
    RenderTimeoutError,
    ReplyNotAppliedError,
)
from nemo_skills.jobs.backends import Backend
from nemo_skills.jobs.inputs import PreparedInput, build_prompt
from nemo_skills.jobs.journal import Job, Journal, owner_alive, this_owner
from nemo_skills.jobs.plan import JobPlan, name_source, plan_job, read_input, record_plan
from nemo_skills.jobs.progress_events import Notice, ProgressCallback, ProgressEvent, Stage
from nemo_skills.jobs.results import RunResult
from nemo_skills.jobs.session_store import SessionStore
from nemo_skills.jobs.skill_session import SkillSession

T = TypeVar("T")
# How soon the steps of a job cancelled meanwhile stop (a cancel promises 5 s).
CANCEL_CHECK = 1.0

# What a job records as the timeline before its request, when the session was new and so empty: the
# backend's own spelling of an empty draft need not hash like ours.
EMPTY_DRAFT = "empty"


def draft_fingerprint(state: SessionState) -> str:
    """A short hash of a timeline, to tell afterwards whether a request changed it."""
    wire = state.draft.model_dump(mode="json", by_alias=True)
    return hashlib.sha256(json.dumps(wire, sort_keys=True).encode("utf-8")).hexdigest()[:24]


@dataclass
class JobContext:
    """What every job of a run shares: where it runs, the stores, the client options, how to report."""

    backend: Backend
    catalog: Catalog
    store: SessionStore
    journal: Journal
    options: ClientOptions
    report: ProgressCallback
    deadline: float | None = None
    force: bool = False
    cwd: Path | None = None
    pool: ConnectionPool | None = None
    # Read the balance around each generation (two requests): a batch measures its total instead.
    measure_credits: bool = True


class JobSteps:
    """The steps of one job, each recorded before it begins (see the module's docstring)."""

    def __init__(self, job: Job, ctx: JobContext) -> None:
        self.job = job
        self.ctx = ctx
        self.resumed = job.state not in ("queued",) or job.session_id is not None

    def save(self, **changes: object) -> None:
        self.job = self.ctx.journal.update(self.job, **changes)

    def observe(self, event: ProgressEvent) -> None:
        # The download begins once the render is complete: record it so a resume skips nothing.
        if isinstance(event, Stage) and event.stage == "download" and self.job.state == "rendering":
            self.save(state="downloading")
        self.ctx.report(event)

    async def run(self, plan: JobPlan | None) -> RunResult:
        ctx, spec = self.ctx, self.job.spec
        if self.job.state == "failed":
            # Going again from where it failed; a failed render is asked for afresh.
            self.save(
                state=self.job.resume_from or "queued",
                error=None,
                error_code=None,
                action=None,
                exit_code=None,
            )
        if plan is None and self.job.skill in ctx.catalog and (self.job.output or not spec.export):
            # A resumed job follows its recorded plan; only the input is read again.
            skill = ctx.catalog.get(self.job.skill or "")
            prepared = read_input(skill, spec, ctx.catalog)
            output = Path(self.job.output) if self.job.output else None
            plan = JobPlan(skill=skill, reason=self.job.reason, prepared=prepared, output=output)
        elif plan is None:
            plan = plan_job(spec, ctx.catalog, ctx.store, cwd=ctx.cwd, force=ctx.force)
            self.job = record_plan(ctx.journal, self.job, plan)
        if plan.reason is not None and not self.resumed:
            ctx.report(Stage(stage="route", message=f"{plan.skill.name}: {plan.reason}"))
        async with SkillSession(
            plan.skill,
            ctx.backend,
            store=ctx.store,
            options=ctx.options,
            on_progress=self.observe,
            pool=ctx.pool,
        ) as session:
            return await self._steps(session, plan.skill, plan.reason, plan.prepared, plan.output)

    async def _open(self, session: SkillSession, prepared: PreparedInput) -> None:
        spec = self.job.spec
        if self.job.session_id:
            await session.open(self.job.session_id, language_hint=prepared.text)
            if session.session_id != self.job.session_id:
                # 1002: the session and what the job did in it are gone; the job starts over in the new one.
                self.save(state="queued", render_id=None, draft_before=None, uploaded=[])
        else:
            await session.open(spec.session_id, continue_last=spec.continue_last, language_hint=prepared.text)
            if session.title is None:
                session.title = name_source(prepared) or None
        self.save(session_id=session.session_id)

    async def _send(self, session: SkillSession, skill: Skill, prepared: PreparedInput) -> Reply:
        if self.job.state == "sent":
            # Sent before an interruption: the state says whether it was applied. Never send it twice.
            return await self._earlier_send(session)
        uploaded = await session.upload(prepared)
        info = session.info
        if info is not None and info.created and not uploaded and not prepared.urls:
            # A session this job just made holds nothing yet: no request can learn more than that.
            before, fingerprint = SessionState(), EMPTY_DRAFT
        else:
            before = await session.state()
            fingerprint = draft_fingerprint(before)
        self.save(
            state="sent",
            draft_before=fingerprint,
            uploaded=uploaded,
            sent_at=time.time(),
            sent_by=this_owner(),
        )
        try:
            return await session.send(build_prompt(skill, prepared, uploaded), before=before)
        except ReplyNotAppliedError as exc:
            if not exc.cut:
                # The backend ended the turn: nothing more will come of it; a rerun may send it again.
                self.save(state="queued", draft_before=None, sent_at=None, sent_by=None)
                raise
            self.ctx.report(
                Notice(
                    level="warning",
                    message="The reply stream was cut; the backend may still be working on the request, "
                    "so it is not sent again. Waiting for the change to show in the session.",
                )
            )
            return await self._earlier_send(session)

    async def _record_spend(self, session: SkillSession, before: Credits, since: float) -> None:
        """What the generation cost: the fall of the balance across it, marked an estimate when it cannot be
        exact (another job of this backend generated meanwhile, or credits are still frozen)."""
        after = await session.credits()
        spent = round(max(0.0, before.available - after.available), 6)
        shared = self.ctx.journal.others_generating(self.job, since)
        self.save(credits_spent=spent, credits_estimated=shared or after.frozen > before.frozen)

    def _changed_since_sent(self, now: SessionState) -> bool:
        """Whether the timeline differs from what it was when the request was sent."""
        before = self.job.draft_before
        if before == EMPTY_DRAFT:
            return bool(now.draft.tracks)
        return before is not None and draft_fingerprint(now) != before

    def _reply_may_run(self) -> bool:
        """Whether the request sent earlier may still be generating on the backend."""
        job, cap = self.job, self.ctx.options.sse_max_seconds
        if job.sent_at is None or time.time() - job.sent_at >= cap:
            return False
        # The local backend started by `--backend local` lives in the process that sent the request.
        return not (
            self.ctx.backend.is_local
            and job.sent_by not in (None, this_owner())
            and not owner_alive(job.sent_by)
        )

    async def _earlier_send(self, session: SkillSession) -> Reply:
        """The reply of a request sent earlier whose outcome is unknown: applied, or never sent again."""
        announced = False
        while True:
            now = await session.settled_state()
            if self._changed_since_sent(now):
                self.ctx.report(Notice(message="The request sent earlier was applied."))
                return Reply(
                    text="The request sent earlier was applied.",
                    timeline=now.timeline,
                    from_state=True,
                    state=now,
                )
            if not self._reply_may_run():
                break
            if not announced:
                announced = True
                ago = time.time() - (self.job.sent_at or time.time())
                self.ctx.report(
                    Stage(
                        stage="chat",
                        message=f"Waiting for the request sent {ago:.0f} s ago: the backend may still be on it",
                    )
                )
            await asyncio.sleep(self.ctx.options.pending_reply_poll)
        error = ReplyNotAppliedError(
            "The request sent earlier shows no change in the session, and its reply can no longer be "
            "running; it was not sent again.",
            action=f"Send it again with: nemo-skills resume {self.job.job_id} --resend",
        )
        raise error

    def _record_render_id(self, render_id: str) -> None:
        # Heard before the id is requested (a replacement for one the backend refused): durable first.
        if render_id != self.job.render_id:
            self.save(render_id=render_id)

    async def _export(self, session: SkillSession, output: Path, state: SessionState) -> ExportResult:
        render_id = self.job.render_id
        if render_id is None:
            render_id = new_render_id()
            self.save(state="rendering", render_id=render_id)
            # Every replacement id is recorded by _record_render_id before it is requested.
            await session.start_render(render_id, on_render_id=self._record_render_id, draft=state.draft)
        elif not await session.render_known(render_id):
            # Recorded, but the request never reached the backend: ask for it now, under the same id.
            await session.start_render(render_id, on_render_id=self._record_render_id, draft=state.draft)
        try:
            return await session.export(output, deadline=self.ctx.deadline, render_id=self.job.render_id)
        except RenderFailedError:
            self.save(render_id=None, state="rendering")
            raise

    async def _steps(
        self,
        session: SkillSession,
        skill: Skill,
        reason: str | None,
        prepared: PreparedInput,
        output: Path | None,
    ) -> RunResult:
        await self._open(session, prepared)
        reply: Reply | None = None
        if self.job.state in ("queued", "sent") and self.job.spec.send:
            fresh = self.job.state == "queued"
            balance = await session.credits() if fresh and self.ctx.measure_credits else None
            since = time.time()
            reply = await self._send(session, skill, prepared)
            if balance is not None:
                await self._record_spend(session, balance, since)
            if self.job.spec.export:
                self.save(state="rendering")
        elif self.job.state == "queued":
            # An export job: the session's timeline as it stands, or a render started earlier.
            self.save(state="rendering", render_id=self.job.spec.render_id)
        # One read after the reply serves both the timeline and the export's draft (the reply's own, if
        # it made one after the turn ended).
        state = reply.state if reply is not None and reply.state is not None else await session.state()
        exported = (
            await self._export(session, output, state)
            if output is not None and self.job.spec.export
            else None
        )
        if reply is None:
            done = f"Finished render {self.job.render_id}." if self.job.render_id else "Nothing was sent."
            if self.job.spec.send:
                done = f"Finished render {self.job.render_id} of the earlier request."
            reply = Reply(text=done, timeline=state.timeline)
        info = session.info
        result = RunResult(
            job_id=self.job.job_id,
            skill=skill.name,
            routed=reason is not None,
            reason=reason,
            session_id=session.session_id,
            session_replaced=info.replaced if info else None,
            backend=self.ctx.backend.label,
            text=reply.text if reply.text.strip() else (reply.error or "(no reply text)"),
            changes=reply.changes,
            timeline=state.timeline,
            uploaded=self.job.uploaded,
            output=exported.path if exported else None,
            render_id=exported.render_id if exported else None,
            size=exported.size if exported else None,
            resumed=self.resumed,
            credits_spent=self.job.credits_spent,
            credits_estimated=self.job.credits_estimated,
        )
        if exported is not None:
            self.save(
                state="done",
                output=str(exported.path),
                size=exported.size,
                render_id=exported.render_id,
                result=result,
            )
        else:
            self.save(state="done", result=result)
        return result


# Failures after which the same job can go on later from where it stopped (not marked failed).
_UNFINISHED: tuple[type[BaseException], ...] = (
    RenderTimeoutError,
    InterruptedByUser,
    asyncio.CancelledError,
    KeyboardInterrupt,
)


def note_job(exc: NemoSkillsError, job: Job) -> None:
    """Attach what a job left behind (its id, session, render) to the error that stopped it."""
    exc.job_id = job.job_id
    exc.session_id = exc.session_id or job.session_id
    exc.render_id = exc.render_id or job.render_id


async def execute(job: Job, ctx: JobContext, plan: JobPlan | None = None) -> RunResult:
    """Run (or resume) one journaled job; the journal says how far it got whatever happens.

    `plan` is the one `plan_job` made for a new job; a resumed job follows the plan it recorded.
    """
    if job.state == "cancelled":
        raise JobCancelled(f"job {job.job_id} was cancelled; nothing is sent for it.")
    run = JobSteps(job, ctx)
    try:
        return await run.run(plan)
    except _UNFINISHED as exc:
        message = exc.message if isinstance(exc, NemoSkillsError) else "interrupted"
        run.save(owner=None, error=message)
        raise
    except NemoSkillsError as exc:
        run.save(
            state="failed",
            resume_from=run.job.state,
            error=exc.message,
            error_code=exc.error_code,
            action=exc.action,
            exit_code=int(exc.exit_code),
            owner=None,
        )
        raise
    except BaseException:
        run.save(owner=None)
        raise


class CancelWatch:
    """Stops the steps of jobs cancelled meanwhile (`nemo-skills cancel`, `cancel_job`) within CANCEL_CHECK s.

    A step about to begin already refuses a cancelled job (`Journal.update` raises JobCancelled); this
    also cuts one that is under way (a reply being generated, a render being waited for), so nothing more
    is sent for the job. One look at the journal per interval covers every job of the process.
    """

    def __init__(self, journal: Journal, every: float = CANCEL_CHECK) -> None:
        self.journal = journal
        self.every = every
        self.tasks: dict[str, asyncio.Future[object]] = {}
        self._cancelled: set[str] = set()

    async def run(self, job_id: str, steps: Awaitable[T]) -> T:
        """Await a job's steps; JobCancelled when the job is cancelled before they end."""
        task = asyncio.ensure_future(steps)
        self.tasks[job_id] = task  # type: ignore[assignment]
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if job_id in self._cancelled and (current is None or not current.cancelling()):
                raise JobCancelled(f"job {job_id} was cancelled; nothing more is sent for it.") from None
            raise
        finally:
            self.tasks.pop(job_id, None)
            if not task.done():
                task.cancel()

    async def watch(self) -> None:
        """Look for cancelled jobs among those running, for as long as the process runs jobs."""
        while True:
            await asyncio.sleep(self.every)
            try:
                cancelled = self.journal.cancelled_among(list(self.tasks))
            except NemoSkillsError:
                continue
            for job_id in cancelled:
                task = self.tasks.get(job_id)
                if task is not None:
                    self._cancelled.add(job_id)
                    task.cancel()
