"""`jobs`: the job journal, newest first; what each job asked for, how far it got, where its video is."""

from __future__ import annotations

import time
from typing import Any

import click
from click.core import ParameterSource

from nemo_skills.cli.options import id_callback, json_option, progress_option, run_reported
from nemo_skills.cli.output import print_json
from nemo_skills.cli.params import Number, WholeNumber
from nemo_skills.jobs.journal import JOB_STATES, KEEP_DAYS, UNFINISHED, Journal


def _age(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 86400:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"


@click.command("jobs")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(JOB_STATES),
    help="Only jobs in this state (repeatable).",
)
@click.option(
    "--unfinished", is_flag=True, help="Only jobs not done, failed or cancelled (what `resume` can finish)."
)
@click.option("--limit", type=WholeNumber(min=1), default=20, show_default=True, help="At most this many.")
@click.option(
    "--prune",
    is_flag=True,
    help=f"Forget finished (done, failed or cancelled) jobs older than --older-than days (done by itself "
    f"after {KEEP_DAYS:g} days); unfinished jobs are always kept.",
)
@click.option(
    "--older-than",
    type=Number(min=0),
    default=KEEP_DAYS,
    show_default=True,
    metavar="DAYS",
    help="With --prune: the age, in days since a job last changed.",
)
@json_option
def jobs_cmd(
    states: tuple[str, ...], unfinished: bool, limit: int, prune: bool, older_than: float, as_json: bool
) -> None:
    """List the jobs this user ran, newest first: state, skill, output or error.

    Every `run` (and each item of a batch) is a job in the journal in the user data
    folder. A running job (*) is followed with `nemo-skills wait JOB`; an interrupted
    one is finished by `nemo-skills resume JOB`, or by running the same command again.
    Finished jobs are forgotten after 30 days (`--prune --older-than DAYS` sooner).
    """
    source = click.get_current_context().get_parameter_source

    def chosen(name: str) -> bool:
        return source(name) not in (None, ParameterSource.DEFAULT)

    if not prune and chosen("older_than"):
        raise click.UsageError("--older-than goes with --prune: it is the age of the jobs to forget.")
    if prune and (chosen("states") or chosen("unfinished") or chosen("limit")):
        raise click.UsageError(
            "--prune forgets jobs by age only: it takes no --state, --unfinished or --limit."
        )
    wanted = tuple(dict.fromkeys([*states, *(UNFINISHED if unfinished else ())]))
    journal = Journal()
    if prune:
        gone = journal.prune(older_than)
        if as_json:
            print_json({"pruned": gone, "older_than_days": older_than})
        else:
            click.echo(
                f"Forgot {gone} finished job(s) older than {older_than:g} days; unfinished jobs are kept."
            )
        return
    jobs = journal.list(states=wanted, limit=limit)
    running = {job.job_id for job in jobs if journal.running(job)}
    if as_json:
        print_json(
            {
                "jobs": [
                    {
                        **job.model_dump(
                            mode="json",
                            exclude={"draft_before", "owner", "resume_from", "result", "registry"},
                        ),
                        "label": job.label,
                        "running": job.job_id in running,
                    }
                    for job in jobs
                ]
            }
        )
        return
    if not jobs:
        click.echo("No jobs yet." if not wanted else "No jobs in that state.")
        return
    now = time.time()
    click.echo(f"{'JOB':<17} {'STATE':<11} {'AGE':>4}  {'SKILL':<21} REQUEST")
    for job in jobs:
        state = job.state + ("*" if job.job_id in running else "")
        click.echo(
            f"{job.job_id:<17} {state:<11} {_age(now - job.created):>4}  {job.skill or '-':<21} {job.label}"
        )
        if job.state == "done" and job.output:
            click.echo(f"{'':<17} -> {job.output}")
        elif job.error:
            click.echo(f"{'':<17} !! {job.error.splitlines()[0]}")
    if running:
        click.echo("\nFollow a running job (*) with: nemo-skills wait JOB")
    if any(not j.finished and j.job_id not in running for j in jobs):
        click.echo("Finish an interrupted job with: nemo-skills resume JOB")


@click.command("wait")
@click.argument("job_ids", nargs=-1, required=True, metavar="JOB...", callback=id_callback)
@click.option(
    "--timeout",
    type=Number(min=0),
    default=None,
    metavar="SECONDS",
    help="Stop waiting after this long (all jobs together): exit 9, the jobs go on.",
)
@json_option
@progress_option
def wait_cmd(job_ids: tuple[str, ...], timeout: float | None, as_json: bool, progress_mode: str) -> None:
    """Wait for jobs to finish, showing their progress; print what `run` prints for each.

    Exits 0 when every job is done, with the job's own exit code when one failed, and 9
    when --timeout passes first (the jobs go on; wait again). A job whose worker is gone
    (the machine restarted, say) gets a new one, which goes on from where the job stopped.
    """
    import time

    from nemo_skills.cli.run import follow_job, print_result

    ends = None if timeout is None else time.monotonic() + timeout
    results: list[Any] = []
    for job_id in dict.fromkeys(job_ids):
        left = None if ends is None else max(0.0, ends - time.monotonic())

        def follow(report: Any, job_id: str = job_id, left: float | None = left) -> Any:
            return follow_job(job_id, report, left)

        results.append(run_reported(follow, progress_mode, as_json=as_json, job_id=job_id))
    if as_json:
        print_json(results[0] if len(results) == 1 else {"jobs": results})
        return
    for n, result in enumerate(results):
        if n:
            click.echo("")
        if len(results) > 1:
            click.echo(f"Job {result.job_id}:")
        print_result(result, result.backend)


@click.command("cancel")
@click.argument("job_ids", nargs=-1, metavar="[JOB]...", callback=id_callback)
@click.option(
    "--batch",
    "batch_ids",
    multiple=True,
    metavar="BATCH",
    help="Cancel every unfinished job of this batch (its id is in `jobs --json`); repeatable.",
)
@json_option
def cancel_cmd(job_ids: tuple[str, ...], batch_ids: tuple[str, ...], as_json: bool) -> None:
    """Cancel jobs: a queued job never starts, a running one stops within 5 s.

    Nothing more is sent for a cancelled job (no render is asked for after the cancel).
    What the backend had already started is not recalled, and credits it spent stay
    spent. `wait` on a cancelled job exits 11; `resume JOB --afresh` starts it over;
    the same request sent again is a new job. A job that had finished is left as it is.
    """
    from nemo_skills.jobs.attach import cancel_jobs

    if not job_ids and not batch_ids:
        raise click.UsageError("name the JOB ids to cancel, or --batch BATCH.")
    outcomes = cancel_jobs(list(job_ids), batch_ids=list(batch_ids))
    if as_json:
        print_json({"jobs": outcomes})
        return
    for outcome in outcomes:
        click.echo(outcome.message)
    if not outcomes:
        click.echo("Nothing to cancel: every job of the batch had finished.")
