"""What an MCP host is shown before any tool is called: the tools' declarations and instruction lines.

`nemo-skills mcp` answers `tools/list` from `tool_listing.json`, packaged beside this module, so its
start-up loads neither the argument and result models nor the handlers behind them: building those
models and their schemas would cost more than the rest of the server's start-up beyond the SDK's.
The file is exactly what the `ToolSpec`s in `tools.TOOLS` say (a test compares them); after changing
a tool, rewrite it with `python -m nemo_skills.host.tool_listing`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nemo_skills.host.tool_spec import ToolSpec

LISTING_FILE = Path(__file__).with_name("tool_listing.json")


@dataclass(frozen=True)
class ToolListing:
    """Each tool's MCP declaration, and its line of the server's instructions, in the same order."""

    tools: tuple[dict[str, Any], ...]
    instructions: tuple[str, ...]

    def to_json(self) -> str:
        """The listing as the packaged file holds it."""
        data = {"tools": list(self.tools), "instructions": list(self.instructions)}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def listing_of(specs: Iterable[ToolSpec[Any, Any]]) -> ToolListing:
    """The listing computed from tool specs and their models."""
    from nemo_skills.host.tool_spec import SchemaFormat, tool_schema
    from nemo_skills.host.tools import instruction_lines

    specs = list(specs)
    return ToolListing(
        tools=tuple(tool_schema(spec, SchemaFormat.MCP) for spec in specs),
        instructions=tuple(instruction_lines(specs)),
    )


def packaged_listing() -> ToolListing:
    """The listing of `tools.TOOLS`, read from the packaged file."""
    data = json.loads(LISTING_FILE.read_text(encoding="utf-8"))
    return ToolListing(tools=tuple(data["tools"]), instructions=tuple(data["instructions"]))


def write_packaged_listing(path: Path = LISTING_FILE) -> Path:
    """Rewrite the packaged file from `tools.TOOLS`."""
    from nemo_skills.files.atomic import atomic_write_text
    from nemo_skills.host.tools import TOOLS

    atomic_write_text(path, listing_of(TOOLS).to_json())
    return path


if __name__ == "__main__":
    print(f"wrote {write_packaged_listing()}")
