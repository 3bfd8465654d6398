"""`credits`, `state`, `export` and `resume`: one API step on a remembered session."""

from __future__ import annotations

from pathlib import Path

import click

from nemo_skills.cli.display import human_bytes
from nemo_skills.cli.options import (
    backend_option,
    check_session_flags,
    deadline_option,
    id_callback,
    json_error,
    json_option,
    progress_option,
    run_async,
    run_reported,
    session_options,
)
from nemo_skills.cli.output import catalog_for, print_json
from nemo_skills.cli.params import GivenPath
from nemo_skills.cli.reports import report_batch
from nemo_skills.client.models import Credits, SessionState
from nemo_skills.errors import InputError, NemoSkillsError
from nemo_skills.jobs.progress_events import ProgressCallback

skill_option = click.option(
    "--skill",
    "skill_name",
    metavar="SKILL",
    help="Skill whose session to use (default: the one stored with the session, else the last used).",
)


@click.command("credits")
@click.option("--skill", "skill_name", metavar="SKILL", help="Skill whose attribution headers to send.")
@backend_option
@json_option
@click.pass_context
def credits_cmd(ctx: click.Context, skill_name: str | None, backend: str, as_json: bool) -> None:
    """Show the credit balance: available, frozen (held by running jobs) and total."""

    async def job() -> Credits:
        from nemo_skills.jobs.backends import client_options_from_env, open_backend
        from nemo_skills.jobs.skill_session import SkillSession

        catalog = catalog_for(ctx)
        skill = catalog.get(skill_name) if skill_name else catalog.skills()[0]
        with open_backend(backend) as server:
            async with SkillSession(skill, server, options=client_options_from_env()) as session:
                return await session.credits()

    try:
        credits = run_async(job())
    except NemoSkillsError as exc:
        if as_json:
            json_error(exc)
        raise
    if as_json:
        print_json(credits)
        return
    click.echo(
        f"Credits: {credits.available:g} available, {credits.frozen:g} frozen, {credits.total:g} total"
    )


@click.command("state")
@session_options
@skill_option
@backend_option
@json_option
@click.pass_context
def state_cmd(
    ctx: click.Context,
    session_id: str | None,
    continue_last: bool,
    skill_name: str | None,
    backend: str,
    as_json: bool,
) -> None:
    """Show a session's timeline (default: the last session used on this backend)."""
    check_session_flags(session_id, continue_last)
    from nemo_skills.cli.display import SilentReporter

    async def job() -> tuple[SessionState, str, str]:
        from nemo_skills.jobs.backends import client_options_from_env, open_backend
        from nemo_skills.jobs.session_store import SessionStore
        from nemo_skills.jobs.skill_session import SkillSession, locate_session

        store = SessionStore()
        with open_backend(backend) as server:
            skill, record = locate_session(
                store, server, catalog_for(ctx), skill=skill_name, session_id=session_id
            )
            sid = session_id or (record.session_id if record else None)
            async with SkillSession(
                skill, server, store=store, options=client_options_from_env(), on_progress=SilentReporter()
            ) as session:
                assert sid is not None
                session.attach(sid)
                state = await session.state()
                return state, session.session_id, skill.name

    try:
        state, sid, skill = run_async(job())
    except NemoSkillsError as exc:
        if as_json:
            json_error(exc, session_id=session_id)
        raise
    if as_json:
        data = state.model_dump(mode="json", by_alias=True)
        data.update(
            skill=skill, session_id=sid, timeline=state.timeline, ready_to_export=state.draft.ready_to_export
        )
        print_json(data)
        return
    click.echo(f"Session: {sid} ({skill})")
    click.echo(state.timeline)
    if state.video_infos or state.generated_media:
        click.echo(f"Media: {len(state.video_infos)} uploaded, {len(state.generated_media)} generated")
    if not state.draft.ready_to_export:
        click.echo("Nothing to export yet: the timeline is empty.")


