"""The MCP server: the host tools and every skill's SKILL.md, over stdio or streamable HTTP.

Built on the official `mcp` SDK's low-level server (the `[mcp]` extra), imported
only here and in `mcp_skills`. The tool list and the server's instructions are read from the
toolbox's `ToolSpec`s, and calls are answered by the same `Toolbox`; a failed
call comes back as a tool error, never as a crashed server: its text names the
error code and carries the seeds' message, and it has no structured content
(clients check that against the tool's output schema). The SKILL.md files are
resources and, through the MCP skills extension (`mcp_skills`), entries of
`skills/list`. Logs go to stderr: on stdio, stdout is the transport.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from nemo_skills.errors import InputError, NemoSkillsError
from nemo_skills.host.tool_listing import ToolListing, listing_of, packaged_listing

if TYPE_CHECKING:
    import mcp.types as types
    from mcp.server import ServerRequestContext
    from mcp.server.lowlevel import Server

    from nemo_skills.catalog.registry import Catalog
    from nemo_skills.host.mcp_skills import SkillDocs
    from nemo_skills.host.tool_spec import ToolSpec
    from nemo_skills.host.toolbox import Toolbox

log = logging.getLogger(__name__)

SERVER_NAME = "nemo-skills"
MCP_EXTRA_HINT = 'The MCP server needs the "mcp" extra: pip install "nemo-skills[mcp]"'
HTTP_PATH = "/mcp"
SKILL_MD_MIME = "text/markdown"

INSTRUCTIONS_INTRO = "Video tools for the NemoVideo skills."
INSTRUCTIONS_RESOURCES = "Each skill's SKILL.md is a resource at skill://<name>/SKILL.md."
INSTRUCTIONS_LONG_WORK = (
    "A video takes minutes, longer than a host lets a tool call run: run_skill and export answer within "
    'what this host allows a call (leave wait_seconds out). When a result says status "running", call '
    'wait_job with its job_id, again until status is "completed"; cancel_job stops a job nobody wants. '
    "The job goes on between calls, even if a call is cut or this server restarts; calling run_skill "
    "again with the same request joins the running job and never pays twice."
)


def _package_version() -> str:
    """The installed package's version (the root package is above this layer, so ask the metadata)."""
    try:
        return metadata.version("nemo-skills")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def server_instructions(tool_lines: Iterable[str]) -> str:
    """The server's instructions to a host: what it serves, one line per tool, and where SKILL.md files are."""
    return "\n".join([INSTRUCTIONS_INTRO, *tool_lines, INSTRUCTIONS_LONG_WORK, INSTRUCTIONS_RESOURCES])


class ToolboxOnDemand:
    """A Toolbox made and entered at the first request that needs it, closed with this.

    Listing the tools needs only their listing: a host's start-up (initialize, tools/list) does not wait
    for the HTTP client and the session machinery to load, nor, for the packaged tools, for their models.
    """

    def __init__(
        self,
        make: Callable[[], Toolbox],
        specs: Iterable[ToolSpec[Any, Any]] | None = None,
        *,
        catalog: Callable[[], Catalog] | None = None,
    ) -> None:
        # Without specs, the toolbox `make` returns has the packaged tools (`tools.TOOLS`).
        self.listing: ToolListing = packaged_listing() if specs is None else listing_of(specs)
        self._make: Callable[[], Toolbox] | None = make
        # The skills served, when they can be had without the toolbox: hosts list resources at start-up.
        self._catalog = catalog
        self._toolbox: Toolbox | None = None
        self._docs: SkillDocs | None = None
        self._owned = True
        self._lock = anyio.Lock()

    @classmethod
    def ready(cls, toolbox: Toolbox) -> ToolboxOnDemand:
        """An already open toolbox, left open by this (its owner closes it)."""
        on_demand = cls(lambda: toolbox, toolbox.tools.values())
        on_demand._toolbox, on_demand._owned = toolbox, False
        return on_demand

    def __repr__(self) -> str:
        return f"ToolboxOnDemand(open={self._toolbox is not None})"

    async def get(self) -> Toolbox:
        """The toolbox, made and entered on the first call."""
        async with self._lock:
            if self._toolbox is None:
                assert self._make is not None
                toolbox = self._make()
                self._toolbox = await toolbox.__aenter__()
            return self._toolbox

    async def docs(self) -> SkillDocs:
        """The served skills' SKILL.md texts, rendered at first use and kept for the server's life."""
        from nemo_skills.host.mcp_skills import SkillDocs

        if self._docs is None:
            catalog = self._catalog() if self._catalog is not None else (await self.get()).catalog
            self._docs = SkillDocs(catalog)
        return self._docs

    async def __aenter__(self) -> ToolboxOnDemand:
        return self

    async def __aexit__(self, *exc: object) -> None:
        toolbox, self._toolbox = self._toolbox, None
        if toolbox is not None and self._owned:
            await toolbox.__aexit__(None, None, None)


