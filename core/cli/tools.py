"""`tools`: the JSON schemas of the tools a host would expose."""

from __future__ import annotations

import click

from nemo_skills.cli.output import print_json


@click.command("tools")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["openai", "anthropic", "mcp"]),
    default="mcp",
    show_default=True,
    help="Schema dialect: OpenAI function calling, Anthropic tool use, or MCP.",
)
@click.option("--name", "names", multiple=True, help="Only this tool (repeatable).")
def tools_cmd(fmt: str, names: tuple[str, ...]) -> None:
    """Print the JSON schemas of the tools (route, run skill, chat, upload, state, export, credits, list)."""
    from nemo_skills.errors import InputError
    from nemo_skills.host.tool_spec import tool_schema
    from nemo_skills.host.tools import TOOLS_BY_NAME, tool_schemas

    if not names:
        print_json(tool_schemas(fmt))
        return
    unknown = [n for n in names if n not in TOOLS_BY_NAME]
    if unknown:
        raise InputError(f"unknown tool {unknown[0]!r}; tools: {', '.join(TOOLS_BY_NAME)}")
    print_json([tool_schema(TOOLS_BY_NAME[n], fmt) for n in names])