async def _export(
    ctx: click.Context,
    *,
    backend: str,
    session_id: str | None,
    skill_name: str | None,
    output: Path | None,
    render_id: str | None,
    resume_pending: bool,
    force: bool,
    deadline: float | None,
    reporter: ProgressCallback,
) -> dict[str, object]:
    from nemo_skills.errors import SessionNotFoundError, UnknownRenderError
    from nemo_skills.files.naming import resolve_output
    from nemo_skills.jobs.backends import client_options_from_env, open_backend
    from nemo_skills.jobs.session_store import SessionStore
    from nemo_skills.jobs.sessions import SessionLookup
    from nemo_skills.jobs.skill_session import SkillSession, locate_session

    store = SessionStore()
    with open_backend(backend) as server:
        skill, record = locate_session(
            store, server, catalog_for(ctx), skill=skill_name, session_id=session_id
        )
        sid = session_id or (record.session_id if record else None)
        assert sid is not None
        try:
            pending = SessionLookup.pending(
                record, render_id=render_id, output=output, resume_pending=resume_pending
            )
        except InputError as exc:
            raise InputError(
                exc.message,
                action=f"Start an export with: nemo-skills export --session {sid} {server.cli_flag()}".rstrip(),
            ) from exc
        render_id, output = pending.render_id, pending.output
        title = (record.title if record else None) or ""
        # The file an unfinished export was headed for is its own to replace (it asked, or it was free).
        dest = resolve_output(output, title, force=force or pending.replace, fallback=skill.name)
        async with SkillSession(
            skill, server, store=store, options=client_options_from_env(), on_progress=reporter
        ) as session:
            session.attach(sid)
            try:
                result = await session.export(dest, deadline=deadline, render_id=render_id, confirm=True)
            except UnknownRenderError as exc:
                refused = UnknownRenderError(
                    exc.message,
                    action=f"Start a new render with: nemo-skills export --session {sid} {server.cli_flag()}".rstrip(),
                )
                refused.session_id = sid
                raise refused from exc
            except SessionNotFoundError as exc:
                raise SessionNotFoundError(
                    f"Session {sid} was not found on the server; its timeline is gone.",
                    action=f'Start again with: nemo-skills run {skill.name} "..." {server.cli_flag()}'.rstrip(),
                ) from exc
            state = await session.state()
        if render_id is not None:
            # A job that stopped waiting on this render (deadline, Ctrl-C, full disk) is finished now.
            from nemo_skills.jobs.journal import Journal

            Journal.beside(store.db).settle_render(
                sid, result.render_id, output=str(result.path), size=result.size
            )
        return {
            "skill": skill.name,
            "session_id": sid,
            "render_id": result.render_id,
            "output": str(result.path),
            "size": result.size,
            "timeline": state.timeline,
            "text": f"Saved {result.path}",
        }


def _export_command(
    ctx: click.Context,
    *,
    backend: str,
    session_id: str | None,
    skill_name: str | None,
    output: Path | None,
    render_id: str | None,
    resume_pending: bool,
    force: bool,
    deadline: float | None,
    as_json: bool,
    progress_mode: str,
    preview: bool = False,
) -> None:
    data = run_reported(
        lambda reporter: _export(
            ctx,
            backend=backend,
            session_id=session_id,
            skill_name=skill_name,
            output=output,
            render_id=render_id,
            resume_pending=resume_pending,
            force=force,
            deadline=deadline,
            reporter=reporter,
        ),
        progress_mode,
        as_json=as_json,
        session_id=session_id,
    )
    if preview:
        data["preview"] = str(_sheet_of(Path(str(data["output"])), data, as_json=as_json))
    if as_json:
        print_json(data)
        return
    click.echo(f"Session: {data['session_id']} ({data['skill']})")
    click.echo(str(data["timeline"]))
    click.echo(f"Saved: {data['output']} ({human_bytes(int(str(data['size'])))}, {data['render_id']})")
    if preview:
        click.echo(f"Contact sheet: {data['preview']}")


def _sheet_of(video: Path, data: dict[str, object], *, as_json: bool) -> Path:
    """A contact sheet beside an exported MP4; under --json, a failure still prints its one object."""
    from nemo_skills.cli.options import json_error
    from nemo_skills.files.previews import sheet_beside

    try:
        return sheet_beside(video)
    except NemoSkillsError as exc:
        if as_json:
            json_error(exc, session_id=str(data["session_id"]), render_id=str(data["render_id"]))
        raise


_output_option = click.option(
    "-o",
    "--output",
    type=GivenPath(path_type=Path),
    help="Where to save the MP4. Default: a name from the session's first request, here.",
)


