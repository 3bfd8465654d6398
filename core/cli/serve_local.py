"""`nemo-skills serve-local`: run the offline backend on loopback until interrupted."""

from __future__ import annotations

import errno
import signal
import sys
import threading
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from nemo_skills.cli.params import GivenPath, Number, WholeNumber
from nemo_skills.errors import ExitCode
from nemo_skills.local.config import DEFAULT_KEEP_HOURS, ENV_KEEP_HOURS, parse_keep_hours
from nemo_skills.local.faults import Faults

F = typing.TypeVar("F", bound=Callable[..., Any])


def _fault_options(func: F) -> F:
    """One option per Faults field, so the flags always mirror the model."""
    for name, info in reversed(list(Faults.model_fields.items())):
        flag = "--" + name.replace("_", "-")
        annotation = info.annotation
        args = typing.get_args(annotation)
        base = next((a for a in args if a is not type(None)), annotation) if args else annotation
        help_text = info.description or ""
        if typing.get_origin(annotation) is tuple:
            func = click.option(flag, name, multiple=True, help=help_text + " Repeatable.")(func)
        else:
            kind: click.ParamType[Any] = (
                click.INT if base is int else click.FLOAT if base is float else click.STRING
            )
            func = click.option(flag, name, type=kind, default=None, help=help_text)(func)
    return func


