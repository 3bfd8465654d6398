"""One job end to end: route, connect, upload, send, export; journaled so an interrupted job can finish.

    result = await run_job(RunRequest(skill="auto", text="a 5-second sunset", backend="local"))

Everything a user can get wrong is checked before anything is sent: the skill, each file (format, size,
documents), the output path. Each step is recorded in the job journal before it begins (the chat request as
`sent`, the render id before the export request), so running the same command again after a crash resumes
the job instead of paying for it twice. Progress goes to one callback as `ProgressEvent`s; nothing here
prints. The CLI, the MCP server, batches and scripts share this module.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from nemo_skills.catalog.registry import Catalog, get_catalog
from nemo_skills.catalog.router import route
from nemo_skills.catalog.skill import Skill
from nemo_skills.client.base_client import new_render_id
from nemo_skills.client.models import ExportResult, Reply, SessionState
from nemo_skills.client.settings import ClientOptions
from nemo_skills.errors import (
    InterruptedByUser,
    NemoSkillsError,
    RenderFailedError,
    RenderTimeoutError,
    ReplyNotAppliedError,
)
from nemo_skills.files.naming import resolve_output
from nemo_skills.jobs.backends import CLOUD, Backend, backend_label, client_options_from_env, open_backend
from nemo_skills.jobs.inputs import PreparedInput, build_prompt, prepare_input
from nemo_skills.jobs.journal import Job, JobSpec, Journal, owner_alive, this_owner
from nemo_skills.jobs.progress_events import Notice, ProgressCallback, ProgressEvent, Stage, ignore
from nemo_skills.jobs.results import RunResult as RunResult
from nemo_skills.jobs.session_store import SessionStore
from nemo_skills.jobs.sessions import SessionLookup
from nemo_skills.jobs.skill_session import SkillSession

AUTO = "auto"


class RunRequest(BaseModel):
    """One job: what to send to which skill, where, and what to do with the result."""

    skill: str = Field(default=AUTO, description="Skill name, or 'auto' to let the router pick.")
    text: str = ""
    files: list[Path] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list)
    output: Path | None = Field(
        default=None, description="MP4 path or folder; default: a name from the prompt."
    )
    export: bool = Field(default=True, description="Render and download the MP4 after the reply.")
    force: bool = Field(default=False, description="Replace an existing output file.")
    backend: str = Field(default=CLOUD, description="'local', 'cloud' or a server URL.")
    session_id: str | None = None
    continue_last: bool = Field(default=False, description="Continue the last session of the skill.")
    deadline: float | None = Field(default=None, gt=0, description="Seconds to wait for the render.")
    cwd: Path | None = Field(default=None, description="Folder for automatic output names (default: cwd).")
    send: bool = Field(default=True, description="Send the request; False only exports the session.")
    render_id: str | None = Field(default=None, description="With send=False: a render started earlier.")


def pick_skill(
    name: str, text: str, files: Sequence[Path], urls: Sequence[str], catalog: Catalog
) -> tuple[Skill, str | None]:
    """The skill for a request and, when the router chose it, why."""
    if name.strip().lower() != AUTO:
        return catalog.get(name), None
    choice = route(text, files, urls, catalog=catalog)
    return catalog.get(choice.skill), choice.reason


def choose_skill(spec: JobSpec, catalog: Catalog, store: SessionStore) -> tuple[Skill, str | None]:
    """The skill of a job: `auto` continuing a session keeps that session's skill; else as pick_skill."""
    lookup = SessionLookup(store, catalog, spec.backend)
    kept = lookup.skill_of_request(spec.skill, spec.session_id, spec.continue_last)
    if kept is not None:
        return kept, None
    return pick_skill(spec.skill, spec.text, [Path(f) for f in spec.files], spec.urls, catalog)


def job_spec(request: RunRequest, backend_label_: str) -> JobSpec:
    """The journal's view of a request: files made absolute, the output as the user named it."""
    base = request.cwd or Path.cwd()
    return JobSpec(
        skill=request.skill,
        text=request.text,
        files=[str(f if f.is_absolute() else (base / f)) for f in request.files],
        urls=list(request.urls),
        output=str(
            request.output
            if request.output is None or request.output.is_absolute()
            else base / request.output
        )
        if request.output is not None
        else None,
        export=request.export,
        backend=backend_label_,
        session_id=request.session_id,
        continue_last=request.continue_last,
        contents=[file_digest(f if f.is_absolute() else base / f) for f in request.files],
        send=request.send,
        render_id=request.render_id,
    )


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes ('' when it cannot be read: checking the file says why, later)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def draft_fingerprint(state: SessionState) -> str:
    """A short hash of a timeline, to tell afterwards whether a request changed it."""
    wire = state.draft.model_dump(mode="json", by_alias=True)
    return hashlib.sha256(json.dumps(wire, sort_keys=True).encode("utf-8")).hexdigest()[:24]


def name_source(prepared: PreparedInput) -> str:
    """What an automatic output name is made from: the text, else the first document or file."""
    if prepared.text:
        return prepared.text
    if prepared.documents:
        return Path(prepared.documents[0].name).stem
    if prepared.media:
        return prepared.media[0].stem
    return ""


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


def resumable(journal: Journal, spec: JobSpec) -> Job | None:
    """The interrupted job of the same request, whose process is gone, if there is one."""
    latest = journal.latest_for(spec)
    if latest is None or latest.state == "done":
        return None
    if latest.state != "failed" and owner_alive(latest.owner):
        return None
    return latest


