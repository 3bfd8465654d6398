"""Tool schemas: one pydantic model per tool, printed for OpenAI, Anthropic and MCP hosts."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from nemo_skills.cli import cli
from nemo_skills.cli.output import run_cli
from nemo_skills.errors import ExitCode, InputError, NoUsableInputError
from nemo_skills.host.tool_args import RunSkillArgs
from nemo_skills.host.toolbox import Toolbox, ToolboxSettings
from nemo_skills.host.tools import TOOLS, TOOLS_BY_NAME
from nemo_skills.jobs.backends import Backend

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


def tools_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    code = run_cli(cli, ["tools", *args])
    out = capsys.readouterr()
    assert code == 0, out.err
    data = json.loads(out.out)
    assert isinstance(data, list)
    return data


def test_openai_format_is_function_declarations(capsys: pytest.CaptureFixture[str]) -> None:
    data = tools_json(capsys, "--format", "openai")
    assert {d["function"]["name"] for d in data} == TOOL_NAMES
    for decl in data:
        assert decl["type"] == "function"
        assert decl["function"]["description"]
        assert decl["function"]["parameters"]["type"] == "object"


def test_anthropic_format_has_input_schema(capsys: pytest.CaptureFixture[str]) -> None:
    data = tools_json(capsys, "--format", "anthropic")
    assert {d["name"] for d in data} == TOOL_NAMES
    assert all(set(d) == {"name", "description", "input_schema"} for d in data)


def test_mcp_format_has_input_and_output_schemas(capsys: pytest.CaptureFixture[str]) -> None:
    data = tools_json(capsys, "--format", "mcp")
    by_name = {d["name"]: d for d in data}
    assert set(by_name) == TOOL_NAMES
    assert by_name["route_input"]["annotations"]["readOnlyHint"] is True
    assert by_name["run_skill"]["annotations"]["readOnlyHint"] is False
    assert "path" in by_name["export"]["outputSchema"]["properties"]


def test_the_three_dialects_share_one_schema(capsys: pytest.CaptureFixture[str]) -> None:
    openai = {
        d["function"]["name"]: d["function"]["parameters"] for d in tools_json(capsys, "--format", "openai")
    }
    anthropic = {d["name"]: d["input_schema"] for d in tools_json(capsys, "--format", "anthropic")}
    mcp = {d["name"]: d["inputSchema"] for d in tools_json(capsys, "--format", "mcp")}
    assert openai == anthropic == mcp


def test_schema_comes_from_the_pydantic_model() -> None:
    schema = TOOLS_BY_NAME["run_skill"].input_schema()
    assert set(schema["properties"]) == set(RunSkillArgs.model_fields)
    assert schema["required"] == ["prompt"]
    assert schema["additionalProperties"] is False
    # Field descriptions reach the host; pydantic's auto titles do not.
    assert schema["properties"]["wait_seconds"]["description"]
    assert "title" not in schema["properties"]["prompt"]


@pytest.mark.parametrize("spec", TOOLS, ids=lambda s: s.name)
def test_schema_and_model_agree_on_what_is_valid(spec: Any) -> None:
    schema = spec.input_schema()
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"not_an_argument": 1}, schema)

    def minimal(node: dict[str, Any]) -> Any:
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
        if node.get("type") == "string":
            return "x"
        if node.get("type") == "object":
            return {name: minimal(node["properties"][name]) for name in node.get("required", [])}
        return [minimal(node["items"])] * node.get("minItems", 0)

    example = minimal(schema)
    jsonschema.validate(example, schema)
    spec.args.model_validate(example)


def test_a_single_tool_can_be_printed(capsys: pytest.CaptureFixture[str]) -> None:
    data = tools_json(capsys, "--format", "anthropic", "--name", "export")
    assert [d["name"] for d in data] == ["export"]


def test_an_unknown_tool_name_is_a_bad_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(cli, ["tools", "--name", "render_everything"])
    err = capsys.readouterr().err
    assert code == ExitCode.BAD_INPUT
    assert "unknown tool 'render_everything'" in err and "run_skill" in err


# The toolbox validates with the same models before it reaches any server; this
# address is never contacted by these tests.
UNUSED = Backend(label="http://127.0.0.1:9", base_url="http://127.0.0.1:9")


async def test_toolbox_rejects_arguments_outside_the_schema() -> None:
    async with Toolbox(ToolboxSettings(backend=UNUSED)) as toolbox:
        with pytest.raises(InputError, match=r"invalid arguments for chat: message: Field required"):
            await toolbox.call("chat", {})
        with pytest.raises(InputError, match=r"colour: Extra inputs are not permitted"):
            await toolbox.call("route_input", {"text": "a sunset", "colour": "red"})
        with pytest.raises(InputError, match=r"unknown tool 'paint'"):
            await toolbox.call("paint", {})


async def test_toolbox_routes_and_lists_offline() -> None:
    async with Toolbox(ToolboxSettings(backend=UNUSED)) as toolbox:
        routed = await toolbox.call("route_input", {"text": "make a video from https://example.com/post"})
        assert routed.model_dump()["skill"] == "generator-by-link"
        listed = await toolbox.call("list_skills", {})
        names = [s["name"] for s in listed.model_dump()["skills"]]
        assert "video-leonardo" in names and len(names) == 5
        with pytest.raises(NoUsableInputError):
            await toolbox.call("route_input", {"text": ""})


async def test_session_tools_need_a_session_or_a_skill() -> None:
    async with Toolbox(ToolboxSettings(backend=UNUSED)) as toolbox:
        with pytest.raises(InputError, match="no session yet") as info:
            await toolbox.call("get_state", {})
        assert "run_skill" in info.value.user_message()
        with pytest.raises(InputError, match="nothing to upload"):
            await toolbox.call("upload", {"skill": "nemo-video-gen"})