class _Hours(click.ParamType[float]):
    """Hours a render is kept, parsed as `--backend local` parses NEMO_SKILLS_KEEP_HOURS."""

    name = "hours"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        """The hours, or a usage error saying what a valid value is."""
        try:
            return parse_keep_hours(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _registered(values: tuple[str, ...]) -> dict[str, float]:
    tokens: dict[str, float] = {}
    for value in values:
        token, sep, amount = value.rpartition("=")
        if not sep or not token:
            raise click.BadParameter("use TOKEN=CREDITS", param_hint="--registered-token")
        try:
            tokens[token] = float(amount)
        except ValueError:
            raise click.BadParameter("CREDITS must be a number", param_hint="--registered-token") from None
    return tokens


@click.command("serve-local", context_settings={"show_default": True})
@click.option("--host", default="127.0.0.1", help="Loopback address to bind (127.0.0.1, localhost or ::1).")
@click.option(
    "--port",
    default=None,
    type=WholeNumber(0, 65535),
    help="Port; 0 picks a free one. Default: with --data-dir, the port the folder's first start "
    "chose (so clients' cached tokens and sessions stay valid across restarts), else a free one.",
    show_default=False,
)
@click.option(
    "--data-dir",
    type=GivenPath(file_okay=False, path_type=Path),
    default=None,
    help="Keep tokens, sessions, uploads and renders here (SQLite), shared safely with any other "
    "backend on the same folder, and reload them on the next start "
    "(default: a temporary folder removed on exit).",
)
@click.option("--step-delay", type=Number(min=0), default=0.05, help="Seconds the agent works on each edit.")
@click.option(
    "--heartbeat-interval",
    type=Number(min=0, min_open=True),
    default=0.05,
    help="Seconds between SSE heartbeats.",
)
@click.option(
    "--starting-credits", type=Number(min=0), default=100.0, help="Credits of each new anonymous user."
)
@click.option(
    "--registered-token",
    "registered_tokens",
    multiple=True,
    metavar="TOKEN=CREDITS",
    help="Accept TOKEN as a registered user's token with CREDITS credits (for NEMO_TOKEN). Repeatable.",
)
@click.option(
    "--plan-blocks-export", is_flag=True, help="Answer 402 to every export (a free-plan tier block)."
)
@click.option(
    "--status-shape",
    type=click.Choice(["top", "data", "alternate"]),
    default="top",
    help="Render status as top-level status+output.url, as data.status+data.outputUrl, or alternating.",
)
@click.option("--auth-http-401", is_flag=True, help="Answer token errors with HTTP 401 instead of code 1001.")
@click.option("--resolution", type=WholeNumber(64, 2160), default=1080, help="Short side of renders.")
@click.option(
    "--render-workers",
    type=WholeNumber(1, 16),
    default=2,
    help="ffmpeg renders run at once (a --render-delay wait holds none).",
)
@click.option(
    "--keep-hours",
    type=_Hours(),
    default=DEFAULT_KEEP_HOURS,
    envvar=ENV_KEEP_HOURS,
    show_envvar=True,
    help="Delete a finished render this many hours after it was last requested or downloaded "
    "(checked at start and every hour).",
)
@click.option(
    "--keep-renders", is_flag=True, help="Never delete renders (no cleaning of old renders at all)."
)
@click.option(
    "--request-log",
    type=GivenPath(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Append one JSON line per HTTP request to FILE: time, method, path and status (no query "
    "string, header or token). Several backends may share one FILE.",
)
@_fault_options
def serve_local_cmd(
    host: str,
    port: int | None,
    data_dir: Path | None,
    step_delay: float,
    heartbeat_interval: float,
    starting_credits: float,
    registered_tokens: tuple[str, ...],
    plan_blocks_export: bool,
    status_shape: str,
    auth_http_401: bool,
    resolution: int,
    render_workers: int,
    keep_hours: float,
    keep_renders: bool,
    request_log: Path | None,
    **fault_flags: Any,
) -> None:
    """Serve the NemoVideo API offline on loopback, rendering real MP4s with ffmpeg.

    The first line printed is the base URL; point a client at it (NEMO_API_BASE)
    and stop the server with Ctrl-C. With --data-dir and no --port, the URL stays
    the same from one start to the next (the folder remembers its first port; if
    that port is busy, it says so and exits 2: pass --port then). The chat agent is rule-based: it edits the
    timeline from plain requests and does no generative AI. Fault flags make it
    misbehave on purpose, for testing clients. Exits 0 when stopped.

    \b
    Safety: it answers only requests addressed to a loopback name (any other
    Host header gets 421) and not sent by a page on another site (an Origin
    that is not loopback gets 403), keeps its data folder owner-only (folders
    0700, files 0600), and hands out each render's download URL with a random
    part, to its owner only. Old renders are cleaned on a schedule: a finished render
    not requested or downloaded for --keep-hours (default 24) is deleted at
    start and then every hour, and asking for it later says it expired (export
    again). Renders still rendering are never deleted; --keep-renders keeps all.
    """
    from pydantic import ValidationError

    from nemo_skills.local.http.server import LOOPBACK_HOSTS, LocalBackend

    if host not in LOOPBACK_HOSTS:
        raise click.BadParameter(f"serve on loopback only: {', '.join(LOOPBACK_HOSTS)}", param_hint="--host")
    source = click.get_current_context().get_parameter_source("keep_hours")
    if keep_renders and source is click.core.ParameterSource.COMMANDLINE:
        # NEMO_SKILLS_KEEP_HOURS in the environment may stand beside --keep-renders; both flags may not.
        raise click.UsageError(
            "--keep-renders keeps every render, so --keep-hours has no effect; give one of them."
        )
    given = {k: v for k, v in fault_flags.items() if v is not None and v != ()}
    try:
        faults = Faults(**given)
        backend = LocalBackend(
            data_dir=data_dir,
            faults=faults,
            port=port or 0,
            host=host,
            stable_port=port is None,
            step_delay=step_delay,
            heartbeat_interval=heartbeat_interval,
            starting_credits=starting_credits,
            registered_tokens=_registered(registered_tokens),
            plan_blocks_export=plan_blocks_export,
            status_shape=status_shape,
            auth_http_401=auth_http_401,
            resolution=resolution,
            render_workers=render_workers,
            keep_hours=None if keep_renders else keep_hours,
            request_log=request_log,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = "--" + "-".join(str(p) for p in err["loc"]).replace("_", "-")
        raise click.BadParameter(err["msg"], param_hint=field) from None
    stop = threading.Event()

    def on_signal(signum: int, frame: types.FrameType | None) -> None:
        del signum, frame
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            backend.start()
        except OSError as exc:
            message = f"cannot serve on {host}:{port or 0}: {exc.strerror or exc}"
            if exc.errno == errno.EADDRINUSE:
                raise click.UsageError(
                    f"{message}. Pick another --port, or --port 0 for a free one."
                ) from None
            raise click.ClickException(message) from None
        click.echo(backend.base_url)
        sys.stdout.flush()
        where = f"data in {backend.data_dir}" if data_dir else "temporary data"
        shown = ", ".join(f"{k}={v}" for k, v in given.items())
        click.echo(
            f"local backend (rule-based agent, no generative AI), {where}"
            + (f"; faults: {shown}" if shown else "")
            + "; Ctrl-C stops it",
            err=True,
        )
        while not stop.wait(0.5):
            pass
    finally:
        backend.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    raise click.exceptions.Exit(ExitCode.OK)
