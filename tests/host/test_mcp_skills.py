"""The MCP skills extension: a host lists the five skills with `skills/list` and checks them against resources/read."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import mcp.types as types
import pytest
import yaml
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError
from pydantic import TypeAdapter

from nemo_skills.api import generate_skill_md
from tests.conftest import BUILTIN_SKILLS
from tests.host.mcp_http import mcp_http_server

EXTENSION = "io.modelcontextprotocol/skills"
SKILLS = BUILTIN_SKILLS
UNUSED_BACKEND = "http://127.0.0.1:9"  # listing and reading skills never reach the backend
RAW = TypeAdapter(dict[str, Any])


class ListSkills(types.PaginatedRequest[Literal["skills/list"]]):
    method: Literal["skills/list"] = "skills/list"


class GetSkillParams(types.RequestParams):
    uri: str


class GetSkill(types.Request[GetSkillParams, Literal["skills/get"]]):
    method: Literal["skills/get"] = "skills/get"


class Unknown(types.Request[types.RequestParams | None, Literal["skills/frobnicate"]]):
    method: Literal["skills/frobnicate"] = "skills/frobnicate"
    params: types.RequestParams | None = None


def get_skill(uri: str) -> GetSkill:
    return GetSkill(params=GetSkillParams(uri=uri))


def frontmatter_of(text: str) -> dict[str, Any]:
    """What a host parses out of a SKILL.md it has read, to compare with the listed entry."""
    assert text.startswith("---\n")
    loaded = yaml.safe_load(text[4 : text.index("\n---\n", 3)])
    assert isinstance(loaded, dict)
    return loaded


@asynccontextmanager
async def stdio_session() -> AsyncIterator[tuple[ClientSession, types.InitializeResult]]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "nemo_skills", "mcp", "--backend", UNUSED_BACKEND],
        env=dict(os.environ),
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        yield session, await session.initialize()


async def check_entries_against_reads(session: ClientSession, listed: dict[str, Any]) -> None:
    """Every entry names one of the five skills and describes exactly the bytes resources/read returns."""
    entries = listed["skills"]
    assert "nextCursor" not in listed
    assert {e["frontmatter"]["name"] for e in entries} == SKILLS
    for entry in entries:
        name = entry["frontmatter"]["name"]
        assert entry["uri"] == f"skill://{name}/SKILL.md"
        assert entry["frontmatter"]["description"]
        read = await session.read_resource(entry["uri"])
        text = read.contents[0].text
        assert text == generate_skill_md(name, format="clawhub", mode="api")
        data = text.encode("utf-8")
        assert entry["resources"] == [
            {"uri": entry["uri"], "digest": "sha256:" + hashlib.sha256(data).hexdigest(), "size": len(data)}
        ]
        assert entry["frontmatter"] == frontmatter_of(text)


async def test_a_host_over_stdio_sees_the_extension_and_lists_the_five_skill_mds() -> None:
    async with stdio_session() as (session, init):
        assert init.capabilities.extensions == {EXTENSION: {}}
        # The extension rides on resources, which stay declared and served.
        assert init.capabilities.resources is not None and init.capabilities.tools is not None

        listed = await session.send_request(ListSkills(), RAW)
        await check_entries_against_reads(session, listed)

        # The resources carry the frontmatter's name and description, as the extension asks.
        resources = {str(r.uri): r for r in (await session.list_resources()).resources}
        for entry in listed["skills"]:
            assert resources[entry["uri"]].name == entry["frontmatter"]["name"]
            assert resources[entry["uri"]].description == entry["frontmatter"]["description"]

        one = await session.send_request(get_skill("skill://video-leonardo/SKILL.md"), RAW)
        assert one["skill"] == next(e for e in listed["skills"] if "video-leonardo" in e["uri"])

        with pytest.raises(MCPError) as unknown_skill:
            await session.send_request(get_skill("skill://video-picasso/SKILL.md"), RAW)
        assert unknown_skill.value.error.code == types.INVALID_PARAMS
        assert "no skill is served at 'skill://video-picasso/SKILL.md'" in unknown_skill.value.error.message
        assert "skill://video-leonardo/SKILL.md" in unknown_skill.value.error.message

        with pytest.raises(MCPError) as unknown_method:
            await session.send_request(Unknown(), RAW)
        assert unknown_method.value.error.code == types.METHOD_NOT_FOUND

        # The server kept serving through the errors.
        assert len((await session.list_tools()).tools) == 13


async def test_the_2026_wire_gets_cache_hints_and_a_stray_cursor_is_invalid_params() -> None:
    from mcp import Client

    from nemo_skills.host.mcp_server import build_server
    from nemo_skills.host.toolbox import Toolbox, ToolboxSettings
    from nemo_skills.jobs.backends import Backend

    unused = Backend(label=UNUSED_BACKEND, base_url=UNUSED_BACKEND)
    async with Toolbox(ToolboxSettings(backend=unused)) as toolbox, Client(build_server(toolbox)) as client:
        assert client.protocol_version == "2026-07-28"
        assert client.server_capabilities.extensions == {EXTENSION: {}}
        listed = await client.session.send_request(ListSkills(), RAW)
        assert listed["ttlMs"] > 0 and listed["cacheScope"] == "public"
        await check_entries_against_reads(client.session, listed)
        got = await client.session.send_request(get_skill("skill://nemo-video-gen/SKILL.md"), RAW)
        assert got["ttlMs"] > 0 and got["skill"]["frontmatter"]["name"] == "nemo-video-gen"

        with pytest.raises(MCPError) as stray:
            await client.session.send_request(
                ListSkills(params=types.PaginatedRequestParams(cursor="page-2")), RAW
            )
        assert stray.value.error.code == types.INVALID_PARAMS
        with pytest.raises(MCPError) as not_a_skill:
            await client.session.send_request(get_skill("file:///etc/passwd"), RAW)
        assert not_a_skill.value.error.code == types.INVALID_PARAMS


async def test_a_plugins_skill_is_listed_beside_the_five(sixth_skill: str) -> None:
    from mcp import Client

    from nemo_skills.host.mcp_server import build_server
    from nemo_skills.host.toolbox import Toolbox, ToolboxSettings
    from nemo_skills.jobs.backends import Backend

    unused = Backend(label=UNUSED_BACKEND, base_url=UNUSED_BACKEND)
    async with Toolbox(ToolboxSettings(backend=unused)) as toolbox, Client(build_server(toolbox)) as client:
        listed = await client.session.send_request(ListSkills(), RAW)
    assert {e["frontmatter"]["name"] for e in listed["skills"]} == {*SKILLS, sixth_skill}


async def test_streamable_http_serves_the_extension_too() -> None:
    from mcp.client.streamable_http import streamable_http_client

    with mcp_http_server(UNUSED_BACKEND, os.environ) as url:
        async with streamable_http_client(url) as (read, write), ClientSession(read, write) as session:
            init = await session.initialize()
            assert init.capabilities.extensions == {EXTENSION: {}}
            listed = await session.send_request(ListSkills(), RAW)
            await check_entries_against_reads(session, listed)
