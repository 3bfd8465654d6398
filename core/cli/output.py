"""How the CLI reports: errors on stderr with their exit code, JSON on stdout."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from nemo_skills.errors import ExitCode, NemoSkillsError


def error(message: str) -> None:
    """Print an error for a person on stderr."""
    click.echo(f"Error: {message}", err=True)


def print_json(value: Any) -> None:
    """Print one JSON document on stdout (pydantic models included)."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def run_cli(group: click.Group, argv: list[str] | None) -> int:
    """Run a click group; nemo-skills errors become a message and their exit code, never a traceback."""
    try:
        # Without standalone mode, click returns a command's ctx.exit(n) code instead of raising it.
        result = group.main(args=argv, prog_name="nemo-skills", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.ClickException as exc:
        exc.show()
        return ExitCode.BAD_INPUT if exc.exit_code == 2 else int(exc.exit_code)
    except click.Abort:
        error("interrupted")
        return ExitCode.INTERRUPTED
    except KeyboardInterrupt:
        error("interrupted")
        return ExitCode.INTERRUPTED
    except NemoSkillsError as exc:
        error(exc.user_message())
        return int(exc.exit_code)
    return result if isinstance(result, int) and not isinstance(result, bool) else ExitCode.OK


def state(ctx: click.Context) -> Any:
    """The CliState of the root command."""
    return ctx.find_root().obj


def catalog_for(ctx: click.Context) -> Any:
    """The catalog, honouring --registry."""
    from nemo_skills.catalog.registry import get_catalog

    return get_catalog(state(ctx).registry)


def stdout_is_tty() -> bool:
    """Whether stdout is an interactive terminal."""
    return sys.stdout.isatty()
