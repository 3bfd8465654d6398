"""openai-agents: an Agent with `MCPServerStdio` at its defaults (5 s a call) and a scripted `Model`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from agents import Agent, RunConfig, Runner, set_tracing_disabled
from agents.items import ModelResponse
from agents.mcp import MCPServerStdio
from agents.models.interface import Model
from agents.usage import Usage
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText

from tests.host.frameworks import REQUEST, Script, driver_args, guard_network, server_command, server_env


class ScriptedModel(Model):
    """Answers each turn from the script, reading the last tool output in the run's input items."""

    def __init__(self, script: Script) -> None:
        self.script = script

    async def get_response(
        self, system_instructions: Any, input: Any, *args: Any, **kwargs: Any
    ) -> ModelResponse:
        outputs = [
            item for item in input if isinstance(item, dict) and item.get("type") == "function_call_output"
        ]
        step = self.script.next(outputs[-1]["output"] if outputs else None)
        if isinstance(step, str):
            text = ResponseOutputText(type="output_text", text=step, annotations=[])
            item: Any = ResponseOutputMessage(
                id="msg_final", type="message", role="assistant", status="completed", content=[text]
            )
        else:
            name, arguments = step
            turn = len(self.script.calls)
            item = ResponseFunctionToolCall(
                id=f"fc_{turn}",
                call_id=f"call_{turn}",
                type="function_call",
                name=name,
                arguments=json.dumps(arguments),
                status="completed",
            )
        return ModelResponse(output=[item], usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise NotImplementedError("the driver runs the agent without streaming")


async def main() -> None:
    backend_url, output_dir = driver_args()
    outbound = guard_network()
    set_tracing_disabled(True)  # the default trace exporter would post to the model provider
    script = Script("openai-agents")
    client_log = output_dir / "client.jsonl"
    command, args = server_command(backend_url, output_dir, client_log)
    try:
        async with MCPServerStdio(params={"command": command, "args": args, "env": server_env()}) as server:
            agent = Agent(name="video", instructions="Make the video asked for.", model=ScriptedModel(script))
            agent.mcp_servers = [server]
            await Runner.run(agent, REQUEST, max_turns=60, run_config=RunConfig(tracing_disabled=True))
    except Exception as exc:
        script.note_error(exc)
    print(json.dumps(script.report(client_log, outbound)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
