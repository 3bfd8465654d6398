"""pydantic-ai: an Agent with `MCPToolset` over stdio at its defaults and a scripted `FunctionModel`.

pydantic-ai 2 removed `MCPServerStdio`: `MCPToolset` (built on fastmcp's Client) with a `StdioTransport`
is what replaces it. Its defaults: 5 s to connect, then 300 s for each call.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastmcp.client.transports import StdioTransport
from pydantic_ai import Agent
from pydantic_ai.mcp import MCPToolset
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    RetryPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from tests.host.frameworks import REQUEST, Script, driver_args, guard_network, server_command, server_env


def scripted(script: Script) -> FunctionModel:
    """A model answering each turn from the script, reading the last tool return (or retry prompt)."""

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        returned = [
            part.content
            for message in messages
            if isinstance(message, ModelRequest)
            for part in message.parts
            if isinstance(part, ToolReturnPart | RetryPromptPart)
        ]
        step = script.next(returned[-1] if returned else None)
        if isinstance(step, str):
            return ModelResponse(parts=[TextPart(step)])
        name, args = step
        return ModelResponse(parts=[ToolCallPart(name, args, tool_call_id=f"call_{len(script.calls)}")])

    return FunctionModel(respond, model_name="scripted")


async def main() -> None:
    backend_url, output_dir = driver_args()
    outbound = guard_network()
    script = Script("pydantic-ai")
    client_log = output_dir / "client.jsonl"
    command, args = server_command(backend_url, output_dir, client_log)
    toolset: MCPToolset[Any] = MCPToolset(StdioTransport(command=command, args=args, env=server_env()))
    agent = Agent(scripted(script), instructions="Make the video asked for.", toolsets=[toolset])
    try:
        async with agent:
            await agent.run(REQUEST)
    except Exception as exc:
        script.note_error(exc)
    print(json.dumps(script.report(client_log, outbound)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