def build_server(toolbox: Toolbox | ToolboxOnDemand, wait_seconds: float | None = None) -> Server[Any]:
    """An MCP server whose tools a Toolbox answers and whose resources are the skills' SKILL.md.

    A call that leaves `wait_seconds` out waits `wait_seconds` here, else what its client allows
    (`client_limits.first_wait`).
    """
    import mcp.types as types
    from mcp.server.lowlevel import Server

    from nemo_skills.host.client_limits import first_wait
    from nemo_skills.host.mcp_apps import VIEW_DESCRIPTION, VIEW_MIME, VIEW_NAME, VIEW_URI, view_html
    from nemo_skills.host.mcp_skills import add_skills_extension, skill_uri

    source = toolbox if isinstance(toolbox, ToolboxOnDemand) else ToolboxOnDemand.ready(toolbox)
    listing = source.listing
    tools = [types.Tool.model_validate(tool) for tool in listing.tools]
    waiting = {tool.name for tool in tools if "wait_seconds" in tool.input_schema.get("properties", {})}

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        async def report(progress: float, total: float | None, message: str | None) -> None:
            await ctx.session.report_progress(progress, total, message)

        started = time.monotonic()
        try:
            arguments = dict(params.arguments or {})
            toolbox = await source.get()
            if params.name in waiting and arguments.get("wait_seconds") is None:
                client = ctx.session.client_params
                name = client.client_info.name if client is not None else None
                # Counted from the call's arrival: starting the toolbox came out of the client's time.
                left = first_wait(name, wait_seconds) - (time.monotonic() - started)
                arguments["wait_seconds"] = max(0.0, round(left, 3))
            out = await toolbox.call(params.name, arguments, report=report)
        except NemoSkillsError as exc:
            log.info("%s failed after %.1fs: %s", params.name, time.monotonic() - started, exc.message)
            return _error(exc, exc.user_message())
        except Exception as exc:
            # A bug or an unforeseen failure: the host hears about it, the server keeps serving.
            log.exception("%s raised an unexpected error", params.name)
            return _error(exc, f"{params.name} failed unexpectedly ({type(exc).__name__}: {exc}).")
        log.info("%s done in %.1fs", params.name, time.monotonic() - started)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=out.text()), *_video_content(out)],
            structured_content=out.model_dump(mode="json"),
        )

    async def list_resources(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        docs = await source.docs()
        # Name and description from the SKILL.md frontmatter, as the skills extension asks of its resources.
        return types.ListResourcesResult(
            resources=[
                *(
                    types.Resource(
                        uri=skill_uri(skill.name),
                        name=skill.name,
                        title=f"{skill.title} — SKILL.md",
                        description=docs.description(skill),
                        mime_type=SKILL_MD_MIME,
                    )
                    for skill in docs.skills()
                ),
                types.Resource(
                    uri=VIEW_URI, name=VIEW_NAME, description=VIEW_DESCRIPTION, mime_type=VIEW_MIME
                ),
            ]
        )

    async def read_resource(
        ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        from mcp.shared.exceptions import MCPError

        uri = str(params.uri)
        if uri == VIEW_URI:
            # Exactly one content, the self-contained document, as MCP Apps hosts expect.
            return types.ReadResourceResult(
                contents=[types.TextResourceContents(uri=uri, mime_type=VIEW_MIME, text=view_html())]
            )
        try:
            text = (await source.docs()).text(uri)
        except NemoSkillsError as exc:
            raise MCPError(code=types.INVALID_PARAMS, message=exc.user_message(), data={"uri": uri}) from exc
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, mime_type=SKILL_MD_MIME, text=text)]
        )

    server: Server[Any] = Server(
        SERVER_NAME,
        version=_package_version(),
        title="nemo-skills",
        instructions=server_instructions(listing.instructions),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )
    add_skills_extension(server, source.docs)
    return server


