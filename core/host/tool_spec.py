"""What a tool is: its name, what it says to a host, its argument and result models, and its handler.

A `ToolSpec` renders itself for OpenAI function calling, Anthropic tool use or
MCP; the schemas come from the pydantic models the calls are validated with.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

from nemo_skills.errors import InputError
from nemo_skills.host.mcp_apps import ui_meta
from nemo_skills.host.progress_pump import ProgressSender
from nemo_skills.host.tool_args import ToolArgs
from nemo_skills.host.tool_results import AnyOutput

if TYPE_CHECKING:
    # Only handlers use the context (and the session machinery under it): printing schemas does not load it.
    from nemo_skills.host.tool_context import ToolContext

A = TypeVar("A", bound=ToolArgs)
R = TypeVar("R", bound=AnyOutput)

Handler: TypeAlias = "Callable[[ToolContext, A, ProgressSender | None], Awaitable[R]]"
"""What answers a tool call: (context, validated arguments, progress sender) -> result."""


@dataclass(frozen=True)
class ToolSpec(Generic[A, R]):
    """One tool, declared once: what hosts are shown, what answers it, and its line of the server's instructions."""

    name: str
    description: str
    args: type[A]
    result: type[R]
    handler: Handler[A, R]
    instruction: str
    read_only: bool = False
    offline: bool = False
    # The MCP Apps view renders its results (run_skill, wait_job, export), or calls it (app_only: hidden
    # from the model by hosts that render Apps).
    view: bool = False
    app_only: bool = False

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


class SchemaFormat(StrEnum):
    """Tool schema dialects a host may want."""

    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    MCP = "mcp"


def tool_schema(spec: ToolSpec[Any, Any], fmt: SchemaFormat | str) -> dict[str, Any]:
    """One tool's declaration in a host's dialect."""
    try:
        fmt = SchemaFormat(fmt)
    except ValueError as exc:
        raise InputError(f"unknown tool schema format {fmt!r}; formats: {', '.join(SchemaFormat)}") from exc
    if fmt is SchemaFormat.OPENAI:
        return {
            "type": "function",
            "function": {
                "name": spec.name,
                "description": spec.description,
                "parameters": spec.input_schema(),
            },
        }
    if fmt is SchemaFormat.ANTHROPIC:
        return {"name": spec.name, "description": spec.description, "input_schema": spec.input_schema()}
    declared: dict[str, Any] = {
        "name": spec.name,
        "description": spec.description,
        "inputSchema": spec.input_schema(),
        "outputSchema": spec.output_schema(),
        "annotations": {"readOnlyHint": spec.read_only, "openWorldHint": not spec.offline},
    }
    if spec.view or spec.app_only:
        declared["_meta"] = ui_meta(app_only=spec.app_only)
    return declared
