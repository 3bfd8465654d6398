"""MCP start-up: a host's initialize and tools/list are answered without making the toolbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from nemo_skills.host.mcp_server import ToolboxOnDemand, build_server
from nemo_skills.host.toolbox import Toolbox, ToolboxSettings
from nemo_skills.jobs.backends import Backend

UNUSED = Backend(label="http://127.0.0.1:9", base_url="http://127.0.0.1:9")  # never contacted


class Counting:
    """Makes toolboxes on demand and remembers how many it made and closed."""

    def __init__(self) -> None:
        self.made = 0
        self.closed = 0

    def __call__(self) -> Toolbox:
        self.made += 1
        counter = self

        class Closing(Toolbox):
            async def aclose(self) -> None:
                counter.closed += 1
                await super().aclose()

        return Closing(ToolboxSettings(backend=UNUSED))


async def test_the_toolbox_is_made_at_the_first_call_once_and_closed_with_the_server() -> None:
    from mcp import Client

    make = Counting()
    async with ToolboxOnDemand(make) as toolbox, Client(build_server(toolbox)) as client:
        listed = await client.list_tools()
        assert len(listed.tools) == 13 and make.made == 0
        for _ in range(2):
            result = await client.call_tool("list_skills", {})
            assert not result.is_error
        resources = await client.list_resources()
        assert len(resources.resources) == 6  # five SKILL.md and the job view
        assert make.made == 1 and make.closed == 0
    assert make.closed == 1


async def test_a_toolbox_that_cannot_be_made_is_a_tool_error_not_a_crash() -> None:
    from mcp import Client

    def broken() -> Toolbox:
        raise RuntimeError("no data folder")

    async with ToolboxOnDemand(broken) as toolbox, Client(build_server(toolbox)) as client:
        assert len((await client.list_tools()).tools) == 13
        result = await client.call_tool("list_skills", {})
    assert result.is_error and result.structured_content is None
    assert "RuntimeError: no data folder" in str(result.content[0])


def test_start_up_loads_neither_the_http_client_nor_the_sessions(tmp_path: Path) -> None:
    # The server answers what a host asks at start-up (initialize, tools/list, resources/list), then reports
    # which modules it had loaded at exit.
    requests = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
        {"jsonrpc": "2.0", "id": 3, "method": "resources/list", "params": {}},
    ]
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('LOADED ' + ' '.join(sorted(sys.modules)) + '\\n'))\n"
        "sys.argv = ['nemo-skills', 'mcp', '--backend', 'http://127.0.0.1:9']\n"
        "from nemo_skills.cli import main\n"
        "main()\n"
    )
    env = dict(
        os.environ, NEMO_SKILLS_CONFIG_DIR=str(tmp_path / "c"), NEMO_SKILLS_DATA_DIR=str(tmp_path / "d")
    )
    err_path = tmp_path / "stderr.txt"
    with err_path.open("w", encoding="utf-8") as err_file:
        server = subprocess.Popen(
            [sys.executable, "-c", probe],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err_file,
            text=True,
            env=env,
        )
    assert server.stdin is not None and server.stdout is not None
    try:
        server.stdin.write("".join(json.dumps(r) + "\n" for r in requests))
        server.stdin.flush()
        # Every answer before the pipe closes: at end of input the server stops, answered or not.
        answers: list[dict[str, Any]] = [json.loads(server.stdout.readline()) for _ in range(3)]
        server.stdin.close()
        server.wait(timeout=120)
    finally:
        server.kill()
    assert sorted(a.get("id") for a in answers) == [1, 2, 3]
    by_id = {a["id"]: a for a in answers}
    assert len(by_id[2]["result"]["tools"]) == 13 and len(by_id[3]["result"]["resources"]) == 6
    loaded = set(err_path.read_text(encoding="utf-8").split("LOADED ", 1)[1].split())
    assert "nemo_skills.host.mcp_server" in loaded
    assert not {"httpx", "nemo_skills.client.async_client", "nemo_skills.host.toolbox"} & loaded
    # Nor the tools' models and handlers (the listing is packaged), nor the progress display's event models.
    models = {"nemo_skills.host.tool_results", "nemo_skills.host.handlers", "nemo_skills.client.events"}
    assert not models & loaded
