"""The packaged tool listing `nemo-skills mcp` starts with says what the tool specs and their models say."""

from __future__ import annotations

from pathlib import Path

from nemo_skills.host.mcp_server import ToolboxOnDemand, build_server
from nemo_skills.host.tool_listing import LISTING_FILE, listing_of, packaged_listing, write_packaged_listing
from nemo_skills.host.toolbox import Toolbox, ToolboxSettings
from nemo_skills.host.tools import TOOLS
from nemo_skills.jobs.backends import Backend

UNUSED = Backend(label="http://127.0.0.1:9", base_url="http://127.0.0.1:9")  # never contacted
REWRITE = "a tool or one of its models changed: run `python -m nemo_skills.host.tool_listing` and commit"


def test_the_packaged_listing_is_what_the_models_say() -> None:
    assert packaged_listing() == listing_of(TOOLS), REWRITE


def test_rewriting_the_listing_reproduces_the_packaged_file_byte_for_byte(tmp_path: Path) -> None:
    written = write_packaged_listing(tmp_path / "tool_listing.json")
    assert written.read_bytes() == LISTING_FILE.read_bytes(), REWRITE


async def test_a_host_is_shown_the_same_tools_and_instructions_as_from_the_models() -> None:
    from mcp import Client

    def make() -> Toolbox:
        return Toolbox(ToolboxSettings(backend=UNUSED))

    async with ToolboxOnDemand(make) as on_demand, Client(build_server(on_demand)) as packaged:
        listed = (await packaged.list_tools()).tools
        instructions = packaged.instructions
    async with make() as toolbox, Client(build_server(toolbox)) as computed:
        assert (await computed.list_tools()).tools == listed
        assert computed.instructions == instructions
    assert [tool.name for tool in listed] == [spec.name for spec in TOOLS]
    route_input = listed[0]
    assert route_input.input_schema["properties"]["text"]["type"] == "string"
    assert route_input.output_schema is not None and route_input.annotations is not None
    assert route_input.annotations.read_only_hint is True