@click.command("export")
@session_options
@skill_option
@_output_option
@click.option(
    "--render",
    "render_id",
    metavar="ID",
    callback=id_callback,
    help="Finish this render (started earlier) instead of a new one.",
)
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@click.option(
    "--preview",
    is_flag=True,
    help="Also write a contact sheet of the video (a JPEG grid of frames with their times) as NAME.jpg "
    "beside the MP4.",
)
@backend_option
@deadline_option
@json_option
@progress_option
@click.pass_context
def export_cmd(
    ctx: click.Context,
    session_id: str | None,
    continue_last: bool,
    skill_name: str | None,
    output: Path | None,
    render_id: str | None,
    force: bool,
    preview: bool,
    backend: str,
    deadline: float | None,
    as_json: bool,
    progress_mode: str,
) -> None:
    """Render a session's timeline to a 1080p MP4 and download it (export is free).

    Default: the last session used on this backend.
    """
    check_session_flags(session_id, continue_last)
    _export_command(
        ctx,
        backend=backend,
        session_id=session_id,
        skill_name=skill_name,
        output=output,
        render_id=render_id,
        resume_pending=False,
        force=force,
        deadline=deadline,
        as_json=as_json,
        progress_mode=progress_mode,
        preview=preview,
    )


@click.command("resume")
@click.argument("job_ids", nargs=-1, metavar="[JOB]...", callback=id_callback)
@session_options
@skill_option
@_output_option
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@click.option(
    "--resend",
    is_flag=True,
    help="With JOB ids: send again a request whose outcome is unknown (its reply was cut and the session "
    "shows no change). Nothing is ever resent without it.",
)
@click.option(
    "--afresh",
    is_flag=True,
    help="With JOB ids: start a cancelled job over from the beginning (a new session, a new generation). "
    "Without it, a cancelled job is left as it is.",
)
@backend_option
@deadline_option
@json_option
@progress_option
@click.pass_context
def resume_cmd(
    ctx: click.Context,
    job_ids: tuple[str, ...],
    session_id: str | None,
    continue_last: bool,
    skill_name: str | None,
    output: Path | None,
    force: bool,
    resend: bool,
    afresh: bool,
    backend: str,
    deadline: float | None,
    as_json: bool,
    progress_mode: str,
) -> None:
    """Finish interrupted work: the jobs named (see `nemo-skills jobs`), or the last run's render.

    With JOB ids, each job goes on from where it stopped, in the worker pool (a job
    already running is followed; a cancelled one only with --afresh): a request already sent is not sent again, a render
    already asked for is waited for and downloaded, never exported twice.
    Without, finishes the render a run left behind (Ctrl-C or --deadline), like
    `export --render <pending render id>`; default: the last session used on this backend.
    """
    check_session_flags(session_id, continue_last)
    if job_ids:
        if session_id or continue_last or output is not None:
            raise InputError("give JOB ids, or --session/--continue/-o for a session's render, not both.")
        _resume_jobs(
            ctx,
            list(job_ids),
            deadline=deadline,
            resend=resend,
            afresh=afresh,
            as_json=as_json,
            progress_mode=progress_mode,
        )
        return
    if resend or afresh:
        flag = "--resend" if resend else "--afresh"
        raise click.UsageError(f"{flag} applies to JOB ids: name the job it is for.")
    _export_command(
        ctx,
        backend=backend,
        session_id=session_id,
        skill_name=skill_name,
        output=output,
        render_id=None,
        resume_pending=True,
        force=force,
        deadline=deadline,
        as_json=as_json,
        progress_mode=progress_mode,
    )


def _resume_jobs(
    ctx: click.Context,
    job_ids: list[str],
    *,
    deadline: float | None,
    resend: bool,
    afresh: bool,
    as_json: bool,
    progress_mode: str,
) -> None:
    from nemo_skills.jobs.batch_runner import resume_jobs

    result = run_reported(
        lambda report: resume_jobs(
            job_ids, on_progress=report, deadline=deadline, resend=resend, afresh=afresh
        ),
        progress_mode,
        as_json=as_json,
        job_ids=job_ids,
    )
    report_batch(ctx, result, as_json=as_json)
