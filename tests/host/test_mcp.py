"""The MCP server, driven by the official SDK's own client over stdio against the local backend."""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from nemo_skills.api import generate_skill_md
from nemo_skills.host.tools import TOOLS_BY_NAME
from nemo_skills.jobs.backends import LOCAL_RUN_CREDITS
from nemo_skills.local import Faults
from nemo_skills.local.renderer.probe import probe
from tests.conftest import BUILTIN_SKILLS
from tests.host.mcp_http import mcp_http_server

TOOL_NAMES = {
    "route_input",
    "run_skill",
    "chat",
    "upload",
    "get_state",
    "export",
    "get_credits",
    "list_skills",
    "wait_job",
    "list_jobs",
    "cancel_job",
    "run_batch",
    "video_chunk",
}
SKILLS = BUILTIN_SKILLS
# Tiny polling intervals: the tests wait on renders without slowing the suite.
FAST_CLIENT = json.dumps(
    {
        "poll_initial": 0.02,
        "poll_max": 0.1,
        "still_working_interval": 30,
        "settle_interval": 0.05,
        "pending_reply_poll": 0.1,
        "job_poll": 0.05,
    }
)

Progress = list[tuple[float, float | None, str | None]]


def server_env(**extra: str) -> dict[str, str]:
    """The test's isolated environment (config and data folders), plus fast client timings."""
    env = dict(os.environ)
    env["NEMO_SKILLS_CLIENT_OPTIONS"] = FAST_CLIENT
    env.update(extra)
    return env


@asynccontextmanager
async def mcp_session(backend_url: str, *args: str) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "nemo_skills", "mcp", "--backend", backend_url, *args],
        env=server_env(),
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def assert_tool_error(result: Any, code: str) -> None:
    """A tool error every MCP SDK reads: no structured content (a client would check it against the tool's
    output schema and throw), and the code on the text's first line."""
    assert result.is_error, text_of(result)
    assert result.structured_content is None
    assert text_of(result).startswith(f"Error ({code}): "), text_of(result)


def recorder(into: Progress) -> Any:
    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        into.append((progress, total, message))

    return on_progress


async def test_lists_the_tools_and_each_skills_skill_md() -> None:
    # `--backend local` starts a local backend for the server's lifetime.
    async with mcp_session("local") as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) == TOOL_NAMES
        # The schemas a host sees are the ones `nemo-skills tools` prints, from the same models.
        assert tools["run_skill"].input_schema == TOOLS_BY_NAME["run_skill"].input_schema()
        assert tools["export"].output_schema == TOOLS_BY_NAME["export"].output_schema()

        listed = (await session.list_resources()).resources
        resources = [r for r in listed if str(r.uri).startswith("skill://")]
        assert {str(r.uri) for r in resources} == {f"skill://{name}/SKILL.md" for name in SKILLS}
        assert {r.mime_type for r in resources} == {"text/markdown"}
        # The other one is the MCP Apps view of a job.
        assert [str(r.uri) for r in listed if r not in resources] == ["ui://nemo-skills/job-view.html"]
        read = await session.read_resource("skill://video-leonardo/SKILL.md")
        assert read.contents[0].text == generate_skill_md("video-leonardo", format="clawhub", mode="api")

        routed = await session.call_tool("route_input", {"text": "animate this", "files": ["pic.png"]})
        assert not routed.is_error
        assert routed.structured_content["skill"] == "video-leonardo"

        credits = await session.call_tool("get_credits", {})
        assert not credits.is_error, text_of(credits)
        assert credits.structured_content["available"] == LOCAL_RUN_CREDITS


