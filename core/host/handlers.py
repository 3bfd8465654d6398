"""What each host tool does: one async function per tool, declared with its spec in `tools.py`.

Every handler takes the `ToolContext`, its validated arguments and an optional
progress sender, and returns its result model; errors are `NemoSkillsError`s
carrying the seeds' messages, and the host adapter decides how to show them.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from nemo_skills.catalog.router import route
from nemo_skills.errors import InputError
from nemo_skills.files.previews import sheet_beside_if_possible
from nemo_skills.host.progress_pump import Plan, ProgressPump, ProgressSender, forwarder, progress_pump
from nemo_skills.host.tool_args import (
    DEFAULT_WAIT_SECONDS,
    CancelJobArgs,
    ChatArgs,
    ExportArgs,
    GetCreditsArgs,
    GetStateArgs,
    ListJobsArgs,
    ListSkillsArgs,
    RouteInputArgs,
    RunBatchArgs,
    RunSkillArgs,
    UploadArgs,
    VideoChunkArgs,
    WaitJobArgs,
)
from nemo_skills.host.tool_results import (
    BatchOutput,
    CancelOutput,
    ChatOutput,
    CreditsOutput,
    JobInfo,
    JobList,
    RouteOutput,
    RunSkillOutput,
    SkillInfo,
    SkillList,
    StateOutput,
    UploadOutput,
    VideoChunk,
    without_export_prompt,
)
from nemo_skills.jobs.inputs import prepare_input
from nemo_skills.jobs.progress_events import ProgressCallback
from nemo_skills.jobs.sessions import SessionLookup

if TYPE_CHECKING:
    from collections.abc import Callable

    from nemo_skills.host.tool_context import ToolContext
    from nemo_skills.jobs.journal import Job
    from nemo_skills.jobs.plan import JobPlan, RunRequest

# Where each job stage sits on the 0-100 progress scale, per tool.
RUN_PLAN: Plan = {
    "route": (0, 2),
    "connect": (2, 5),
    "upload": (5, 20),
    "chat": (20, 45),
    "render": (47, 95),
    "download": (95, 100),
    "done": (100, 100),
}
EXPORT_PLAN: Plan = {"connect": (0, 2), "render": (2, 90), "download": (90, 100), "done": (100, 100)}
CHAT_PLAN: Plan = {"connect": (0, 5), "chat": (5, 100)}
UPLOAD_PLAN: Plan = {"connect": (0, 5), "upload": (5, 100)}


# --- offline tools -----------------------------------------------------------------------


async def route_input(ctx: ToolContext, args: RouteInputArgs, report: ProgressSender | None) -> RouteOutput:
    """Which skill suits the input, and why."""
    result = route(args.text, args.files, args.urls, catalog=ctx.catalog)
    return RouteOutput.model_validate(result.model_dump())


async def list_skills(ctx: ToolContext, args: ListSkillsArgs, report: ProgressSender | None) -> SkillList:
    """The skills served."""
    return SkillList(skills=[SkillInfo.from_skill(s) for s in ctx.catalog.skills()])


# --- session tools -----------------------------------------------------------------------


async def run_skill(ctx: ToolContext, args: RunSkillArgs, report: ProgressSender | None) -> RunSkillOutput:
    """Route, upload, send the prompt and (unless told not to) export the MP4: one job, waited on a while."""
    # The job layer (and the HTTP client under it) loads when a tool runs, not when schemas are printed.
    from nemo_skills.jobs.plan import AUTO, RunRequest

    files = [Path(f) for f in args.files]
    label = args.prompt or (files[0].stem if files else "") or (args.skill or "")
    if args.export:
        # A bad output path fails before anything is sent, as a bad file does.
        ctx.output_path(args.output, label, overwrite=args.overwrite)
    request = RunRequest(
        skill=args.skill or AUTO,
        text=args.prompt,
        files=files,
        urls=args.urls,
        export=args.export,
        output=Path(args.output) if args.output else None,
        force=args.overwrite,
        backend=ctx.settings.backend.label,
        session_id=args.session_id,
        cwd=ctx.settings.output_dir,
        max_credits=args.max_credits,
    )
    return await _start_and_wait(
        ctx, request, label, args.overwrite, args.output, _waited(args.wait_seconds), report
    )


async def run_batch(ctx: ToolContext, args: RunBatchArgs, report: ProgressSender | None) -> BatchOutput:
    """Several videos, each its own job of one batch, run by the pool at once; waited on a while together."""
    from nemo_skills.jobs.attach import wait_for_job
    from nemo_skills.jobs.journal import new_batch_id
    from nemo_skills.jobs.plan import AUTO, RunRequest

    batch_id = new_batch_id()
    job_ids: list[str] = []
    labels: set[str] = set()
    for index, item in enumerate(args.requests, 1):
        files = [Path(f) for f in item.files]
        label = item.prompt or (files[0].stem if files else "") or (args.skill or "")
        # Two items alike get two files: the outputs are chosen before either exists.
        label = label if label not in labels else f"{label} {index}"
        labels.add(label)
        request = RunRequest(
            skill=args.skill or AUTO,
            text=item.prompt,
            files=files,
            urls=item.urls,
            backend=ctx.settings.backend.label,
            cwd=ctx.settings.output_dir,
            position=index,
        )

        def choose(plan: JobPlan, label: str = label) -> Path | None:
            return ctx.output_path(None, label, overwrite=False)

        job_ids.append(_submit(ctx, request, choose, batch=(batch_id, index)).job_id)
    wait = _waited(args.wait_seconds)
    await asyncio.gather(
        *(wait_for_job(j, timeout=wait, journal=ctx.journal, options=ctx.settings.options) for j in job_ids)
    )
    async with progress_pump(report) as pump:
        items = [await _wait(ctx, j, 0, forwarder(pump, RUN_PLAN), pump) for j in job_ids]
    running = any(item.status == "running" for item in items)
    return BatchOutput(batch_id=batch_id, status="running" if running else "completed", items=items)


def _waited(wait_seconds: float | None) -> float:
    # Outside MCP (a Python host, `nemo-skills tools`) a call that names no wait gets the usual 20 s;
    # the MCP server fills in what the calling client allows before the call reaches here.
    return DEFAULT_WAIT_SECONDS if wait_seconds is None else wait_seconds


def _submit(
    ctx: ToolContext,
    request: RunRequest,
    choose: Callable[[JobPlan], Path | None],
    *,
    on_progress: ProgressCallback | None = None,
    batch: tuple[str, int] | None = None,
) -> Job:
    """A request given to the worker pool with this server's stores, options and output folder."""
    from nemo_skills.jobs.attach import submit_job

    job, _ = submit_job(
        request,
        catalog=ctx.catalog,
        store=ctx.store,
        options=ctx.settings.options,
        registry=ctx.settings.registry,
        choose_output=choose,
        on_progress=on_progress,
        batch=batch,
    )
    return job


