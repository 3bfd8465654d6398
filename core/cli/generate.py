"""`generate`: write SKILL.md files for agent hosts from the skill plugins."""

from __future__ import annotations

from pathlib import Path

import click

from nemo_skills.cli.output import catalog_for, print_json
from nemo_skills.cli.params import GivenPath
from nemo_skills.errors import ExitCode
from nemo_skills.skillmd.generate import Format, Mode, generate

DEFAULT_OUT = Path("dist/skills")


class StaleFilesError(click.ClickException):
    """`--check` found SKILL.md files that are missing or differ from what generate would write."""

    exit_code = ExitCode.FAILURE


@click.command("generate")
@click.option(
    "--out",
    "out_dir",
    type=GivenPath(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Folder to write <skill>/SKILL.md into.",
)
@click.option(
    "--skill", "names", multiple=True, metavar="NAME", help="Only this skill (repeatable; default: all)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in Format]),
    default=Format.CLAWHUB.value,
    show_default=True,
    help="clawhub: ClawHub/OpenClaw frontmatter; agentskills: only the Agent Skills spec's fields.",
)
@click.option(
    "--mode",
    type=click.Choice([m.value for m in Mode]),
    default=Mode.API.value,
    show_default=True,
    help="api: a self-contained guide to the HTTP API; cli: call the installed nemo-skills command.",
)
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 and list the files that are missing or stale."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def generate_cmd(
    ctx: click.Context, out_dir: Path, names: tuple[str, ...], fmt: str, mode: str, check: bool, as_json: bool
) -> None:
    """Generate DIR/<skill>/SKILL.md for each skill, from its plugin's data and template."""
    catalog = catalog_for(ctx)
    skills = [catalog.get(name) for name in dict.fromkeys(names)] if names else catalog.skills()
    report = generate(out_dir, skills, format=fmt, mode=mode, check=check)
    if as_json:
        print_json(report.model_dump(mode="json"))
    else:
        for path in report.written:
            click.echo(f"wrote {path}")
        for path in report.unchanged:
            click.echo(f"unchanged {path}")
    if report.out_of_date:
        if not as_json:
            for path in report.out_of_date:
                click.echo(f"out of date: {path}", err=True)
        flags = f"--out {out_dir} --format {fmt} --mode {mode}"
        raise StaleFilesError(
            f"{len(report.out_of_date)} SKILL.md file(s) out of date; run `nemo-skills generate {flags}`"
        )
