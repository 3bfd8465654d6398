"""An MCP host that cuts every call after a fixed time still gets its video, paying once.

The host here is the official SDK's client over stdio with a read timeout on each call, as the
TypeScript SDK's clients have (60 s by default), scaled down: generation and render take longer
than the host allows a call, so the video arrives only through bounded waits.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError

from nemo_skills.local import Faults
from nemo_skills.local.renderer.probe import probe
from tests.host.test_mcp import server_env, text_of
from tests.jobs.test_interrupted_jobs import renders_made

# The host gives up on a call after this long; a bounded wait answers well before.
HOST_CUT = 10.0
WAIT = 1.0
REQUEST = "a 2-second clip of a lighthouse at dusk"


@asynccontextmanager
async def host_session(backend_url: str, output_dir: Path) -> AsyncIterator[ClientSession]:
    """An MCP session with `nemo-skills mcp` started as a host starts it (stdio)."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "nemo_skills", "mcp", "--backend", backend_url, "--output-dir", str(output_dir)],
        env=server_env(),
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def call(session: ClientSession, name: str, args: dict[str, Any], cut: list[str]) -> Any:
    """One tool call the host gives up on after HOST_CUT seconds (noted in `cut`); the result or None."""
    try:
        result = await session.call_tool(name, args, read_timeout_seconds=HOST_CUT)
    except MCPError as exc:  # the SDK's request timeout
        cut.append(f"{name}: {exc}")
        return None
    assert not result.is_error, text_of(result)
    return result.structured_content


def slow_backend(backend_factory: Callable[..., Any], tmp_path: Path, render: float, generate: float) -> Any:
    return backend_factory(
        data_dir=tmp_path / "backend",
        resolution=144,
        fps=12,
        faults=Faults(render_delay=render, stall_seconds=generate, empty_reply_share=0.0),
    )