async def _start_and_wait(
    ctx: ToolContext,
    request: RunRequest,
    label: str,
    overwrite: bool,
    output: str | None,
    wait_seconds: float,
    report: ProgressSender | None,
) -> RunSkillOutput:

    def choose(plan: JobPlan) -> Path | None:
        return ctx.output_path(output, label, overwrite=overwrite) if request.export else None

    async with progress_pump(report) as pump:
        on_progress = forwarder(pump, RUN_PLAN if request.send else EXPORT_PLAN)
        job = _submit(ctx, request, choose, on_progress=on_progress)
        return await _wait(ctx, job.job_id, wait_seconds, on_progress, pump)


async def _wait(
    ctx: ToolContext, job_id: str, wait_seconds: float, on_progress: ProgressCallback, pump: ProgressPump
) -> RunSkillOutput:
    """A job's result once done, else its status after `wait_seconds` (the job goes on)."""
    from nemo_skills.jobs.attach import job_outcome, stage_of, wait_for_job

    job = await wait_for_job(
        job_id,
        timeout=wait_seconds,
        on_progress=on_progress,
        journal=ctx.journal,
        options=ctx.settings.options,
    )
    if not job.finished:
        return RunSkillOutput(
            skill=job.skill or job.spec.skill,
            session_id=job.session_id,
            status="running",
            job_id=job.job_id,
            stage=stage_of(job),
            progress=pump.value,
            message=f"Still working ({stage_of(job)}). The job goes on: call wait_job with "
            f'job_id="{job.job_id}" to get the video. Do not start it again.',
        )
    result = job_outcome(job)
    ctx.sessions.note(result.skill, result.session_id)
    out = RunSkillOutput(
        skill=result.skill,
        session_id=result.session_id,
        session_replaced=result.session_replaced,
        route_reason=result.reason,
        reply=result.text,
        changes=result.changes,
        timeline=result.timeline,
        job_id=job.job_id,
        credits_spent=result.credits_spent,
        credits_estimated=result.credits_estimated,
        status="not_exported",
        message="Not exported yet; call export when the timeline is ready.",
    )
    if result.output is None:
        return out
    path = Path(result.output)
    size = result.size or 0
    # ffmpeg takes a moment: the server keeps answering other calls meanwhile.
    sheet = await anyio.to_thread.run_sync(sheet_beside_if_possible, path) if path.is_file() else None
    return out.model_copy(
        update={
            "status": "completed",
            "render_id": result.render_id,
            "path": str(path),
            "url": path.resolve().as_uri(),
            "size": result.size,
            "preview": str(sheet) if sheet is not None else None,
            "message": f"Saved {path} ({size / (1024 * 1024):.1f} MB)."
            + (f" A contact sheet of its frames: {sheet}." if sheet is not None else ""),
            # Once the export ran, "say 'export' when you're happy" is advice the user cannot follow.
            "reply": without_export_prompt(out.reply),
        }
    )