async def test_prompt_to_mp4_with_progress_then_the_session_continues(
    local_backend: Any, tmp_path: Path
) -> None:
    async with mcp_session(local_backend.base_url, "--output-dir", str(tmp_path)) as session:
        made = await session.call_tool(
            "run_skill", {"prompt": "a 3-second sunset over a city skyline", "export": False}
        )
        assert not made.is_error, text_of(made)
        run = made.structured_content
        assert run["skill"] == "nemo-video-gen" and run["route_reason"]
        assert run["status"] == "not_exported" and run["path"] is None
        assert run["timeline"].startswith("Timeline (1 track): 1. Video:")

        # chat and get_state continue the session run_skill started, without naming it.
        chatted = await session.call_tool("chat", {"message": 'add a title "Urban Dreams"'})
        assert not chatted.is_error, text_of(chatted)
        assert chatted.structured_content["session_id"] == run["session_id"]
        state = await session.call_tool("get_state", {})
        assert 'Title: "Urban Dreams"' in state.structured_content["timeline"]
        assert state.structured_content["ready_to_export"] is True

        progress: Progress = []
        exported = await session.call_tool("export", {}, progress_callback=recorder(progress))
        assert not exported.is_error, text_of(exported)
        out = exported.structured_content
        assert out["status"] == "completed" and out["session_id"] == run["session_id"]
        mp4 = Path(out["path"])
        assert mp4.parent == tmp_path and mp4.stat().st_size == out["size"]
        info = probe(mp4)
        assert info.video_codec == "h264" and (info.width, info.height) == (1920, 1080)
        assert 2.5 <= info.duration <= 3.5

        assert progress, "no progress notification arrived"
        values = [p for p, _, _ in progress]
        assert values == sorted(set(values)) and values[-1] == 100.0
        assert any("Render" in (m or "") for _, _, m in progress)

        credits = await session.call_tool("get_credits", {})
        assert not credits.is_error and credits.structured_content["available"] >= 0


async def test_a_video_past_its_wait_is_a_running_job_that_wait_job_fetches(
    backend_factory: Any, tmp_path: Path
) -> None:
    slow = backend_factory(faults=Faults(render_delay=1.5))
    async with mcp_session(slow.base_url, "--output-dir", str(tmp_path)) as session:
        first = await session.call_tool(
            "run_skill", {"prompt": "a 2-second city skyline at night", "wait_seconds": 0.2}
        )
        assert not first.is_error, text_of(first)
        pending = first.structured_content
        assert pending["status"] == "running" and pending["path"] is None
        job_id = pending["job_id"]
        assert job_id and f'job_id="{job_id}"' in text_of(first) and "wait_job" in text_of(first)

        done = pending
        while done["status"] == "running":
            fetched = await session.call_tool("wait_job", {"job_id": job_id, "wait_seconds": 5})
            assert not fetched.is_error, text_of(fetched)
            done = fetched.structured_content
        assert done["status"] == "completed" and done["job_id"] == job_id
        # The file lands where the first call meant to put it.
        assert Path(done["path"]) == tmp_path / "a-2-second-city-skyline-at-night.mp4"
        assert probe(done["path"]).duration > 1.5

        # An export of the same session past its wait is a job too.
        started = await session.call_tool("export", {"wait_seconds": 0.1, "output": "again.mp4"})
        assert not started.is_error, text_of(started)
        assert started.structured_content["status"] == "running"
        again = await session.call_tool(
            "wait_job", {"job_id": started.structured_content["job_id"], "wait_seconds": 30}
        )
        assert again.structured_content["status"] == "completed"
        assert Path(again.structured_content["path"]) == tmp_path / "again.mp4"