def error_text(code: str, message: str, protocol_code: int | None = None) -> str:
    """A tool error as the host reads it: `Error (code): message`, with the backend's code when it gave one.

    The first line names the stable code (docs/cli.md, Error codes) so a model or a script can match on it;
    the message keeps its own lines (the seeds' action follows it on the next one).
    """
    where = f"{code}, protocol code {protocol_code}" if protocol_code is not None else code
    return f"Error ({where}): {message}"


# Hosts refuse results of about 1 MB; a contact sheet is made to stay well under this.
MAX_PREVIEW_BYTES = 300_000


def _video_content(out: object) -> list[types.ContentBlock]:
    """What a host can see of a finished video beside the text: its contact sheet, and a link to the MP4.

    MCP has no video content: an image of the frames is how an agent looks at what it made.
    """
    import base64

    import mcp.types as types

    blocks: list[types.ContentBlock] = []
    preview = getattr(out, "preview", None)
    if isinstance(preview, str):
        try:
            data = Path(preview).read_bytes()
        except OSError as exc:
            log.warning("contact sheet %s not read: %s", preview, exc.strerror or exc)
        else:
            if len(data) <= MAX_PREVIEW_BYTES:
                blocks.append(
                    types.ImageContent(
                        type="image", data=base64.b64encode(data).decode("ascii"), mime_type="image/jpeg"
                    )
                )
    path, url = getattr(out, "path", None), getattr(out, "url", None)
    if isinstance(path, str) and isinstance(url, str):
        blocks.append(
            types.ResourceLink(
                type="resource_link",
                uri=url,
                name=Path(path).name,
                mime_type="video/mp4",
                size=getattr(out, "size", None),
            )
        )
    return blocks


def _error(exc: BaseException, text: str) -> types.CallToolResult:
    import mcp.types as types

    from nemo_skills.host.tool_results import ToolError

    error = ToolError.from_exception(exc, text)
    # No structuredContent: a client that checks it against the tool's outputSchema (the TypeScript SDK
    # does, even when isError is set) would throw on an error object, and the model would never read the
    # failure. Everything an error carries is in the text instead.
    return types.CallToolResult(
        content=[
            types.TextContent(type="text", text=error_text(error.code, error.message, error.protocol_code))
        ],
        is_error=True,
    )


async def serve_stdio(toolbox: Toolbox | ToolboxOnDemand, wait_seconds: float | None = None) -> None:
    """Serve MCP over stdin/stdout until the host closes the pipe."""
    from mcp.server.stdio import stdio_server

    server = build_server(toolbox, wait_seconds)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def bind_http(port: int, host: str = "127.0.0.1") -> socket.socket:
    """A listening socket for the HTTP transport; InputError (not uvicorn's exit) when the port is taken."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise InputError(
            f"cannot serve MCP on {host}:{port}: {exc.strerror or exc}", action="Pick another --http PORT."
        ) from exc
    return sock


async def serve_http(
    toolbox: Toolbox | ToolboxOnDemand,
    sock: socket.socket,
    host: str = "127.0.0.1",
    wait_seconds: float | None = None,
) -> None:
    """Serve MCP over streamable HTTP at http://<host>:<port>/mcp on a bound socket until interrupted."""
    import uvicorn

    from nemo_skills.files.loopback import LoopbackCors, LoopbackHostGuard

    server = build_server(toolbox, wait_seconds)
    # The same Host guard as the local backend's, so both refuse a forged Host alike.
    app = LoopbackHostGuard(
        LoopbackCors(server.streamable_http_app(streamable_http_path=HTTP_PATH, host=host)), host
    )
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    try:
        await uvicorn.Server(config).serve(sockets=[sock])
    finally:
        sock.close()