def read_input(skill: Skill, spec: JobSpec, catalog: Catalog) -> PreparedInput:
    """A job's input checked and read for its skill (an export job sends nothing, so has none)."""
    if not spec.send:
        return PreparedInput()
    return prepare_input(skill, spec.text, [Path(f) for f in spec.files], spec.urls, catalog=catalog)


class JobPlan(BaseModel):
    """What a new job will do, settled before anything is sent: its skill (and why), input and output."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    skill: Skill
    reason: str | None
    prepared: PreparedInput
    output: Path | None


def plan_job(
    spec: JobSpec,
    catalog: Catalog,
    store: SessionStore,
    *,
    cwd: Path | None,
    force: bool,
    taken: set[Path] | None = None,
    name_output: bool = True,
) -> JobPlan:
    """Check a request without sending anything (skill, files, output name); raises what a user reads.

    `name_output` False leaves the output to the caller (a host names files in its own folder).
    """
    skill, reason = choose_skill(spec, catalog, store)
    prepared = read_input(skill, spec, catalog)
    output = None
    if spec.export and name_output:
        output = resolve_output(
            Path(spec.output) if spec.output else None,
            name_source(prepared),
            cwd=cwd,
            force=force,
            fallback=skill.name,
            taken=taken,
        )
    return JobPlan(skill=skill, reason=reason, prepared=prepared, output=output)


def record_plan(journal: Journal, job: Job, plan: JobPlan) -> Job:
    """Keep a plan's skill, reason and output with the job, so a resume follows the same plan."""
    return journal.update(
        job, skill=plan.skill.name, reason=plan.reason, output=str(plan.output) if plan.output else None
    )


class _JobRun:
    """The steps of one job, each recorded before it begins."""

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
            plan.skill, ctx.backend, store=ctx.store, options=ctx.options, on_progress=self.observe
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
        before = await session.state()
        self.save(
            state="sent",
            draft_before=draft_fingerprint(before),
            uploaded=uploaded,
            sent_at=time.time(),
            sent_by=this_owner(),
        )
        try:
            return await session.send(build_prompt(skill, prepared, uploaded))
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
            if self.job.draft_before is not None and draft_fingerprint(now) != self.job.draft_before:
                self.ctx.report(Notice(message="The request sent earlier was applied."))
                return Reply(
                    text="The request sent earlier was applied.", timeline=now.timeline, from_state=True
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

    async def _export(self, session: SkillSession, output: Path) -> ExportResult:
        render_id = self.job.render_id
        if render_id is None:
            render_id = new_render_id()
            self.save(state="rendering", render_id=render_id)
            # Every replacement id is recorded by _record_render_id before it is requested.
            await session.start_render(render_id, on_render_id=self._record_render_id)
        elif not await session.render_known(render_id):
            # Recorded, but the request never reached the backend: ask for it now, under the same id.
            await session.start_render(render_id, on_render_id=self._record_render_id)
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
            reply = await self._send(session, skill, prepared)
            if self.job.spec.export:
                self.save(state="rendering")
        elif self.job.state == "queued":
            # An export job: the session's timeline as it stands, or a render started earlier.
            self.save(state="rendering", render_id=self.job.spec.render_id)
        state = await session.state()
        exported = (
            await self._export(session, output) if output is not None and self.job.spec.export else None
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
    run = _JobRun(job, ctx)
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


def job_stores(
    catalog: Catalog | None, store: SessionStore | None, journal: Journal | None
) -> tuple[Catalog, SessionStore, Journal]:
    """The catalog, session store and journal a run uses: those given, else the defaults (one database)."""
    catalog = catalog if catalog is not None else get_catalog()
    store = store if store is not None else SessionStore()
    return catalog, store, journal if journal is not None else Journal(store.db)


async def run_job(
    request: RunRequest,
    *,
    on_progress: ProgressCallback | None = None,
    catalog: Catalog | None = None,
    store: SessionStore | None = None,
    options: ClientOptions | None = None,
    backend: Backend | None = None,
    journal: Journal | None = None,
) -> RunResult:
    """Run one request end to end and return what it produced.

    The same request run again after a crash or Ctrl-C finishes the interrupted job (no second export).
    `backend` overrides `request.backend` with a server already running. Raises the NemoSkillsError
    subclass that matches what went wrong (see nemo_skills.errors), with `session_id` and `render_id`
    attributes set when the job had them.
    """
    report = on_progress or ignore
    catalog, store, journal = job_stores(catalog, store, journal)
    label = backend.label if backend is not None else backend_label(request.backend)
    spec = job_spec(request, label)
    earlier = resumable(journal, spec)
    plan: JobPlan | None = None
    if earlier is not None:
        job = journal.claim(earlier.job_id)
        report(Notice(message=f"Finishing job {job.job_id}, interrupted earlier ({job.state})."))
    else:
        # Checks that need nothing sent (skill, files, output) fail before the job is recorded.
        plan = plan_job(spec, catalog, store, cwd=request.cwd, force=request.force)
        job = record_plan(journal, journal.add(spec), plan)
    opts = options if options is not None else client_options_from_env()

    async def go(server: Backend) -> RunResult:
        ctx = JobContext(
            server, catalog, store, journal, opts, report, request.deadline, request.force, request.cwd
        )
        try:
            return await execute(job, ctx, plan)
        except NemoSkillsError as exc:
            note_job(exc, journal.get(job.job_id) or job)
            raise

    if backend is not None:
        return await go(backend)
    with open_backend(request.backend) as started:
        return await go(started)
