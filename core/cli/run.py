"""`run`: one request end to end (route, connect, upload, chat, export), or a batch of them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from nemo_skills.cli.display import human_bytes
from nemo_skills.cli.options import (
    backend_option,
    check_session_flags,
    deadline_option,
    json_option,
    progress_option,
    run_reported,
    session_options,
)
from nemo_skills.cli.output import catalog_for, print_json
from nemo_skills.cli.params import GivenPath, Number, WholeNumber
from nemo_skills.cli.reports import reply_block, report_batch
from nemo_skills.errors import ExitCode, InputError
from nemo_skills.files.edge import MAX_BATCH_LINES, MAX_PROMPT_CHARS, MAX_URL_CHARS, mask_credentials
from nemo_skills.jobs.backends import CLOUD

EPILOG = (
    """\b
Examples:
  nemo-skills run auto "a 5-second sunset over a city skyline" --backend local -o sunset.mp4
  nemo-skills run video-leonardo "animate this" --file photo.jpg
  nemo-skills run ai-video-maker-sora --file script.docx
  nemo-skills run free-generator-editor "one clip each" --file a.mp4 --file b.mp4 --each
  nemo-skills run auto --batch requests.jsonl -o videos/
  nemo-skills run nemo-video-gen "a rough cut" --no-export
  nemo-skills run nemo-video-gen --continue "add a title: Urban Dreams"

\b
A batch file holds one JSON object per line:
  {"text": "...", "files": ["photo.jpg"], "urls": [], "output": "name.mp4"}

"""
    + f"""\b
Limits, checked before anything is sent:
  a prompt  {MAX_PROMPT_CHARS:,} characters of UTF-8 text
  a URL     {MAX_URL_CHARS:,} characters, http(s) only
  a batch   {MAX_BATCH_LINES:,} requests, each output a name inside -o

