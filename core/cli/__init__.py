"""The `nemo-skills` command line: a thin layer that parses, calls the library and prints.

Subcommands live in their own modules and are imported only when used, so
`nemo-skills --help` stays fast.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from nemo_skills.cli.params import GivenPath
from nemo_skills.errors import ExitCode

# name -> "module:attr", or ("module:attr", one-line summary). The module is
# imported only when the command runs; with a summary, --help lists the command
# without importing it at all.
COMMANDS: dict[str, str | tuple[str, str]] = {
    "list": ("nemo_skills.cli.catalog:list_cmd", "List the skills this host serves."),
    "show": ("nemo_skills.cli.catalog:show_cmd", "Show everything a skill declares."),
    "plugins": ("nemo_skills.cli.catalog:plugins_cmd", "List the loaded plugins and their hooks."),
    "route": ("nemo_skills.cli.route:route_cmd", "Pick the skill for a request, and say why."),
    "tools": ("nemo_skills.cli.tools:tools_cmd", "Print the JSON schemas of the host tools."),
    "mcp": ("nemo_skills.cli.mcp:mcp_cmd", "Serve the router and video tools over MCP."),
    "generate": ("nemo_skills.cli.generate:generate_cmd", "Write SKILL.md files for agent hosts."),
    "install": ("nemo_skills.cli.install:install_cmd", "Add the skills and MCP server to an agent host."),
    "run": ("nemo_skills.cli.run:run_cmd", "Make a video: route, upload, chat, export (or a batch)."),
    "chat": ("nemo_skills.cli.chat:chat_cmd", "An interactive editing session with a skill."),
    "credits": ("nemo_skills.cli.sessions:credits_cmd", "Show the credit balance."),
    "state": ("nemo_skills.cli.sessions:state_cmd", "Show a session's timeline."),
    "export": ("nemo_skills.cli.sessions:export_cmd", "Render a session to MP4 and download it."),
    "resume": ("nemo_skills.cli.sessions:resume_cmd", "Finish interrupted jobs, or the last run's render."),
    "jobs": ("nemo_skills.cli.jobs:jobs_cmd", "List jobs: what each asked for and how far it got."),
    "wait": (
        "nemo_skills.cli.jobs:wait_cmd",
        "Wait for jobs (started with run --detach, or cut off) to finish.",
    ),
    "cancel": (
        "nemo_skills.cli.jobs:cancel_cmd",
        "Cancel jobs: a queued one never starts, a running one stops.",
    ),
    "serve-local": ("nemo_skills.cli.serve_local:serve_local_cmd", "Serve the API offline on loopback."),
}


def _load(target: str) -> click.Command:
    module, attr = target.split(":")
    cmd = getattr(importlib.import_module(module), attr)
    assert isinstance(cmd, click.Command)
    return cmd


def _exit_codes_help() -> str:
    return "\n".join(f"  {code:>3}  {text}" for code, text in ExitCode.DESCRIPTIONS.items())


@dataclass
class CliState:
    """Options every subcommand can read from the click context."""

    registry: Path | None = None


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use; plugins may add more."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plugins_seen: int | None = None

    def _add_plugin_commands(self) -> None:
        from nemo_skills.catalog import plugins

        pm = plugins.load_plugins()
        # Plugins registered at run time (a host, a test) add their commands too.
        if self._plugins_seen == plugins.generation():
            return
        self._plugins_seen = plugins.generation()
        pm.hook.register_commands(cli=self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        # Plugin commands are not listed here: finding them means importing every
        # plugin, which --help must not pay for. `nemo-skills plugins` lists them.
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            entry = COMMANDS.get(name)
            if isinstance(entry, tuple):
                rows.append((name, entry[1]))
            elif entry is not None:
                rows.append((name, _load(entry).get_short_help_str()))
            else:
                cmd = super().get_command(ctx, name)
                rows.append((name, cmd.get_short_help_str() if cmd else ""))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is not None:
            return _load(entry[0] if isinstance(entry, tuple) else entry)
        self._add_plugin_commands()
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    epilog="Plugins can add commands; `nemo-skills plugins` lists them.\n\nExit codes:\n\n\b\n"
    + _exit_codes_help(),
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--registry",
    type=GivenPath(dir_okay=False, path_type=Path),
    envvar="NEMO_SKILLS_REGISTRY",
    help="registry.yaml to use instead of the packaged one (env: NEMO_SKILLS_REGISTRY).",
)
@click.option(
    "--debug",
    is_flag=True,
    envvar="NEMO_SKILLS_DEBUG",
    expose_value=False,  # run_cli reads it from argv and the environment, before any command runs
    help="On an unexpected failure, show the traceback too (env: NEMO_SKILLS_DEBUG=1).",
)
@click.version_option(package_name="nemo-skills", prog_name="nemo-skills")
@click.pass_context
def cli(ctx: click.Context, registry: Path | None) -> None:
    """Route requests to NemoVideo skills, run them, and make videos.

    Start offline with the local backend:

    \b
      nemo-skills run auto "a 5-second sunset over a city skyline" --backend local -o sunset.mp4
    """
    ctx.obj = CliState(registry=registry)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: runs the CLI and turns errors into exit codes."""
    from nemo_skills.cli.output import run_cli

    sys.exit(run_cli(cli, argv))
