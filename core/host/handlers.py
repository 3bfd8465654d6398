"""What each host tool does: one async function per tool, declared with its spec in `tools.py`.

Every handler takes the `ToolContext`, its validated arguments and an optional
progress sender, and returns its result model; errors are `NemoSkillsError`s
carrying the seeds' messages, and the host adapter decides how to show them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nemo_skills.catalog.router import route
from nemo_skills.errors import InputError
from nemo_skills.host.progress_pump import Plan, ProgressSender, forwarder, progress_pump
from nemo_skills.host.tool_args import (
    ChatArgs,
    ExportArgs,
    GetCreditsArgs,
    GetStateArgs,
    ListSkillsArgs,
    RouteInputArgs,
    RunSkillArgs,
    UploadArgs,
)
from nemo_skills.host.tool_results import (
    ChatOutput,
    CreditsOutput,
    ExportOutput,
    RouteOutput,
    RunSkillOutput,
    SkillInfo,
    SkillList,
    StateOutput,
    UploadOutput,
    without_export_prompt,
)
from nemo_skills.jobs.inputs import prepare_input
from nemo_skills.jobs.sessions import SessionLookup

if TYPE_CHECKING:
    from nemo_skills.host.tool_context import ToolContext

# Where each job stage sits on the 0-100 progress scale, per tool.
RUN_PLAN: Plan = {"route": (0, 2), "connect": (2, 5), "upload": (5, 20), "chat": (20, 45)}
EXPORT_PLAN: Plan = {"connect": (0, 2), "render": (2, 90), "download": (90, 100), "done": (100, 100)}
RUN_EXPORT_PLAN: Plan = {"connect": (45, 47), "render": (47, 95), "download": (95, 100), "done": (100, 100)}
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
    """Route, upload, send the prompt and (unless told not to) export the MP4, in one session."""
    # The job runner (and the HTTP client under it) loads when a tool runs, not when schemas are printed.
    from nemo_skills.jobs.runner import AUTO, RunRequest, run_job

    files = [Path(f) for f in args.files]
    request = RunRequest(
        skill=args.skill or AUTO,
        text=args.prompt,
        files=files,
        urls=args.urls,
        export=False,  # exported below, through a session kept open for later calls
        session_id=args.session_id,
    )
    label = args.prompt or (files[0].stem if files else "") or (args.skill or "")
    # A bad output path fails before anything is sent, as a bad file does inside run_job.
    dest = ctx.output_path(args.output, label, overwrite=args.overwrite) if args.export else None
    async with progress_pump(report) as pump:
        result = await run_job(
            request,
            on_progress=forwarder(pump, RUN_PLAN),
            catalog=ctx.catalog,
            store=ctx.store,
            options=ctx.settings.options,
            backend=ctx.settings.backend,
        )
        out = RunSkillOutput(
            skill=result.skill,
            session_id=result.session_id,
            session_replaced=result.session_replaced,
            route_reason=result.reason,
            reply=result.text,
            changes=result.changes,
            timeline=result.timeline,
            status="not_exported",
            message="Not exported yet; call export when the timeline is ready.",
        )
        entry = await ctx.sessions.get(result.skill, result.session_id)
        if dest is None:
            return out
        async with entry.lock:
            entry.session.on_progress = forwarder(pump, RUN_EXPORT_PLAN)
            exported = await ctx.export(entry.session, dest, args.deadline_seconds, None)
        ctx.sessions.track(entry)
        update = exported.model_dump(exclude={"skill"})
        if update.get("session_replaced") is None:
            update["session_replaced"] = out.session_replaced
        # Once the export ran, "say 'export' when you're happy" is advice the user cannot follow.
        update["reply"] = without_export_prompt(out.reply)
        return out.model_copy(update=update)


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


async def export(ctx: ToolContext, args: ExportArgs, report: ProgressSender | None) -> ExportOutput:
    """Render and download a session's timeline, or fetch an earlier render past its deadline."""
    async with progress_pump(report) as pump:
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
            dest = ctx.output_path(output, label, overwrite=args.overwrite or pending.replace)
            session.on_progress = forwarder(pump, EXPORT_PLAN)
            if args.render_id is not None:
                await session.confirm_render(args.render_id)
            out = await ctx.export(session, dest, args.deadline_seconds, args.render_id)
        ctx.sessions.track(entry)
        return out


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
