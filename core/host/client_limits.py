"""How long an MCP client lets a tool call run, by the name it gives in `initialize` (clientInfo.name).

A tool that starts or follows a job (run_skill, export, wait_job) answers within its `wait_seconds`, with
a job id when the work goes on. When the caller leaves `wait_seconds` out, the server picks it from
here: long waits for hosts known to give a call a minute (fewer calls per video), and a short one for
every other client, since some frameworks cut every call after 5 s (openai-agents, which announces itself
only as the SDK it is built on, "mcp"; google-adk, as "google-adk"). The wait counts from the call's
arrival, so starting the tools and submitting the job eat into it, never past the client's limit. `nemo-skills mcp --wait-seconds S` sets the wait
for every client instead.
"""

from __future__ import annotations

# Answers well within 5 s, the shortest limit seen (openai-agents' and google-adk's defaults): what
# follows the wait (a finished video's contact sheet, the answer's trip back) needs its share too.
SHORT_WAIT = 3.0
# Hosts whose client gives a call 60 s (the TypeScript SDK's default) or more: answered well within it.
LONG_WAIT = 45.0
# Lower-case pieces of clientInfo.name of hosts known to allow a minute: Claude (Desktop and Code),
# Cursor, VS Code, the MCP Inspector, Goose, OpenClaw, Windsurf, Zed, and MCP Apps hosts.
LONG_WAIT_CLIENTS: tuple[str, ...] = (
    "claude",
    "cursor",
    "visual studio code",
    "vscode",
    "inspector",
    "goose",
    "openclaw",
    "windsurf",
    "zed",
    "basic-host",
    "mcp-apps",
)


def first_wait(client_name: str | None, server_wait: float | None = None) -> float:
    """The wait for a call that names none: the server's --wait-seconds, else what the client allows."""
    if server_wait is not None:
        return server_wait
    name = (client_name or "").strip().lower()
    if any(piece in name for piece in LONG_WAIT_CLIENTS):
        return LONG_WAIT
    return SHORT_WAIT