async def wait_job(ctx: ToolContext, args: WaitJobArgs, report: ProgressSender | None) -> RunSkillOutput:
    """Wait a while longer for a job run_skill or export started; its result, or its status again."""
    async with progress_pump(report) as pump:
        return await _wait(ctx, args.job_id, _waited(args.wait_seconds), forwarder(pump, RUN_PLAN), pump)


async def video_chunk(ctx: ToolContext, args: VideoChunkArgs, report: ProgressSender | None) -> VideoChunk:
    """A piece of a completed job's MP4 (the one its journal record names; never another file)."""
    import base64

    from nemo_skills.host.mcp_apps import CHUNK_BYTES, MAX_VIEW_BYTES

    job = ctx.journal.get(args.job_id)
    if job is None:
        raise InputError(f"no job {args.job_id} in the journal.")
    if job.state != "done" or not job.output:
        raise InputError(f"job {args.job_id} has no video yet ({job.state}).")
    path = Path(job.output)
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_VIEW_BYTES:
                raise InputError(
                    f"{path.name} is {size // (1024 * 1024)} MB: too large to show here; open {path}."
                )
            fh.seek(args.offset)
            data = fh.read(CHUNK_BYTES)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}.") from None
    end = args.offset + len(data)
    return VideoChunk(
        job_id=job.job_id,
        offset=args.offset,
        next_offset=end,
        size=size,
        done=end >= size,
        data=base64.b64encode(data).decode("ascii"),
    )


async def cancel_job(ctx: ToolContext, args: CancelJobArgs, report: ProgressSender | None) -> CancelOutput:
    """Cancel a job: nothing more is sent for it; what the backend already did stays done and paid."""
    from nemo_skills.jobs.attach import cancel_jobs

    outcome = cancel_jobs([args.job_id], journal=ctx.journal)[0]
    return CancelOutput(**outcome.model_dump())


async def list_jobs(ctx: ToolContext, args: ListJobsArgs, report: ProgressSender | None) -> JobList:
    """Recent jobs, newest first: state, skill, request, and the MP4 or the error."""
    from nemo_skills.jobs.journal import UNFINISHED

    now = time.time()
    jobs = ctx.journal.list(states=UNFINISHED if args.unfinished else (), limit=args.limit)
    return JobList(
        jobs=[
            JobInfo(
                job_id=job.job_id,
                state=job.state,
                running=ctx.journal.running(job),
                skill=job.skill,
                request=job.label,
                session_id=job.session_id,
                path=job.output if job.state == "done" else None,
                error=job.error,
                age_seconds=round(now - job.created, 1),
            )
            for job in jobs
        ]
    )


