"""The main job end to end: route, connect, upload, send, export; one request or a batch.

    result = await run_job(RunRequest(skill="auto", text="a 5-second sunset", backend="local"))

Everything a user can get wrong is checked before anything is sent: the skill,
each file (format, size, documents), the output path. Progress goes to one
callback as `ProgressEvent`s; nothing here prints. The CLI, the MCP server and
scripts share this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from nemo_skills.catalog.registry import Catalog, get_catalog
from nemo_skills.catalog.router import route
from nemo_skills.catalog.skill import Skill
from nemo_skills.client.models import ExportResult, Reply
from nemo_skills.client.settings import ClientOptions
from nemo_skills.errors import (
    AuthError,
    InputError,
    InterruptedByUser,
    NemoSkillsError,
    NoCreditsError,
    PlanTierError,
    RateLimitedError,
)
from nemo_skills.files.naming import resolve_output
from nemo_skills.jobs.backends import Backend, backend_label, client_options_from_env, open_backend
from nemo_skills.jobs.batch import BatchItem
from nemo_skills.jobs.inputs import PreparedInput, build_prompt, prepare_input
from nemo_skills.jobs.progress_events import ItemStarted, Notice, ProgressCallback, Stage, ignore
from nemo_skills.jobs.session_store import SessionStore
from nemo_skills.jobs.skill_session import SkillSession

AUTO = "auto"

# Errors that would fail every later item of a batch the same way: stop there.
_BATCH_FATAL: tuple[type[NemoSkillsError], ...] = (
    AuthError,
    NoCreditsError,
    PlanTierError,
    RateLimitedError,
    InterruptedByUser,
)


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
    backend: str = Field(default="cloud", description="'local', 'cloud' or a server URL.")
    session_id: str | None = None
    continue_last: bool = Field(default=False, description="Continue the last session of the skill.")
    deadline: float | None = Field(default=None, gt=0, description="Seconds to wait for the render.")
    cwd: Path | None = Field(default=None, description="Folder for automatic output names (default: cwd).")


class RunResult(BaseModel):
    """What a job produced."""

    skill: str
    routed: bool = Field(default=False, description="The router picked the skill.")
    reason: str | None = Field(default=None, description="Why the router picked it.")
    session_id: str
    session_replaced: str | None = Field(default=None, description="A lost session this run replaced.")
    backend: str = Field(description="'local', 'cloud' or the server URL.")
    text: str = Field(description="The final reply.")
    changes: list[str] = Field(default_factory=list)
    timeline: str = Field(description="The timeline summary after the reply.")
    uploaded: list[str] = Field(default_factory=list)
    output: Path | None = None
    render_id: str | None = None
    size: int | None = None


class BatchItemResult(BaseModel):
    """One batch item's outcome: its result, or the error that stopped it."""

    index: int
    line: int
    label: str
    ok: bool
    result: RunResult | None = None
    error: str | None = None
    exit_code: int = 0


class BatchResult(BaseModel):
    """A whole batch: every item's outcome in order, in one session."""

    skill: str
    routed: bool = False
    reason: str | None = None
    session_id: str | None = None
    backend: str
    items: list[BatchItemResult]

    @property
    def succeeded(self) -> int:
        """How many items produced their result."""
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


def pick_skill(
    name: str, text: str, files: Sequence[Path], urls: Sequence[str], catalog: Catalog
) -> tuple[Skill, str | None]:
    """The skill for a request and, when the router chose it, why."""
    if name.strip().lower() != AUTO:
        return catalog.get(name), None
    choice = route(text, files, urls, catalog=catalog)
    return catalog.get(choice.skill), choice.reason


def choose_skill(
    request: RunRequest | BatchRequest,
    text: str,
    files: Sequence[Path],
    urls: Sequence[str],
    catalog: Catalog,
    store: SessionStore,
    label: str,
) -> tuple[Skill, str | None]:
    """The skill of a job: `auto` continuing a session keeps that session's skill; else as pick_skill."""
    if request.skill.strip().lower() == AUTO and (request.session_id or request.continue_last):
        if request.session_id:
            record = store.get(request.session_id)
        else:
            mine = [r for r in store.records() if r.base_url == label]
            record = mine[-1] if mine else None
        if record is not None and record.skill in catalog:
            return catalog.get(record.skill), None
    return pick_skill(request.skill, text, files, urls, catalog)


