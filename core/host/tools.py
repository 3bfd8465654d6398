"""The tools a host exposes, declared once as pydantic models.

Each tool's arguments are a pydantic model; its JSON schema is that model's
`model_json_schema()`, rendered for OpenAI function calling, Anthropic tool
use or MCP. The MCP server validates calls with the same models, so the
schemas a host is shown and the checks a call goes through cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nemo_skills.errors import InputError
from nemo_skills.host.tool_results import (
    ChatOutput,
    CreditsOutput,
    ExportOutput,
    RouteOutput,
    RunSkillOutput,
    SkillList,
    StateOutput,
    UploadOutput,
)

_SKILL_HELP = (
    "Skill name (see list_skills). Leave empty to continue the session given by session_id, "
    "or the most recent session of this server."
)
_FILES_HELP = "Local files {what}: absolute paths (relative ones are taken from the server's working folder)."
_SESSION_HELP = "Session id returned by an earlier call; continues that session's timeline."


class ToolArgs(BaseModel):
    """Base of every tool's arguments: unknown arguments are rejected, not ignored."""

    model_config = ConfigDict(extra="forbid")


class RouteInputArgs(ToolArgs):
    """Arguments of route_input."""

    text: str = Field(default="", description="The user's request in their own words.")
    files: list[str] = Field(default_factory=list, description="Local file paths the user gave.")
    urls: list[str] = Field(default_factory=list, description="URLs the user gave apart from the text.")


class RunSkillArgs(ToolArgs):
    """Arguments of run_skill."""

    prompt: str = Field(description="What the video should be, in the user's words.")
    skill: str | None = Field(
        default=None, description="Skill name; leave empty to let the router pick one for the input."
    )
    files: list[str] = Field(
        default_factory=list,
        description=_FILES_HELP.format(what="to upload first")
        + " Documents (TXT, MD, DOCX, PDF) are read here and sent as the prompt.",
    )
    urls: list[str] = Field(default_factory=list, description="Media or page URLs to upload first.")
    export: bool = Field(default=True, description="Render and download the MP4 after the reply.")
    output: str | None = Field(
        default=None, description="Where to write the MP4; by default a new file in the data folder."
    )
    deadline_seconds: float | None = Field(
        default=None,
        gt=0,
        description="Stop waiting for the render after this long and return its render id instead.",
    )
    overwrite: bool = Field(default=False, description="Replace an existing file at output.")
    session_id: str | None = Field(default=None, description=_SESSION_HELP)


class ChatArgs(ToolArgs):
    """Arguments of chat."""

    message: str = Field(min_length=1, description="The next instruction or question for the editor.")
    skill: str | None = Field(default=None, description=_SKILL_HELP)
    session_id: str | None = Field(default=None, description=_SESSION_HELP)


class UploadArgs(ToolArgs):
    """Arguments of upload."""

    files: list[str] = Field(default_factory=list, description=_FILES_HELP.format(what="to upload"))
    urls: list[str] = Field(default_factory=list, description="URLs for the backend to fetch.")
    skill: str | None = Field(default=None, description=_SKILL_HELP)
    session_id: str | None = Field(default=None, description=_SESSION_HELP)


class GetStateArgs(ToolArgs):
    """Arguments of get_state."""

    skill: str | None = Field(default=None, description=_SKILL_HELP)
    session_id: str | None = Field(default=None, description=_SESSION_HELP)


class ExportArgs(ToolArgs):
    """Arguments of export."""

    skill: str | None = Field(default=None, description=_SKILL_HELP)
    session_id: str | None = Field(default=None, description=_SESSION_HELP)
    output: str | None = Field(
        default=None, description="Where to write the MP4; by default a new file in the data folder."
    )
    deadline_seconds: float | None = Field(
        default=None,
        gt=0,
        description="Stop waiting after this long and return the render id; call export again with it.",
    )
    render_id: str | None = Field(
        default=None, description="Render id from an earlier export that passed its deadline: fetch it."
    )
    overwrite: bool = Field(default=False, description="Replace an existing file at output.")


class GetCreditsArgs(ToolArgs):
    """Arguments of get_credits."""

    skill: str | None = Field(default=None, description="Skill whose attribution headers to send.")


class ListSkillsArgs(ToolArgs):
    """Arguments of list_skills (none)."""


class ToolName(StrEnum):
    """Names of the tools, as hosts call them."""

    ROUTE_INPUT = "route_input"
    RUN_SKILL = "run_skill"
    CHAT = "chat"
    UPLOAD = "upload"
    GET_STATE = "get_state"
    EXPORT = "export"
    GET_CREDITS = "get_credits"
    LIST_SKILLS = "list_skills"