async def chat(ctx: ToolContext, args: ChatArgs, report: ProgressSender | None) -> ChatOutput:
    """Send the next message to a session and return the reply."""
    async with progress_pump(report) as pump:
        entry = await ctx.sessions.get(args.skill, args.session_id)
        async with entry.lock:
            session = entry.session
            session.on_progress = forwarder(pump, CHAT_PLAN)
            reply = await session.send(args.message)
            out = ChatOutput(
                skill=session.skill.name,
                session_id=session.session_id,
                session_replaced=ctx.replaced(session),
                reply=reply.text or reply.error or "",
                changes=reply.changes,
                timeline=reply.timeline,
            )
        ctx.sessions.track(entry)
        return out


async def upload(ctx: ToolContext, args: UploadArgs, report: ProgressSender | None) -> UploadOutput:
    """Upload files and URLs into a session; files are checked first."""
    if not args.files and not args.urls:
        raise InputError("nothing to upload: give files or urls.")
    async with progress_pump(report) as pump:
        entry = await ctx.sessions.get(args.skill, args.session_id)
        async with entry.lock:
            session = entry.session
            prepared = prepare_input(
                session.skill, "", [Path(f) for f in args.files], args.urls, catalog=ctx.catalog
            )
            if prepared.documents:
                raise InputError(
                    "documents are not uploaded: their text is the prompt.",
                    action="Send the document with run_skill (files=[...]) instead.",
                )
            session.on_progress = forwarder(pump, UPLOAD_PLAN)
            names = await session.upload(prepared)
            out = UploadOutput(
                skill=session.skill.name,
                session_id=session.session_id,
                session_replaced=ctx.replaced(session),
                files=names,
                urls=prepared.urls,
            )
        ctx.sessions.track(entry)
        return out


async def get_state(ctx: ToolContext, args: GetStateArgs, report: ProgressSender | None) -> StateOutput:
    """A session's timeline summary."""
    entry = await ctx.sessions.get(args.skill, args.session_id)
    async with entry.lock:
        session = entry.session
        state = await session.state()
        out = StateOutput(
            skill=session.skill.name,
            session_id=session.session_id,
            session_replaced=ctx.replaced(session),
            timeline=state.timeline,
            ready_to_export=state.draft.ready_to_export,
            tracks=len(state.draft.tracks),
        )
    ctx.sessions.track(entry)
    return out


async def export(ctx: ToolContext, args: ExportArgs, report: ProgressSender | None) -> RunSkillOutput:
    """Render and download a session's timeline (or fetch a render started earlier): a job, waited on a while."""
    from nemo_skills.jobs.plan import RunRequest

    entry = await ctx.sessions.get(args.skill, args.session_id)
    async with entry.lock:
        session = entry.session
        record = session.record()
        label = (record.title if record is not None and record.title else "") or session.skill.name
        # A render an interrupted export left goes where that export was headed.
        pending = SessionLookup.pending(
            record, render_id=args.render_id, output=Path(args.output) if args.output else None
        )
        output = str(pending.output) if pending.output is not None else None
        overwrite = args.overwrite or pending.replace
        ctx.output_path(output, label, overwrite=overwrite)
        if args.render_id is not None:
            await session.confirm_render(args.render_id)
        request = RunRequest(
            skill=session.skill.name,
            send=False,
            session_id=session.session_id,
            output=Path(output) if output else None,
            force=overwrite,
            render_id=args.render_id,
            backend=ctx.settings.backend.label,
            cwd=ctx.settings.output_dir,
        )
    ctx.sessions.track(entry)
    return await _start_and_wait(ctx, request, label, overwrite, output, _waited(args.wait_seconds), report)


async def get_credits(ctx: ToolContext, args: GetCreditsArgs, report: ProgressSender | None) -> CreditsOutput:
    """The credit balance (any open session's client will do)."""
    entry = ctx.sessions.latest() if args.skill is None else None
    if entry is not None:
        async with entry.lock:
            credits = await entry.session.credits()
    else:
        served = ctx.catalog.skills()
        if args.skill is None and not served:
            raise InputError("no skill is served, so no request can be attributed.")
        skill = ctx.catalog.get(args.skill) if args.skill else served[0]
        # Credits belong to the token, not to a session: none is created for them.
        async with ctx.sessions.new_session(skill) as session:
            credits = await session.credits()
    return CreditsOutput.model_validate(credits.model_dump())