def _reply_text(reply: Reply) -> str:
    if reply.text.strip():
        return reply.text
    return reply.error or "(no reply text)"


async def _one(
    session: SkillSession,
    prepared: PreparedInput,
    output: Path | None,
    *,
    deadline: float | None,
) -> tuple[Reply, list[str], str, ExportResult | None]:
    if session.title is None:
        # Later exports of the session are named after what the user asked, not the rendered template.
        session.title = _name_source(prepared) or None
    uploaded = await session.upload(prepared)
    reply = await session.send(build_prompt(session.skill, prepared, uploaded))
    state = await session.state()
    exported = await session.export(output, deadline=deadline) if output is not None else None
    return reply, uploaded, state.timeline, exported


def _result(
    session: SkillSession,
    reason: str | None,
    reply: Reply,
    uploaded: list[str],
    timeline: str,
    exported: ExportResult | None,
) -> RunResult:
    info = session.info
    return RunResult(
        skill=session.skill.name,
        routed=reason is not None,
        reason=reason,
        session_id=session.session_id,
        session_replaced=info.replaced if info else None,
        backend=session.backend.label,
        text=_reply_text(reply),
        changes=reply.changes,
        timeline=timeline,
        uploaded=uploaded,
        output=exported.path if exported else None,
        render_id=exported.render_id if exported else None,
        size=exported.size if exported else None,
    )


def _announce(on_progress: ProgressCallback, skill: Skill, reason: str | None) -> None:
    if reason is not None:
        on_progress(Stage(stage="route", message=f"{skill.name}: {reason}"))


async def run_job(
    request: RunRequest,
    *,
    on_progress: ProgressCallback | None = None,
    catalog: Catalog | None = None,
    store: SessionStore | None = None,
    options: ClientOptions | None = None,
    backend: Backend | None = None,
) -> RunResult:
    """Run one request end to end and return what it produced.

    `backend` overrides `request.backend` with a server already running. Raises the
    NemoSkillsError subclass that matches what went wrong (see nemo_skills.errors).
    """
    report = on_progress or ignore
    catalog = catalog if catalog is not None else get_catalog()
    store = store if store is not None else SessionStore()
    label = backend.label if backend is not None else backend_label(request.backend)
    skill, reason = choose_skill(request, request.text, request.files, request.urls, catalog, store, label)
    _announce(report, skill, reason)
    prepared = prepare_input(skill, request.text, request.files, request.urls, catalog=catalog)
    output = None
    if request.export:
        output = resolve_output(
            request.output, _name_source(prepared), cwd=request.cwd, force=request.force, fallback=skill.name
        )
    opts = options if options is not None else client_options_from_env()
    if backend is not None:
        return await _run_on(backend, skill, reason, prepared, output, request, report, store, opts)
    with open_backend(request.backend) as started:
        return await _run_on(started, skill, reason, prepared, output, request, report, store, opts)


def _name_source(prepared: PreparedInput) -> str:
    if prepared.text:
        return prepared.text
    if prepared.documents:
        return Path(prepared.documents[0].name).stem
    if prepared.media:
        return prepared.media[0].stem
    return ""


async def _run_on(
    backend: Backend,
    skill: Skill,
    reason: str | None,
    prepared: PreparedInput,
    output: Path | None,
    request: RunRequest,
    report: ProgressCallback,
    store: SessionStore | None,
    options: ClientOptions,
) -> RunResult:
    async with SkillSession(skill, backend, store=store, options=options, on_progress=report) as session:
        await session.open(
            request.session_id, continue_last=request.continue_last, language_hint=prepared.text
        )
        reply, uploaded, timeline, exported = await _one(session, prepared, output, deadline=request.deadline)
        return _result(session, reason, reply, uploaded, timeline, exported)


class BatchRequest(BaseModel):
    """A batch: items run one after another in one session, each with its own render."""

    skill: str = AUTO
    items: list[BatchItem]
    output_dir: Path | None = Field(default=None, description="Folder for the outputs (default: cwd).")
    export: bool = True
    force: bool = False
    backend: str = "cloud"
    session_id: str | None = None
    continue_last: bool = False
    deadline: float | None = Field(default=None, gt=0)


