"""`jobs`: the job journal, newest first; what each job asked for, how far it got, where its video is."""

from __future__ import annotations

import time

import click

from nemo_skills.cli.options import json_option
from nemo_skills.cli.output import print_json
from nemo_skills.jobs.journal import JOB_STATES, UNFINISHED, Journal, owner_alive


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
@click.option("--unfinished", is_flag=True, help="Only jobs not done or failed (what `resume` can finish).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="At most this many.")
@json_option
def jobs_cmd(states: tuple[str, ...], unfinished: bool, limit: int, as_json: bool) -> None:
    """List the jobs this user ran, newest first: state, skill, output or error.

    Every `run` (and each item of a batch) is a job in the journal in the user data
    folder. An unfinished job (interrupted, or past its --deadline) is finished by
    `nemo-skills resume JOB`, or by running the same command again.
    """
    wanted = tuple(dict.fromkeys([*states, *(UNFINISHED if unfinished else ())]))
    jobs = Journal().list(states=wanted, limit=limit)
    if as_json:
        print_json(
            {
                "jobs": [
                    {
                        **job.model_dump(mode="json", exclude={"draft_before", "owner", "resume_from"}),
                        "label": job.label,
                        "running": not job.finished and owner_alive(job.owner),
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
        state = job.state + ("*" if not job.finished and owner_alive(job.owner) else "")
        click.echo(
            f"{job.job_id:<17} {state:<11} {_age(now - job.created):>4}  {job.skill or '-':<21} {job.label}"
        )
        if job.state == "done" and job.output:
            click.echo(f"{'':<17} -> {job.output}")
        elif job.error:
            click.echo(f"{'':<17} !! {job.error.splitlines()[0]}")
    if any(not j.finished and not owner_alive(j.owner) for j in jobs):
        click.echo("\nFinish an unfinished job with: nemo-skills resume JOB   (* = running now)")