async def test_a_host_that_cuts_calls_gets_the_video_through_bounded_waits(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = slow_backend(backend_factory, tmp_path, render=3.0, generate=1.5)
    cut: list[str] = []
    async with host_session(backend.base_url, tmp_path / "videos") as session:
        out = await call(session, "run_skill", {"prompt": REQUEST, "wait_seconds": WAIT}, cut)
        assert out is not None and out["status"] == "running", out
        assert out["job_id"] and "wait_job" in out["message"]
        calls = 1
        while out is not None and out["status"] == "running":
            out = await call(session, "wait_job", {"job_id": out["job_id"], "wait_seconds": WAIT}, cut)
            calls += 1
    assert cut == [], "a call ran past the host's limit"
    assert out is not None and out["status"] == "completed", out
    assert calls > 2, "the video came in one wait: the test's delays are too short to show anything"
    assert probe(Path(out["path"])).duration > 1.5
    assert backend.chat_requests == 1
    assert renders_made(backend) == 1


async def test_the_same_request_asked_again_joins_the_running_job(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = slow_backend(backend_factory, tmp_path, render=2.0, generate=1.0)
    cut: list[str] = []
    async with host_session(backend.base_url, tmp_path / "videos") as session:
        first = await call(session, "run_skill", {"prompt": REQUEST, "wait_seconds": 0.2}, cut)
        again = await call(session, "run_skill", {"prompt": REQUEST, "wait_seconds": 0.2}, cut)
        assert first is not None and again is not None
        assert again["job_id"] == first["job_id"]
        listed = (await session.call_tool("list_jobs", {"unfinished": True})).structured_content
        assert listed is not None and [j["job_id"] for j in listed["jobs"]] == [first["job_id"]]
        out = again
        while out is not None and out["status"] == "running":
            out = await call(session, "wait_job", {"job_id": first["job_id"], "wait_seconds": WAIT}, cut)
    assert out is not None and out["status"] == "completed"
    assert backend.chat_requests == 1
    assert renders_made(backend) == 1


async def test_a_restarted_server_finishes_the_job_with_one_render(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = slow_backend(backend_factory, tmp_path, render=3.0, generate=0.2)
    cut: list[str] = []
    async with host_session(backend.base_url, tmp_path / "videos") as session:
        out = await call(session, "run_skill", {"prompt": REQUEST, "wait_seconds": 1.5}, cut)
        assert out is not None and out["status"] == "running"
        job_id = out["job_id"]
        server = _server_pid(job_id)
        # The host restarts its server mid-render: this one dies the hard way.
        os.kill(server, signal.SIGKILL)
    async with host_session(backend.base_url, tmp_path / "videos") as session:
        out = {"status": "running"}
        while out is not None and out["status"] == "running":
            out = await call(session, "wait_job", {"job_id": job_id, "wait_seconds": WAIT}, cut)
    assert out is not None and out["status"] == "completed", out
    assert Path(out["path"]).is_file()
    assert backend.chat_requests == 1
    assert renders_made(backend) == 1


async def test_a_bad_argument_is_a_tool_error_with_its_code(tmp_path: Path, local_backend: Any) -> None:
    async with host_session(local_backend.base_url, tmp_path / "videos") as session:
        result = await session.call_tool("wait_job", {"job_id": "job_000000000000", "wait_seconds": 1})
        assert result.is_error and result.structured_content is None
        assert "bad_input" in text_of(result) and "job_000000000000" in text_of(result)
        result = await session.call_tool("run_skill", {"prompt": REQUEST, "wait_seconds": -1})
        assert result.is_error and "wait_seconds" in text_of(result)


def _server_pid(job_id: str) -> int:
    """The pid of the `nemo-skills mcp` process of this test (the parent of the job's worker)."""
    from nemo_skills.jobs.journal import Journal

    job = Journal().get(job_id)
    assert job is not None and job.owner, "the job has no worker"
    worker = int(job.owner.rpartition(":")[2])
    with open(f"/proc/{worker}/stat") as fh:
        parent = int(fh.read().rsplit(")", 1)[1].split()[1])
    if parent == 1 or not _is_mcp_server(parent):
        pytest.skip("the worker's parent is not the MCP server here")
    return parent


def _is_mcp_server(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"mcp" in fh.read()
    except OSError:
        return False


async def test_a_five_second_framework_gets_the_job_id_and_the_video_with_its_defaults(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    # openai-agents and google-adk give every call 5 s and name themselves only as the SDK ("mcp"):
    # calls that leave wait_seconds out are answered well within that.
    backend = slow_backend(backend_factory, tmp_path, render=4.0, generate=6.0)
    cut: list[str] = []
    async with host_session(backend.base_url, tmp_path / "videos") as session:
        out = None
        for name, args in [("run_skill", {"prompt": REQUEST})] + [("wait_job", {})] * 20:
            if out is not None:
                args = {"job_id": out["job_id"]}
            try:
                result = await session.call_tool(name, args, read_timeout_seconds=5.0)
            except MCPError as exc:
                cut.append(f"{name}: {exc}")
                break
            assert not result.is_error, text_of(result)
            out = result.structured_content
            assert out is not None and out["job_id"]
            if out["status"] == "completed":
                break
    assert cut == [], "a call ran past the 5 s limit"
    assert out is not None and out["status"] == "completed", out
    assert backend.chat_requests == 1 and renders_made(backend) == 1


def test_the_first_wait_follows_the_client_or_the_server_option() -> None:
    from nemo_skills.host.client_limits import LONG_WAIT, SHORT_WAIT, first_wait

    assert first_wait("mcp") == SHORT_WAIT < 5  # the Python SDK's own name: maybe a 5 s framework
    assert first_wait(None) == SHORT_WAIT
    assert first_wait("claude-ai") == first_wait("inspector-client") == LONG_WAIT < 60
    assert first_wait("claude-ai", server_wait=12.0) == 12.0
