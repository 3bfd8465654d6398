"""Options several commands share (--backend, --session/--continue, --json, --progress, --deadline)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import click

from nemo_skills.cli.output import error_object, print_json
from nemo_skills.cli.params import Number
from nemo_skills.errors import InputError, InterruptedByUser, NemoSkillsError
from nemo_skills.files.edge import check_id
from nemo_skills.jobs.backends import CLOUD
from nemo_skills.jobs.interrupts import cancel_means_ctrl_c

if TYPE_CHECKING:
    # The display loads every progress event model: a command that shows no progress (mcp) skips it.
    from nemo_skills.cli.display import Reporter

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

PROGRESS_MODES: tuple[str, ...] = ("auto", "rich", "json", "none")
"""The --progress choices, as `display.make_reporter` reads them."""

BACKEND_HELP = (
    "Where to run: 'cloud' (the NemoVideo API, or NEMO_API_BASE when set), 'local' (the offline "
    "backend, started for this command), or a server URL."
)


def backend_option(f: F) -> F:
    """--backend local|cloud|URL."""
    return click.option(
        "--backend",
        default=CLOUD,
        show_default=True,
        metavar="local|cloud|URL",
        envvar="NEMO_SKILLS_BACKEND",
        help=BACKEND_HELP + " (env: NEMO_SKILLS_BACKEND)",
    )(f)


def session_options(f: F) -> F:
    """--session ID and --continue."""
    f = click.option(
        "--continue",
        "continue_last",
        is_flag=True,
        help="Continue the last session of the skill on this backend.",
    )(f)
    return click.option(
        "--session", "session_id", metavar="ID", callback=id_callback, help="Continue this session."
    )(f)


def id_callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Refuse a malformed session, render or job id before anything is sent with it."""
    if value is None:
        return value
    what = (param.name or "id").removesuffix("_ids").removesuffix("_id").replace("_", " ")
    values = value if isinstance(value, tuple) else (value,)
    for one in values:
        try:
            check_id(one, what)
        except InputError as exc:
            raise click.BadParameter(exc.message) from None
    return value


def json_option(f: F) -> F:
    """--json."""
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print one JSON object on stdout at the end, and nothing else there.",
    )(f)


def progress_option(f: F) -> F:
    """--progress auto|rich|json|none."""
    return click.option(
        "--progress",
        "progress_mode",
        type=click.Choice(PROGRESS_MODES),
        default="auto",
        show_default=True,
        help="Progress on stderr: rich bars on a terminal (auto), JSON lines, or none.",
    )(f)


def deadline_option(f: F) -> F:
    """--deadline SECONDS."""
    return click.option(
        "--deadline",
        type=Number(min=0, min_open=True),
        metavar="SECONDS",
        help="Stop waiting for the render after this long; the render id is kept to resume (exit 9).",
    )(f)


def check_session_flags(session_id: str | None, continue_last: bool) -> None:
    """--session and --continue exclude each other."""
    if session_id and continue_last:
        raise click.UsageError("give either --session or --continue, not both.")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion; Ctrl-C cancels it (the job turns that into InterruptedByUser)."""
    with cancel_means_ctrl_c():
        return asyncio.run(coro)


def json_error(exc: NemoSkillsError, **context: Any) -> None:
    """The one JSON object --json promises, for a failure."""
    print_json(error_object(exc, exc.message, exc.exit_code, **context))


def reporter_for(progress_mode: str) -> Reporter:
    """The progress reporter for a --progress value."""
    from nemo_skills.cli.display import make_reporter

    return make_reporter(progress_mode)


def run_reported(
    job: Callable[[Reporter], Coroutine[Any, Any, T]], progress_mode: str, *, as_json: bool, **context: Any
) -> T:
    """Run job(reporter) with progress on stderr; on failure, print the --json error object first."""
    with reporter_for(progress_mode) as reporter:
        try:
            result = run_async(job(reporter))
        except (NemoSkillsError, KeyboardInterrupt) as caught:
            # Ctrl-C outside a render arrives bare; --json still owes its one object.
            exc = caught if isinstance(caught, NemoSkillsError) else InterruptedByUser("Interrupted.")
            reporter.pause()
            if as_json:
                json_error(exc, **context)
            if exc is caught:
                raise
            raise exc from None
        reporter.pause()
    return result
