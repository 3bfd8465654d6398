"""The MCP Apps view of a job: declared on the tools whatever the client says, served as one self-contained
document, its video read through the host in chunks, and reachable from a browser page on loopback."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import httpx

from nemo_skills.host.mcp_apps import VIEW_MIME, VIEW_URI
from tests.host.mcp_http import mcp_http_server
from tests.host.test_mcp import mcp_session, server_env, text_of


async def test_the_job_tools_declare_the_view_and_the_view_is_one_self_contained_document(
    local_backend: Any,
) -> None:
    async with mcp_session(local_backend.base_url) as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        for name in ("run_skill", "run_batch", "wait_job", "export"):
            assert tools[name].meta == {"ui": {"resourceUri": VIEW_URI}}, name
        assert tools["video_chunk"].meta == {"ui": {"resourceUri": VIEW_URI, "visibility": ["app"]}}
        assert "meta" not in tools["chat"].model_dump(exclude_none=True)
        listed = [str(r.uri) for r in (await session.list_resources()).resources]
        assert VIEW_URI in listed
        read = await session.read_resource(VIEW_URI)
    assert len(read.contents) == 1
    content = read.contents[0]
    assert str(content.uri) == VIEW_URI and content.mime_type == VIEW_MIME == "text/html;profile=mcp-app"
    html = content.text  # type: ignore[union-attr]
    assert html.lower().startswith("<!doctype html>")
    # Nothing from the network: no src or href to another place, no import of a remote module.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "import(" not in html
    assert re.search(r"""(title|aria-label)="Cancel""", html)


async def test_a_completed_job_s_video_comes_back_whole_in_chunks(local_backend: Any, tmp_path: Path) -> None:
    async with mcp_session(local_backend.base_url, "--output-dir", str(tmp_path)) as session:
        done = await session.call_tool(
            "run_skill", {"prompt": "a 2-second clip of dunes", "wait_seconds": 60}
        )
        out = done.structured_content
        assert out is not None and out["status"] == "completed", text_of(done)
        parts, offset, calls = [], 0, 0
        while True:
            chunk = await session.call_tool("video_chunk", {"job_id": out["job_id"], "offset": offset})
            piece = chunk.structured_content
            assert piece is not None, text_of(chunk)
            parts.append(piece["data"])
            offset, calls = piece["next_offset"], calls + 1
            if piece["done"]:
                break
        refused = await session.call_tool("video_chunk", {"job_id": "job_000000000000"})
    joined = base64.b64decode("".join(parts))  # the pieces join as one data: URL would
    assert joined == Path(out["path"]).read_bytes() and calls >= 1
    assert refused.is_error and "no job" in text_of(refused)


def test_a_browser_page_on_loopback_may_call_the_http_server_and_others_may_not(local_backend: Any) -> None:
    with mcp_http_server(local_backend.base_url, server_env()) as url:
        preflight = httpx.options(
            url,
            headers={
                "Origin": "http://localhost:8080",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, mcp-session-id, mcp-protocol-version",
            },
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "http://localhost:8080"
        allowed = preflight.headers["access-control-allow-headers"]
        for header in ("content-type", "accept", "mcp-session-id", "mcp-protocol-version", "last-event-id"):
            assert header in allowed
        hello = httpx.post(
            url,
            headers={"Origin": "http://127.0.0.1:8081", "Accept": "application/json, text/event-stream"},
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "browser-page", "version": "1"},
                },
            },
        )
        assert hello.status_code == 200, hello.text
        assert "mcp-session-id" in hello.headers["access-control-expose-headers"]
        foreign = httpx.options(url, headers={"Origin": "https://example.com"})
        assert foreign.status_code == 403


async def test_a_batch_through_mcp_is_one_job_per_item_of_one_batch(
    local_backend: Any, tmp_path: Path
) -> None:
    from nemo_skills.jobs.journal import Journal

    async with mcp_session(local_backend.base_url, "--output-dir", str(tmp_path)) as session:
        asked = {
            "requests": [{"prompt": "a 2-second clip of a dune"}, {"prompt": "a 2-second clip of a dune"}]
        }
        first = (await session.call_tool("run_batch", {**asked, "wait_seconds": 0.5})).structured_content
        assert first is not None and len(first["items"]) == 2
        ids = [item["job_id"] for item in first["items"]]
        assert len(set(ids)) == 2  # two items alike are two videos
        done = (await session.call_tool("run_batch", {**asked, "wait_seconds": 60})).structured_content
    assert done is not None and done["status"] == "completed"
    assert [item["job_id"] for item in done["items"]] == ids  # asked again: joined, nothing paid twice
    paths = {item["path"] for item in done["items"]}
    assert len(paths) == 2 and all(Path(p).is_file() for p in paths)
    jobs = [Journal().get(i) for i in ids]
    assert {j.batch_id for j in jobs if j is not None} == {first["batch_id"]}