async def test_bad_input_and_backend_errors_are_tool_errors_with_the_seeds_messages(
    backend_factory: Any, tmp_path: Path
) -> None:
    broke = backend_factory(starting_credits=0)
    fake_jpg = tmp_path / "holiday.jpg"
    fake_jpg.write_text("this is a text file, not a photo", encoding="utf-8")
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x90\x00" + bytes(60))
    async with mcp_session(broke.base_url) as session:
        for files in ([str(fake_jpg)], [str(program)]):
            result = await session.call_tool("run_skill", {"prompt": "a slideshow", "files": files})
            assert_tool_error(result, "unsupported_file, protocol code 4001")
            assert "Supported formats: mp4, mov, avi, webm, mkv, jpg, png" in text_of(result)

        unknown = await session.call_tool("chat", {"message": "hi", "skill": "video-picasso"})
        assert_tool_error(unknown, "unknown_skill")
        assert "unknown skill 'video-picasso'; served skills: " in text_of(unknown)
        bad_args = await session.call_tool("export", {"deadline_seconds": -1})
        assert_tool_error(bad_args, "bad_input")
        assert "deadline_seconds" in text_of(bad_args)

        # 2001 from the backend: anonymous users are sent to the registration link.
        no_credits = await session.call_tool("run_skill", {"prompt": "a 3-second sunset", "export": False})
        assert_tool_error(no_credits, "no_credits")
        assert "nemovideo.ai/register?bind=" in text_of(no_credits)

        # The server kept serving through all of it.
        listed = await session.call_tool("list_skills", {})
        assert not listed.is_error and len(listed.structured_content["skills"]) == len(SKILLS)