async def run_batch(
    request: BatchRequest,
    *,
    on_progress: ProgressCallback | None = None,
    catalog: Catalog | None = None,
    store: SessionStore | None = None,
    options: ClientOptions | None = None,
    backend: Backend | None = None,
) -> BatchResult:
    """Run every item of a batch in one session; a failed item does not stop the others.

    Errors that would fail every later item too (auth, credits, plan, rate limit,
    Ctrl-C) stop the batch; the items not run are reported as skipped.
    """
    report = on_progress or ignore
    catalog = catalog if catalog is not None else get_catalog()
    usable = [i for i in request.items if i.error is None]
    if not usable:
        raise InputError("no usable request in the batch: " + "; ".join(i.error or "" for i in request.items))
    first = usable[0]
    store = store if store is not None else SessionStore()
    label = backend.label if backend is not None else backend_label(request.backend)
    skill, reason = choose_skill(request, first.text, first.files, first.urls, catalog, store, label)
    _announce(report, skill, reason)
    outputs = _plan_outputs(request, skill)
    opts = options if options is not None else client_options_from_env()
    result = BatchResult(skill=skill.name, routed=reason is not None, reason=reason, backend="", items=[])
    if backend is not None:
        await _batch_on(backend, skill, request, outputs, result, report, store, opts)
    else:
        with open_backend(request.backend) as started:
            await _batch_on(started, skill, request, outputs, result, report, store, opts)
    return result


def _plan_outputs(request: BatchRequest, skill: Skill) -> list[Path | NemoSkillsError | None]:
    """Each item's output path, decided up front so two items never share one."""
    taken: set[Path] = set()
    planned: list[Path | NemoSkillsError | None] = []
    for item in request.items:
        if item.error is not None or not request.export:
            planned.append(None)
            continue
        source = item.text or (item.files[0].stem if item.files else "")
        try:
            path = resolve_output(
                item.output,
                source,
                cwd=request.output_dir,
                force=request.force,
                fallback=skill.name,
                taken=taken,
            )
        except NemoSkillsError as exc:
            planned.append(exc)
            continue
        taken.add(path)
        planned.append(path)
    return planned


async def _batch_on(
    backend: Backend,
    skill: Skill,
    request: BatchRequest,
    outputs: list[Path | NemoSkillsError | None],
    result: BatchResult,
    report: ProgressCallback,
    store: SessionStore | None,
    options: ClientOptions,
) -> None:
    result.backend = backend.label
    total = len(request.items)
    async with SkillSession(skill, backend, store=store, options=options, on_progress=report) as session:
        first_text = next((i.text for i in request.items if i.error is None), "")
        await session.open(request.session_id, continue_last=request.continue_last, language_hint=first_text)
        result.session_id = session.session_id
        stop: NemoSkillsError | None = None
        for index, (item, output) in enumerate(zip(request.items, outputs, strict=True), 1):
            entry = BatchItemResult(index=index, line=item.line, label=item.label, ok=False)
            result.items.append(entry)
            if stop is not None:
                entry.error = f"skipped: {stop.message}"
                entry.exit_code = stop.exit_code
                continue
            report(ItemStarted(index=index, total=total, label=item.label))
            if item.error is not None:
                entry.error, entry.exit_code = item.error, InputError.exit_code
                report(Notice(level="warning", message=f"{index}/{total}: {item.error}"))
                continue
            if isinstance(output, NemoSkillsError):
                entry.error, entry.exit_code = output.user_message(), output.exit_code
                report(Notice(level="warning", message=f"{index}/{total}: {output.message}"))
                continue
            try:
                prepared = prepare_input(skill, item.text, item.files, item.urls)
                reply, uploaded, timeline, exported = await _one(
                    session, prepared, output, deadline=request.deadline
                )
            except NemoSkillsError as exc:
                entry.error, entry.exit_code = exc.user_message(), exc.exit_code
                report(Notice(level="warning", message=f"{index}/{total} failed: {exc.message}"))
                if isinstance(exc, _BATCH_FATAL):
                    stop = exc
                continue
            entry.ok = True
            entry.result = _result(session, None, reply, uploaded, timeline, exported)
            result.session_id = session.session_id
