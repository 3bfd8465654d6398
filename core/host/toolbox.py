"""The host tools, implemented once for any host: MCP, a function-calling loop, a script.

A `Toolbox` answers tool calls by name with validated arguments (the models in
`nemo_skills.host.tools`) and keeps one open session per skill across calls, so
`chat`, `upload`, `get_state` and `export` continue the timeline `run_skill`
started. Errors are `NemoSkillsError`s carrying the seeds' messages; the
host adapter decides how to show them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nemo_skills.catalog.registry import Catalog, get_catalog
from nemo_skills.catalog.router import route
from nemo_skills.client.settings import ClientOptions
from nemo_skills.errors import InputError, RenderTimeoutError
from nemo_skills.files.atomic import data_dir
from nemo_skills.files.naming import VIDEO_SUFFIX, OutputExistsError, resolve_output, slugify
from nemo_skills.host.progress_pump import Plan, Reporter, forwarder, progress_pump
from nemo_skills.host.session_pool import SessionPool
from nemo_skills.host.tool_results import (
    ChatOutput,
    CreditsOutput,
    ExportOutput,
    RouteOutput,
    RunSkillOutput,
    SkillInfo,
    SkillList,
    StateOutput,
    ToolOutput,
    UploadOutput,
)
from nemo_skills.host.tools import (
    TOOLS_BY_NAME,
    ChatArgs,
    ExportArgs,
    GetCreditsArgs,
    GetStateArgs,
    ListSkillsArgs,
    RouteInputArgs,
    RunSkillArgs,
    ToolArgs,
    ToolName,
    UploadArgs,
)
from nemo_skills.jobs.backends import Backend
from nemo_skills.jobs.inputs import prepare_input
from nemo_skills.jobs.runner import AUTO, RunRequest, run_job
from nemo_skills.jobs.session_store import SessionStore
from nemo_skills.jobs.skill_session import SkillSession

log = logging.getLogger(__name__)

VIDEOS_DIR = "videos"

AnyOutput = ToolOutput | RouteOutput | CreditsOutput
"""What a tool call returns."""

# Where each job stage sits on the 0-100 progress scale, per tool.
RUN_PLAN: Plan = {"route": (0, 2), "connect": (2, 5), "upload": (5, 20), "chat": (20, 45)}
EXPORT_PLAN: Plan = {"connect": (0, 2), "render": (2, 90), "download": (90, 100), "done": (100, 100)}
RUN_EXPORT_PLAN: Plan = {"connect": (45, 47), "render": (47, 95), "download": (95, 100), "done": (100, 100)}
CHAT_PLAN: Plan = {"connect": (0, 5), "chat": (5, 100)}
UPLOAD_PLAN: Plan = {"connect": (0, 5), "upload": (5, 100)}


class ToolboxSettings(BaseModel):
    """Where the tools send their calls and keep their videos."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    backend: Backend
    registry: Path | None = None
    options: ClientOptions = Field(default_factory=ClientOptions)
    output_dir: Path = Field(
        default_factory=lambda: data_dir() / VIDEOS_DIR,
        description="Folder for MP4s without an explicit output, and for relative output paths.",
    )
    export_deadline: float | None = Field(
        default=None, gt=0, description="Default seconds an export waits before returning its render id."
    )


def invalid_arguments(tool: str, exc: ValidationError) -> InputError:
    """A readable InputError for arguments that do not fit a tool's schema."""
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        problems.append(f"{where}: {err['msg']}")
    return InputError(f"invalid arguments for {tool}: " + "; ".join(problems))