\b
Exit codes:
"""
    + "\n".join(f"  {code:>3}  {text}" for code, text in ExitCode.DESCRIPTIONS.items())
)


@click.command("run", epilog=EPILOG)
@click.argument("skill")
@click.argument("text", required=False, default="")
@click.option(
    "--file",
    "files",
    multiple=True,
    type=GivenPath(path_type=Path, dir_okay=False),
    help="A local image, clip, audio file or document (repeatable).",
)
@click.option("--url", "urls", multiple=True, help="A web page or YouTube URL (repeatable).")
@click.option(
    "-o",
    "--output",
    type=GivenPath(path_type=Path),
    help="Where to save the MP4 (a folder for batches). Default: a name from the prompt, here.",
)
@backend_option
@session_options
@click.option("--no-export", is_flag=True, help="Only chat; keep the timeline to refine and export later.")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@click.option(
    "--batch",
    "batch_file",
    type=GivenPath(path_type=Path, dir_okay=False, exists=True),
    help="Run every request of a JSONL file (one per line): each its own job, session and MP4.",
)
@click.option(
    "--each", is_flag=True, help="Batch style: each --file is its own request (TEXT applies to all)."
)
@click.option(
    "--concurrency",
    type=WholeNumber(1, 64),
    default=4,
    show_default=True,
    help="With --batch/--each: how many requests run at once (1: one after another).",
)
@click.option(
    "--max-credits",
    type=Number(min=0),
    default=None,
    metavar="N",
    help="A budget: start no request when what was spent, what running requests are expected to cost and "
    "the next one's expected cost (the most one has cost) would pass N. Exit 10 when something was not "
    "started; nothing running is cut.",
)
@click.option(
    "--no-gallery",
    is_flag=True,
    help="With --batch/--each: do not write index.html (each item's contact sheet, video and outcome) "
    "into the output folder.",
)
@click.option(
    "--preview",
    is_flag=True,
    help="Also write a contact sheet of the video (a JPEG grid of frames with their times) as NAME.jpg "
    "beside the MP4.",
)
@click.option(
    "--detach",
    is_flag=True,
    help="Start the job and return at once with its id; follow it with `nemo-skills wait JOB`.",
)
@deadline_option
@json_option
@progress_option
@click.pass_context
def run_cmd(
    ctx: click.Context,
    skill: str,
    text: str,
    files: tuple[Path, ...],
    urls: tuple[str, ...],
    output: Path | None,
    backend: str,
    session_id: str | None,
    continue_last: bool,
    no_export: bool,
    force: bool,
    batch_file: Path | None,
    each: bool,
    concurrency: int,
    max_credits: float | None,
    no_gallery: bool,
    preview: bool,
    detach: bool,
    deadline: float | None,
    as_json: bool,
    progress_mode: str,
) -> None:
    """Make a video with SKILL (or `auto`: the router picks) from TEXT, files and URLs.

    Connects, uploads the files and URLs, sends the request, shows the reply, then
    exports and downloads the MP4. TEXT `-` is read from stdin. Sessions are
    remembered: continue one with --session ID or --continue (SKILL may then be
    left out: `run --continue "add a title"` keeps the session's skill).

    The job runs in the machine's worker pool, so it goes on when this command is
    cut off (Ctrl-C, a closed terminal, a host's time limit): running the same command
    again while it is unfinished follows that job instead of paying for it twice.
    --detach returns at once with the job id; --deadline stops waiting (exit 9).
    """
    check_session_flags(session_id, continue_last)
    if (
        (session_id or continue_last)
        and not text
        and skill.lower() != "auto"
        and skill not in catalog_for(ctx)
    ):
        # `run --continue "add a title"`: the one argument is the request; the session knows its skill.
        skill, text = "auto", skill
    _check_flags(text, output, no_export, batch_file, each)
    given = ctx.get_parameter_source("concurrency") is click.core.ParameterSource.COMMANDLINE
    if given and batch_file is None and not each:
        raise click.UsageError("--concurrency applies to --batch or --each; one request runs alone.")
    if no_gallery and batch_file is None and not each:
        raise click.UsageError("--no-gallery applies to --batch or --each: one request writes no gallery.")
    if preview and (batch_file is not None or each):
        raise click.UsageError(
            "--preview is for one request; a batch makes each item's sheet for its gallery."
        )
    if detach and (batch_file is not None or each):
        raise click.UsageError("--detach starts one request; a batch runs here (run it again to resume it).")
    if detach and deadline is not None:
        raise click.UsageError(
            "--detach does not wait, so --deadline has nothing to bound; use wait --timeout."
        )
    if text == "-":
        text = _read_stdin()
    if batch_file is not None or each:
        _run_batch(
            ctx,
            skill=skill,
            text=text,
            files=files,
            urls=urls,
            output=output,
            backend=backend,
            session_id=session_id,
            continue_last=continue_last,
            export=not no_export,
            force=force,
            batch_file=batch_file,
            concurrency=concurrency,
            gallery=not no_gallery,
            max_credits=max_credits,
            deadline=deadline,
            as_json=as_json,
            progress_mode=progress_mode,
        )
        return
    from nemo_skills.jobs.plan import RunRequest

    request = RunRequest(
        skill=skill,
        text=text,
        files=list(files),
        urls=list(urls),
        output=output,
        export=not no_export,
        force=force,
        backend=backend,
        session_id=session_id,
        continue_last=continue_last,
        max_credits=max_credits,
    )
    if detach:
        _detach(ctx, request, as_json=as_json)
        return
    result = run_reported(
        lambda report: follow_request(request, report, catalog_for(ctx), deadline),
        progress_mode,
        as_json=as_json,
        skill=skill,
        session_id=session_id,
    )
    if preview:
        result = with_preview(result, as_json=as_json)
    if as_json:
        print_json(result)
        return
    print_result(result, backend)


def _detach(ctx: click.Context, request: Any, *, as_json: bool) -> None:
    from nemo_skills.jobs.attach import stage_of, submit_job

    job, joined = submit_job(request, catalog=catalog_for(ctx))
    if as_json:
        print_json(
            {
                "job_id": job.job_id,
                "status": "running",
                "stage": stage_of(job),
                "joined": joined,
                "skill": job.skill,
                "output": job.output,
            }
        )
        return
    what = "Following job" if joined else "Started job"
    click.echo(f"{what} {job.job_id} ({job.skill}: {job.label}).")
    if job.output:
        click.echo(f"It will be saved as {job.output}.")
    click.echo(f"Wait for it with: nemo-skills wait {job.job_id}")


async def follow_request(request: Any, report: Any, catalog: Any, deadline: float | None) -> Any:
    """Submit a request (or join the same one asked earlier) and follow its job to the end."""
    from nemo_skills.jobs.attach import submit_job
    from nemo_skills.jobs.progress_events import Notice

    job, joined = submit_job(request, catalog=catalog, on_progress=report)
    if joined:
        report(
            Notice(
                message=f"Following job {job.job_id}, asked for earlier ({job.state}); nothing is sent twice."
            )
        )
    return await follow_job(job.job_id, report, deadline)


async def follow_job(job_id: str, report: Any, timeout: float | None) -> Any:
    """Wait for a job and return its RunResult; its error when it failed; JobStillRunning past `timeout`."""
    import asyncio

    from nemo_skills.errors import InterruptedByUser
    from nemo_skills.jobs.attach import job_outcome, wait_for_job

    wait_cmd = f"nemo-skills wait {job_id}"
    try:
        job = await wait_for_job(job_id, timeout=timeout, on_progress=report)
    except (asyncio.CancelledError, KeyboardInterrupt):
        stopped = InterruptedByUser(
            f"Stopped waiting; job {job_id} goes on in the background.", action=f"Follow it with: {wait_cmd}"
        )
        stopped.job_id = job_id
        raise stopped from None
    return job_outcome(job, waited=timeout)


def _check_flags(
    text: str, output: Path | None, no_export: bool, batch_file: Path | None, each: bool
) -> None:
    """Refuse flag combinations that would otherwise be silently ignored."""
    if batch_file is not None and each:
        raise click.UsageError(
            "give either --batch (requests from a file) or --each (one per --file), not both."
        )
    if batch_file is not None and text:
        raise click.UsageError("--batch takes its requests from the file: put TEXT in each line instead.")
    if no_export and output is not None:
        raise click.UsageError("--no-export writes no file, so -o has nothing to name; drop one of them.")


def _read_stdin() -> str:
    raw = sys.stdin.buffer.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(
            "the request read from stdin is not UTF-8 text.", action="Save it as UTF-8 and try again."
        ) from None


def with_preview(result: Any, *, as_json: bool) -> Any:
    """The result with a contact sheet of its MP4 beside it (made once); the error a user reads if not."""
    from nemo_skills.cli.options import json_error
    from nemo_skills.errors import NemoSkillsError
    from nemo_skills.files.previews import sheet_beside

    if result.output is None:
        return result
    try:
        sheet = sheet_beside(Path(result.output))
    except NemoSkillsError as exc:
        if as_json:
            json_error(exc, job_id=result.job_id, session_id=result.session_id)
        raise
    return result.model_copy(update={"preview": sheet})


def credits_line(spent: float | None, estimated: bool) -> str | None:
    """How a job's (or a batch's) cost reads, or None when it was not measured."""
    if spent is None:
        return None
    return f"Credits spent: {'about ' if estimated else ''}{spent:g}{' (an estimate)' if estimated else ''}"


def print_result(result: Any, backend: str) -> None:
    """What `run` (and `wait`) print for a finished job: the skill, the session, the reply, the file."""
    if result.routed:
        click.echo(f"Skill: {result.skill} (auto: {result.reason})")
    click.echo(f"Session: {result.session_id}")
    click.echo("")
    click.echo(reply_block(result.text, result.changes, result.timeline, exported=result.output is not None))
    if result.output is not None:
        size = f" ({human_bytes(result.size)})" if result.size else ""
        click.echo(f"Saved: {result.output}{size}")
    else:
        flag = "" if backend == CLOUD else f" --backend {mask_credentials(backend)}"
        click.echo(
            f'Not exported. Refine with: nemo-skills run {result.skill} --continue{flag} "..."; '
            f"export with: nemo-skills export --session {result.session_id}{flag}"
        )
    if result.preview is not None:
        click.echo(f"Preview: {result.preview}")
    spent = credits_line(result.credits_spent, result.credits_estimated)
    if spent is not None:
        click.echo(spent)


def _run_batch(
    ctx: click.Context,
    *,
    skill: str,
    text: str,
    files: tuple[Path, ...],
    urls: tuple[str, ...],
    output: Path | None,
    backend: str,
    session_id: str | None,
    continue_last: bool,
    export: bool,
    force: bool,
    batch_file: Path | None,
    concurrency: int,
    deadline: float | None,
    as_json: bool,
    progress_mode: str,
    gallery: bool = True,
    max_credits: float | None = None,
) -> None:
    from nemo_skills.jobs.batch import BatchItem, read_batch_file
    from nemo_skills.jobs.batch_runner import BatchRequest, run_batch

    if session_id or continue_last:
        raise InputError(
            "--batch and --each run each request as its own job in its own session, "
            "so --session and --continue do not apply.",
            action='Refine a session one request at a time with: nemo-skills run SKILL --continue "..."',
        )
    if output is not None and output.exists() and not output.is_dir():
        raise InputError(f"-o {output}: a batch writes one file per request, so -o must be a folder.")
    items: list[BatchItem] = []
    if batch_file is not None:
        items.extend(read_batch_file(batch_file))
    if files or urls:
        if batch_file is not None and not files:
            raise InputError("--url with --batch: put the URLs in the batch file.")
        items.extend(BatchItem(line=0, text=text, files=[f]) for f in files)
        items.extend(BatchItem(line=0, text=text, urls=[u]) for u in urls)
    elif batch_file is None:
        raise InputError("--each needs --file or --url arguments.")
    if output is not None and not output.exists():
        # Only once the requests are read: a batch refused as a whole leaves no empty folder behind.
        output.mkdir(parents=True)
    request = BatchRequest(
        skill=skill,
        items=items,
        output_dir=output,
        export=export,
        force=force,
        backend=backend,
        deadline=deadline,
        concurrency=concurrency,
        gallery=gallery,
        max_credits=max_credits,
    )
    result = run_reported(
        lambda report: run_batch(request, on_progress=report, catalog=catalog_for(ctx)),
        progress_mode,
        as_json=as_json,
        skill=skill,
        batch=True,
    )
    report_batch(ctx, result, as_json=as_json)
