"""`install`: add nemo-skills to an agent host (its skills folder and its MCP configuration)."""

from __future__ import annotations

from pathlib import Path

import click

from nemo_skills.cli.options import backend_option
from nemo_skills.cli.output import catalog_for, print_json
from nemo_skills.cli.params import GivenPath
from nemo_skills.host.agent_hosts import AgentHost, layout
from nemo_skills.host.host_install import describe, install, uninstall
from nemo_skills.skillmd.generate import Mode

EPILOG = """\b
Exit codes:
  0  installed, or removed (also when there was nothing to remove)
  2  a config file that is not plain JSON, an entry nemo-skills did not
     write (without --force), or flags that conflict; nothing was written"""


@click.command("install", epilog=EPILOG)
@click.argument("host", metavar="HOST", type=click.Choice([h.value for h in AgentHost]))
@click.option(
    "--mode",
    type=click.Choice([m.value for m in Mode]),
    default=Mode.CLI.value,
    show_default=True,
    help="cli: skills call the installed nemo-skills command; api: skills drive the HTTP API by hand.",
)
@backend_option
@click.option("--skills/--no-skills", "with_skills", default=True, help="Write the skills (default: yes).")
@click.option(
    "--mcp/--no-mcp",
    "with_mcp",
    default=None,
    help="Register the MCP server (default: yes, except for openclaw, whose skills need none).",
)
@click.option(
    "--workspace",
    type=GivenPath(file_okay=False, path_type=Path),
    help="openclaw: write into WORKSPACE/skills instead of the managed skills folder.",
)
@click.option("--dry-run", is_flag=True, help="Change nothing; show what would change, JSON included.")
@click.option("--uninstall", "remove", is_flag=True, help="Remove exactly what an earlier install added.")
@click.option("--force", is_flag=True, help="Replace a skill file or server entry nemo-skills did not write.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def install_cmd(
    ctx: click.Context,
    host: str,
    mode: str,
    backend: str,
    with_skills: bool,
    with_mcp: bool | None,
    workspace: Path | None,
    dry_run: bool,
    remove: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Add the skills and the MCP server to HOST: openclaw, claude-desktop, claude-code or cursor.

    JSON is merged (other servers and settings are kept) and the previous file stays beside it
    as <file>.bak; --uninstall removes what install added, keeping anything changed since.
    """
    agent = AgentHost(host)
    if not remove:
        from nemo_skills.jobs.backends import resolve_backend

        # Refused now, not when the host starts a server that cannot reach anything.
        resolve_backend(backend)
    if workspace is not None and agent is not AgentHost.OPENCLAW:
        raise click.UsageError(f"--workspace is for openclaw; {host} reads its skills from one fixed folder.")
    if remove:
        report = uninstall(agent, dry_run=dry_run)
    else:
        where = layout(agent, workspace=workspace)
        mcp = where.mcp_by_default if with_mcp is None else with_mcp
        if not (with_skills and where.skills_dir) and not (mcp and where.mcp_file):
            why = (
                "it takes no skills folder"
                if where.skills_dir is None
                else "--no-skills leaves out the skills"
            )
            server = (
                "the MCP server needs --mcp" if with_mcp is None else "--no-mcp leaves out the MCP server"
            )
            raise click.UsageError(f"nothing to install into {host}: {why}, and {server}.")
        report = install(
            where,
            catalog_for(ctx).skills(),
            mode=Mode(mode),
            backend=backend,
            with_skills=with_skills,
            with_mcp=with_mcp,
            dry_run=dry_run,
            force=force,
        )
    if as_json:
        print_json(report)
        return
    for line in describe(report):
        click.echo(line)