class Toolbox:
    """Answers the host tools; one open session per skill, reused until the toolbox closes."""

    def __init__(self, settings: ToolboxSettings, *, store: SessionStore | None = None) -> None:
        self.settings = settings
        self.store = store if store is not None else SessionStore()
        self.sessions = SessionPool(
            settings.backend, lambda: self.catalog, store=self.store, options=settings.options
        )

    def __repr__(self) -> str:
        return f"Toolbox(backend={self.settings.backend.label!r})"

    async def __aenter__(self) -> Toolbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every open session's connections."""
        await self.sessions.aclose()

    @property
    def catalog(self) -> Catalog:
        """The skills served, from the configured registry."""
        return get_catalog(self.settings.registry)

    # --- dispatch ----------------------------------------------------------------------

    async def call(
        self, name: str, arguments: Mapping[str, Any] | None = None, *, report: Reporter | None = None
    ) -> AnyOutput:
        """Validate the arguments against the tool's model and run it; NemoSkillsError on failure."""
        spec = TOOLS_BY_NAME.get(name)
        if spec is None:
            raise InputError(f"unknown tool {name!r}; tools: {', '.join(TOOLS_BY_NAME)}")
        try:
            args: ToolArgs = spec.args.model_validate(dict(arguments or {}))
        except ValidationError as exc:
            raise invalid_arguments(name, exc) from exc
        match spec.name:
            case ToolName.ROUTE_INPUT:
                assert isinstance(args, RouteInputArgs)
                return self.route_input(args)
            case ToolName.LIST_SKILLS:
                assert isinstance(args, ListSkillsArgs)
                return self.list_skills(args)
            case ToolName.RUN_SKILL:
                assert isinstance(args, RunSkillArgs)
                return await self.run_skill(args, report=report)
            case ToolName.CHAT:
                assert isinstance(args, ChatArgs)
                return await self.chat(args, report=report)
            case ToolName.UPLOAD:
                assert isinstance(args, UploadArgs)
                return await self.upload(args, report=report)
            case ToolName.GET_STATE:
                assert isinstance(args, GetStateArgs)
                return await self.get_state(args)
            case ToolName.EXPORT:
                assert isinstance(args, ExportArgs)
                return await self.export(args, report=report)
            case ToolName.GET_CREDITS:
                assert isinstance(args, GetCreditsArgs)
                return await self.get_credits(args)
        raise InputError(f"tool {name!r} has no implementation")  # pragma: no cover - every name is matched

    # --- offline tools -------------------------------------------------------------------

    def route_input(self, args: RouteInputArgs) -> RouteOutput:
        """Which skill suits the input, and why."""
        result = route(args.text, args.files, args.urls, catalog=self.catalog)
        return RouteOutput.model_validate(result.model_dump())

    def list_skills(self, args: ListSkillsArgs) -> SkillList:
        """The skills served."""
        return SkillList(skills=[SkillInfo.from_skill(s) for s in self.catalog.skills()])

    # --- session tools -------------------------------------------------------------------

    async def run_skill(self, args: RunSkillArgs, *, report: Reporter | None = None) -> RunSkillOutput:
        """Route, upload, send the prompt and (unless told not to) export the MP4, in one session."""
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
        dest = self._output(args.output, label, overwrite=args.overwrite) if args.export else None
        async with progress_pump(report) as pump:
            result = await run_job(
                request,
                on_progress=forwarder(pump, RUN_PLAN),
                catalog=self.catalog,
                store=self.store,
                options=self.settings.options,
                backend=self.settings.backend,
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
            entry = await self.sessions.get(result.skill, result.session_id)
            if dest is None:
                return out
            async with entry.lock:
                entry.session.on_progress = forwarder(pump, RUN_EXPORT_PLAN)
                exported = await self._export(entry.session, dest, args.deadline_seconds, None)
            self.sessions.track(entry)
            update = exported.model_dump(exclude={"skill"})
            if update.get("session_replaced") is None:
                update["session_replaced"] = out.session_replaced
            return out.model_copy(update=update)

    async def chat(self, args: ChatArgs, *, report: Reporter | None = None) -> ChatOutput:
        """Send the next message to a session and return the reply."""
        async with progress_pump(report) as pump:
            entry = await self.sessions.get(args.skill, args.session_id)
            async with entry.lock:
                session = entry.session
                session.on_progress = forwarder(pump, CHAT_PLAN)
                reply = await session.send(args.message)
                out = ChatOutput(
                    skill=session.skill.name,
                    session_id=session.session_id,
                    session_replaced=self._replaced(session),
                    reply=reply.text or reply.error or "",
                    changes=reply.changes,
                    timeline=reply.timeline,
                )
            self.sessions.track(entry)
            return out

    async def upload(self, args: UploadArgs, *, report: Reporter | None = None) -> UploadOutput:
        """Upload files and URLs into a session; files are checked first."""
        if not args.files and not args.urls:
            raise InputError("nothing to upload: give files or urls.")
        async with progress_pump(report) as pump:
            entry = await self.sessions.get(args.skill, args.session_id)
            async with entry.lock:
                session = entry.session
                prepared = prepare_input(session.skill, "", [Path(f) for f in args.files], args.urls)
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
                    session_replaced=self._replaced(session),
                    files=names,
                    urls=prepared.urls,
                )
            self.sessions.track(entry)
            return out

    async def get_state(self, args: GetStateArgs) -> StateOutput:
        """A session's timeline summary."""
        entry = await self.sessions.get(args.skill, args.session_id)
        async with entry.lock:
            session = entry.session
            state = await session.state()
            out = StateOutput(
                skill=session.skill.name,
                session_id=session.session_id,
                session_replaced=self._replaced(session),
                timeline=state.timeline,
                ready_to_export=state.draft.ready_to_export,
                tracks=len(state.draft.tracks),
            )
        self.sessions.track(entry)
        return out

    async def export(self, args: ExportArgs, *, report: Reporter | None = None) -> ExportOutput:
        """Render and download a session's timeline, or fetch an earlier render past its deadline."""
        async with progress_pump(report) as pump:
            entry = await self.sessions.get(args.skill, args.session_id)
            async with entry.lock:
                session = entry.session
                record = session.record()
                label = (record.title if record is not None and record.title else "") or session.skill.name
                output, overwrite = args.output, args.overwrite
                if output is None and args.render_id and record is not None and record.pending_output:
                    # The file the interrupted export was going to write: finish that one.
                    output, overwrite = record.pending_output, True
                dest = self._output(output, label, overwrite=overwrite)
                session.on_progress = forwarder(pump, EXPORT_PLAN)
                out = await self._export(session, dest, args.deadline_seconds, args.render_id)
            self.sessions.track(entry)
            return out

    async def get_credits(self, args: GetCreditsArgs) -> CreditsOutput:
        """The credit balance (any open session's client will do)."""
        entry = self.sessions.latest() if args.skill is None else None
        if entry is not None:
            async with entry.lock:
                credits = await entry.session.credits()
        else:
            served = self.catalog.skills()
            if args.skill is None and not served:
                raise InputError("no skill is served, so no request can be attributed.")
            skill = self.catalog.get(args.skill) if args.skill else served[0]
            # Credits belong to the token, not to a session: none is created for them.
            async with self.sessions.new_session(skill) as session:
                credits = await session.credits()
        return CreditsOutput.model_validate(credits.model_dump())

    @staticmethod
    def _replaced(session: SkillSession) -> str | None:
        return session.info.replaced if session.info is not None else None

    # --- exports -------------------------------------------------------------------------

    def _output(self, output: str | None, label: str, *, overwrite: bool = False) -> Path:
        """The MP4 path: the caller's (relative to the output folder), else a fresh name there."""
        folder = self.settings.output_dir
        folder.mkdir(parents=True, exist_ok=True)
        if output is not None:
            try:
                return resolve_output(Path(output), label, cwd=folder, force=overwrite)
            except OutputExistsError as exc:
                raise OutputExistsError(
                    exc.message, action="Pass overwrite: true, or another output."
                ) from exc
        stem = slugify(label)
        path, n = folder / f"{stem}{VIDEO_SUFFIX}", 2
        while path.exists():
            path, n = folder / f"{stem}-{n}{VIDEO_SUFFIX}", n + 1
        return path

    async def _export(
        self, session: SkillSession, dest: Path, deadline: float | None, render_id: str | None
    ) -> ExportOutput:
        deadline = deadline if deadline is not None else self.settings.export_deadline
        try:
            result = await session.export(dest, deadline=deadline, render_id=render_id)
        except RenderTimeoutError as exc:
            rid = exc.render_id or render_id
            return ExportOutput(
                skill=session.skill.name,
                session_id=session.session_id,
                session_replaced=self._replaced(session),
                status="rendering",
                render_id=rid,
                message=(
                    f"Render {rid} is still running past the deadline. Call export again with "
                    f'render_id="{rid}" and session_id="{session.session_id}" to fetch the MP4.'
                ),
            )
        return ExportOutput(
            skill=session.skill.name,
            session_id=session.session_id,
            session_replaced=self._replaced(session),
            status="completed",
            render_id=result.render_id,
            path=str(result.path),
            url=result.url,
            size=result.size,
            message=f"Saved {result.path} ({result.size / (1024 * 1024):.1f} MB).",
        )
