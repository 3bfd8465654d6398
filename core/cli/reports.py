"""How a run's and a batch's outcome read: the reply block, the batch summary, the batch's --json object."""

from __future__ import annotations

from typing import Any

import click

from nemo_skills.cli.output import error
from nemo_skills.errors import ExitCode, OverBudgetError
from nemo_skills.files.edge import safe_text


def reply_block(text: str, changes: list[str], timeline: str | None, *, exported: bool = False) -> str:
    """The reply as printed: its text, then what changed and the timeline unless the text says them.

    With `exported`, the reply's "say 'export' when you're happy" goes: the MP4 is already saved.
    """
    if exported:
        from nemo_skills.host.tool_results import without_export_prompt

        text = without_export_prompt(text)
    lines = [text.rstrip() or "(no reply text)"]
    extra = [f"  - {c}" for c in changes if c not in text]
    if extra:
        lines += ["", "Changes:", *extra]
    if timeline and timeline not in text:
        lines += ["", timeline]
    return safe_text("\n".join(lines))


def print_batch(result: Any) -> None:
    """A batch's outcome for people: each item's reply or error, then a summary line per item."""
    for item in result.items:
        click.echo("")
        click.echo(safe_text(f"[{item.index}/{len(result.items)}] {item.label}"))
        if item.skipped:
            click.echo(f"Already done (job {item.job_id}): {item.output or 'no export'}")
        elif item.ok and (done := result.outcome(item)) is not None:
            if done.routed:
                click.echo(f"Skill: {done.skill} (auto: {done.reason})")
            click.echo(f"Session: {item.session_id}")
            exported = done.output is not None
            click.echo(reply_block(done.text, done.changes, done.timeline, exported=exported))
            if exported:
                click.echo(f"Saved: {done.output}")
        else:
            click.echo(safe_text(f"Failed: {item.error}"))
    click.echo("")
    spent = f" Credits spent: {result.credits_spent:g}." if result.credits_spent is not None else ""
    click.echo(
        f"Batch: {len(result.items)} request(s), {result.succeeded} done, {result.failed} failed "
        f"(at most {result.concurrency} at once).{spent}"
    )
    for item in result.items:
        mark = "ok    " if item.ok else "FAILED"
        where = (
            str(item.output)
            if item.ok and item.output
            else (item.error or "").splitlines()[0]
            if not item.ok
            else ""
        )
        job = f" [{item.job_id}]" if item.job_id else ""
        click.echo(safe_text(f"  {item.index:>2}. {mark} {where}{job}"))
    if getattr(result, "gallery", None) is not None:
        click.echo(f"Gallery: {result.gallery}")
    if any(not item.ok and item.exit_code != ExitCode.BAD_INPUT for item in result.items):
        # Bad input fails the same way every time: a rerun only helps the others.
        click.echo("Run the same command again to finish what is missing: items already done are skipped.")


def batch_json(result: Any) -> dict[str, Any]:
    """A batch (or resumed jobs) as the one --json object: every item with its ids, output and error."""
    data: dict[str, Any] = result.model_dump(mode="json", exclude={"items": {"__all__": {"result"}}})
    data.update(succeeded=result.succeeded, failed=result.failed)
    for item, full in zip(data["items"], result.items, strict=True):
        done = result.outcome(full)
        item["text"] = done.text if done else None
        item["timeline"] = done.timeline if done else None
    return data


def report_batch(ctx: click.Context, result: Any, *, as_json: bool) -> None:
    """Show a batch's outcome (the --json object, or the summary) and exit with its code."""
    if as_json:
        from nemo_skills.cli.output import print_json

        print_json(batch_json(result))
    else:
        print_batch(result)
    if result.exit_code:
        # A script that keeps only stderr, or a host that shows it, still learns why.
        error(failure_line(result))
        ctx.exit(result.exit_code)


def failure_line(result: Any) -> str:
    """One line for a batch that did not make everything: how many failed, and the first failure."""
    failed = [item for item in result.items if not item.ok]
    held = [item for item in failed if item.error_code == OverBudgetError.error_code]
    if held and len(held) == len(failed):
        spent = f"{result.credits_spent:g}" if result.credits_spent is not None else "an unknown number"
        return (
            f"{len(held)} of {len(result.items)} request(s) not started: the budget (--max-credits) is "
            f"{result.max_credits:g} credits and {spent} were spent."
        )
    first = failed[0]
    why = (first.error or "failed").splitlines()[0]
    # A line that could not be read is labelled by its line number, which its error already names.
    named = why if why.startswith(f"{first.label}:") else f"{first.label}: {why}"
    return f"{len(failed)} of {len(result.items)} request(s) failed; the first, [{first.index}] {named}"