async def test_streamable_http_on_loopback(local_backend: Any) -> None:
    from mcp.client.streamable_http import streamable_http_client

    with mcp_http_server(local_backend.base_url, server_env()) as url:
        async with (
            streamable_http_client(url) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            assert {t.name for t in (await session.list_tools()).tools} == TOOL_NAMES
            routed = await session.call_tool("route_input", {"text": "https://youtu.be/abc123 as a short"})
            assert routed.structured_content["skill"] == "generator-by-link"
        # DNS rebinding: a page whose name resolves to 127.0.0.1 still sends its own name as Host.
        forged = httpx.post(url, headers={"Host": "evil.example"}, json={})
        assert forged.status_code == 421
        assert "does not name this loopback server" in forged.json()["message"]
        # A page on another site posting straight to 127.0.0.1: its browser names the site in Origin.
        foreign = httpx.post(url, headers={"Origin": "https://evil.example"}, json={})
        assert foreign.status_code == 403 and "another site" in foreign.json()["message"]


def test_a_port_in_use_is_a_clear_error_with_the_bad_input_exit_code(
    local_backend: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from nemo_skills.cli import cli
    from nemo_skills.cli.output import run_cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = run_cli(cli, ["mcp", "--backend", local_backend.base_url, "--http", str(port)])
    assert code == 2
    err = capsys.readouterr().err
    assert f"cannot serve MCP on 127.0.0.1:{port}" in err and "Pick another --http PORT." in err


async def test_an_unexpected_failure_is_a_tool_error_and_the_server_keeps_serving() -> None:
    from mcp import Client
    from mcp.shared.exceptions import MCPError

    from nemo_skills.host.mcp_server import build_server
    from nemo_skills.host.toolbox import Toolbox, ToolboxSettings
    from nemo_skills.host.tools import TOOLS
    from nemo_skills.jobs.backends import Backend

    async def broken(ctx: Any, args: Any, report: Any) -> Any:
        raise RuntimeError("disk on fire")

    tools = [replace(spec, handler=broken) if spec.name == "chat" else spec for spec in TOOLS]
    unused = Backend(label="http://127.0.0.1:9", base_url="http://127.0.0.1:9")  # never contacted
    toolbox = Toolbox(ToolboxSettings(backend=unused), tools=tools)
    async with toolbox, Client(build_server(toolbox)) as client:
        failed = await client.call_tool("chat", {"message": "hi"})
        assert_tool_error(failed, "internal")
        assert text_of(failed) == "Error (internal): chat failed unexpectedly (RuntimeError: disk on fire)."
        listed = await client.call_tool("list_skills", {})
        assert not listed.is_error
        with pytest.raises(MCPError, match="unknown skill 'video-picasso'"):
            await client.read_resource("skill://video-picasso/SKILL.md")
        with pytest.raises(MCPError, match=r"resources are skill://<name>/SKILL\.md"):
            await client.read_resource("file:///etc/passwd")


async def test_the_instructions_give_each_tool_its_own_line() -> None:
    from mcp import Client

    from nemo_skills.host.mcp_server import build_server
    from nemo_skills.host.toolbox import Toolbox, ToolboxSettings
    from nemo_skills.jobs.backends import Backend

    unused = Backend(label="http://127.0.0.1:9", base_url="http://127.0.0.1:9")  # never contacted
    async with Toolbox(ToolboxSettings(backend=unused)) as toolbox, Client(build_server(toolbox)) as client:
        lines = (client.instructions or "").splitlines()
    assert lines[0] == "Video tools for the NemoVideo skills."
    assert [line.split()[0] for line in lines[1:-2]] == [t.name for t in TOOLS_BY_NAME.values()]
    assert any(line.startswith("run_skill makes a video end to end") for line in lines)
    assert any(line.startswith("wait_job waits a bounded time") for line in lines)
    # How to do long work under a host's time limit: bounded waits, then wait_job; asking again pays once.
    assert "call wait_job with its job_id" in lines[-2] and "never pays twice" in lines[-2]
    assert lines[-1] == "Each skill's SKILL.md is a resource at skill://<name>/SKILL.md."


async def test_a_tool_declared_once_is_listed_explained_and_answered() -> None:
    from mcp import Client

    from nemo_skills.host.mcp_server import build_server
    from nemo_skills.host.tool_args import ToolArgs
    from nemo_skills.host.tool_results import ToolOutput
    from nemo_skills.host.tool_spec import ToolSpec
    from nemo_skills.host.toolbox import Toolbox, ToolboxSettings
    from nemo_skills.host.tools import TOOLS
    from nemo_skills.jobs.backends import Backend

    class ShoutArgs(ToolArgs):
        words: str

    class ShoutOutput(ToolOutput):
        shouted: str

        def text(self) -> str:
            return self.shouted

    async def shout(ctx: Any, args: ShoutArgs, report: Any) -> ShoutOutput:
        return ShoutOutput(shouted=args.words.upper())

    spec = ToolSpec(
        name="shout",
        description="Repeat the words in capitals.",
        args=ShoutArgs,
        result=ShoutOutput,
        handler=shout,
        instruction="repeats words in capitals.",
        read_only=True,
        offline=True,
    )
    unused = Backend(label="http://127.0.0.1:9", base_url="http://127.0.0.1:9")  # never contacted
    toolbox = Toolbox(ToolboxSettings(backend=unused), tools=[*TOOLS, spec])
    async with toolbox, Client(build_server(toolbox)) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        assert set(listed) == TOOL_NAMES | {"shout"}
        assert listed["shout"].input_schema["required"] == ["words"]
        assert "shout repeats words in capitals." in (client.instructions or "").splitlines()
        answered = await client.call_tool("shout", {"words": "hello"})
        assert not answered.is_error
        assert text_of(answered) == "HELLO"
        assert answered.structured_content == {"shouted": "HELLO"}
        refused = await client.call_tool("shout", {"volume": 11})
        assert refused.is_error and "invalid arguments for shout" in text_of(refused)


async def test_an_exported_run_points_at_the_file_and_no_longer_asks_for_an_export(
    local_backend: Any, tmp_path: Path
) -> None:
    async with mcp_session(local_backend.base_url, "--output-dir", str(tmp_path)) as session:
        made = await session.call_tool("run_skill", {"prompt": "a 3-second sunset over a city skyline"})
        assert not made.is_error, text_of(made)
        run = made.structured_content
        assert run["status"] == "completed"
        mp4 = Path(run["path"])
        # A link into the backend would die with it; the file's own URI does not.
        assert run["url"] == mp4.resolve().as_uri() and mp4.is_file()
        shown = text_of(made)
        assert "export" not in run["reply"].lower() and 'say "export"' not in shown
        assert f"Saved {mp4}" in shown
