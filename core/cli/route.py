"""`route`: which skill a request would go to, and why."""

from __future__ import annotations

from pathlib import Path

import click

from nemo_skills.cli.output import catalog_for, print_json
from nemo_skills.cli.params import GivenPath
from nemo_skills.files.edge import safe_text


@click.command("route")
@click.argument("text", required=False, default="")
@click.option(
    "--file", "files", multiple=True, type=GivenPath(path_type=Path), help="A local file (repeatable)."
)
@click.option("--url", "urls", multiple=True, help="A URL (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: skill, reason, scores.")
@click.option("--explain", is_flag=True, help="Also print every skill's score and reason.")
@click.pass_context
def route_cmd(
    ctx: click.Context,
    text: str,
    files: tuple[Path, ...],
    urls: tuple[str, ...],
    as_json: bool,
    explain: bool,
) -> None:
    """Pick the skill for TEXT, files and URLs, and say why."""
    from nemo_skills.catalog.router import route
    from nemo_skills.files.checks import require_file

    # A file that is there but unusable is refused, as `run` would refuse it; a missing one is routed by name.
    for path in files:
        if path.exists():
            require_file(path, max_bytes=None, documents=True)
    result = route(text, files, urls, catalog=catalog_for(ctx))
    if as_json:
        print_json(result)
        return
    click.echo(safe_text(f"{result.skill}: {result.reason}"))
    for warning in result.warnings:
        click.echo(f"warning: {safe_text(warning)}", err=True)
    if explain:
        click.echo("")
        click.echo(f"{'skill':<26} {'score':>5}  reason")
        for row in result.scores:
            click.echo(safe_text(f"{row.skill:<26} {row.score:>5g}  {row.reason}"))