@dataclass(frozen=True)
class ToolSpec:
    """One tool: name, description, argument and result models, and whether it changes or reaches anything."""

    name: ToolName
    description: str
    args: type[ToolArgs]
    result: type[BaseModel]
    read_only: bool = False
    offline: bool = False

    def input_schema(self) -> dict[str, Any]:
        """The JSON schema of the arguments."""
        return _clean(self.args.model_json_schema())

    def output_schema(self) -> dict[str, Any]:
        """The JSON schema of the structured result."""
        return _clean(self.result.model_json_schema())


def _clean(schema: dict[str, Any]) -> dict[str, Any]:
    # The model's class name and docstring mean nothing to a host (the tool's own
    # name and description say it), and pydantic's per-field titles only repeat
    # the field names: dropping them keeps the schemas a model reads short.
    cleaned = _drop_titles(schema)
    assert isinstance(cleaned, dict)
    cleaned.pop("description", None)
    cleaned.setdefault("properties", {})
    return cleaned


def _drop_titles(node: Any, *, names: bool = False) -> Any:
    if isinstance(node, list):
        return [_drop_titles(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        # Keys of `properties` / `$defs` are field or model names, not schema keywords.
        return {key: _drop_titles(value) for key, value in node.items()}
    return {
        key: _drop_titles(value, names=key in ("properties", "$defs"))
        for key, value in node.items()
        if key != "title"
    }


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        ToolName.ROUTE_INPUT,
        "Pick the NemoVideo skill that suits a request (text, URLs, local files) and explain why, "
        "with every skill's score. Nothing is sent anywhere.",
        RouteInputArgs,
        RouteOutput,
        read_only=True,
        offline=True,
    ),
    ToolSpec(
        ToolName.RUN_SKILL,
        "Make a video: route the input to a skill (or use the one named), upload the files and URLs, "
        "send the prompt, and render the result to an MP4. Returns the editor's reply, the timeline "
        "summary and the MP4 path (or a render id when the deadline passed first).",
        RunSkillArgs,
        RunSkillOutput,
    ),
    ToolSpec(
        ToolName.CHAT,
        "Send the next instruction to the video editor of a session (e.g. 'add lo-fi music at 35%') "
        "and return its reply, what changed and the timeline summary.",
        ChatArgs,
        ChatOutput,
    ),
    ToolSpec(
        ToolName.UPLOAD,
        "Upload local files or URLs into a session. Formats are checked before anything is sent.",
        UploadArgs,
        UploadOutput,
    ),
    ToolSpec(
        ToolName.GET_STATE,
        "Show a session's timeline: a track summary and whether it is ready to export.",
        GetStateArgs,
        StateOutput,
        read_only=True,
    ),
    ToolSpec(
        ToolName.EXPORT,
        "Render a session's timeline to a 1080p MP4 and download it (export is free). Sends progress "
        "while rendering; past the deadline it returns the render id, and a later call with that "
        "render_id fetches the result.",
        ExportArgs,
        ExportOutput,
    ),
    ToolSpec(
        ToolName.GET_CREDITS,
        "Show the credit balance: available, frozen and total.",
        GetCreditsArgs,
        CreditsOutput,
        read_only=True,
    ),
    ToolSpec(
        ToolName.LIST_SKILLS,
        "List the video skills this host serves, with what each accepts, its upload limit and examples.",
        ListSkillsArgs,
        SkillList,
        read_only=True,
        offline=True,
    ),
)

TOOLS_BY_NAME: dict[str, ToolSpec] = {spec.name.value: spec for spec in TOOLS}


class SchemaFormat(StrEnum):
    """Tool schema dialects a host may want."""

    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    MCP = "mcp"


def tool_schema(spec: ToolSpec, fmt: SchemaFormat | str) -> dict[str, Any]:
    """One tool's declaration in a host's dialect."""
    try:
        fmt = SchemaFormat(fmt)
    except ValueError as exc:
        raise InputError(f"unknown tool schema format {fmt!r}; formats: {', '.join(SchemaFormat)}") from exc
    if fmt is SchemaFormat.OPENAI:
        return {
            "type": "function",
            "function": {
                "name": spec.name.value,
                "description": spec.description,
                "parameters": spec.input_schema(),
            },
        }
    if fmt is SchemaFormat.ANTHROPIC:
        return {"name": spec.name.value, "description": spec.description, "input_schema": spec.input_schema()}
    return {
        "name": spec.name.value,
        "description": spec.description,
        "inputSchema": spec.input_schema(),
        "outputSchema": spec.output_schema(),
        "annotations": {"readOnlyHint": spec.read_only, "openWorldHint": not spec.offline},
    }


def tool_schemas(fmt: SchemaFormat | str = SchemaFormat.MCP) -> list[dict[str, Any]]:
    """Every tool's declaration in a host's dialect, in a stable order."""
    return [tool_schema(spec, fmt) for spec in TOOLS]
