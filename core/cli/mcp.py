"""`mcp`: serve the router and the video tools to an MCP host, over stdio or streamable HTTP."""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nemo_skills.cli.options import backend_option
from nemo_skills.cli.output import state
from nemo_skills.cli.params import GivenPath, Number, WholeNumber

if TYPE_CHECKING:
    from nemo_skills.catalog.registry import Catalog
    from nemo_skills.host.toolbox import Toolbox


@click.command("mcp")
@backend_option
@click.option(
    "--http",
    "http_port",
    type=WholeNumber(1, 65535),
    default=None,
    metavar="PORT",
    help="Serve streamable HTTP on http://127.0.0.1:PORT/mcp instead of stdio.",
)
@click.option(
    "--output-dir",
    type=GivenPath(file_okay=False, path_type=Path),
    default=None,
    help="Folder for exported MP4s (default: the 'videos' folder in the user data folder).",
)
@click.option(
    "--wait-seconds",
    type=Number(0, 600),
    default=None,
    metavar="S",
    help='How long run_skill, export and wait_job wait before answering "running" with a job id, when '
    "a call names no wait_seconds (default: 45 s for hosts known to allow a minute a call, else 3 s; counted from the call's arrival).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log each tool call on stderr.")
@click.pass_context
def mcp_cmd(
    ctx: click.Context,
    backend: str,
    http_port: int | None,
    output_dir: Path | None,
    wait_seconds: float | None,
    verbose: bool,
) -> None:
    """Serve the tools (route_input, run_skill, run_batch, wait_job, cancel_job, list_jobs, chat, upload,
    get_state, export, get_credits, list_skills) and each skill's SKILL.md over MCP.

    Add it to an MCP host's configuration as the command `nemo-skills mcp`. run_skill and export
    answer within what the host allows a call (3 s for clients it does not know, 45 s for hosts
    known to allow a minute; --wait-seconds for all): a video that takes longer comes back as a
    running job, fetched with wait_job. The job runs in the machine's worker pool, so it
    finishes even when the host cuts the call or restarts this server.
    """
    from nemo_skills.errors import InputError

    try:
        import anyio
        import mcp  # noqa: F401
    except ImportError as exc:
        from nemo_skills.host.mcp_server import MCP_EXTRA_HINT

        raise InputError("the MCP server is not installed.", action=MCP_EXTRA_HINT) from exc

    from nemo_skills.files.edge import mask_credentials_in_logs
    from nemo_skills.host.mcp_server import HTTP_PATH, ToolboxOnDemand, bind_http, serve_http, serve_stdio
    from nemo_skills.jobs.backends import client_options_from_env, open_backend

    # Bound before anything starts, so a port in use is a plain error with exit code 2.
    sock = bind_http(http_port) if http_port is not None else None
    # stdout carries the protocol on stdio: every log line goes to stderr.
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    mask_credentials_in_logs()
    if verbose:
        logging.getLogger("nemo_skills").setLevel(logging.INFO)
    options = client_options_from_env()
    with open_backend(backend) as server, sock if sock is not None else contextlib.nullcontext():
        registry = state(ctx).registry

        def make_toolbox() -> Toolbox:
            # Imported at the first tool call, not at start-up: it loads the HTTP client and the sessions.
            from nemo_skills.host.toolbox import Toolbox, ToolboxSettings

            settings = ToolboxSettings(
                backend=server,
                registry=registry,
                options=options,
                **({"output_dir": output_dir} if output_dir is not None else {}),
            )
            return Toolbox(settings)

        def served_skills() -> Catalog:
            from nemo_skills.catalog.registry import get_catalog

            return get_catalog(registry)

        async def serve() -> None:
            async with ToolboxOnDemand(make_toolbox, catalog=served_skills) as toolbox:
                if sock is None:
                    await serve_stdio(toolbox, wait_seconds)
                else:
                    click.echo(f"MCP server on http://127.0.0.1:{http_port}{HTTP_PATH}", err=True)
                    await serve_http(toolbox, sock, wait_seconds=wait_seconds)

        anyio.run(serve)
