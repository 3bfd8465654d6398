"""google-adk: an LlmAgent with `McpToolset(StdioConnectionParams)` at its defaults (5 s) and a scripted
`BaseLlm`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Any

from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import InMemoryRunner
from google.adk.tools.mcp_tool import McpToolset, StdioConnectionParams
from google.genai import types
from mcp import StdioServerParameters

from tests.host.frameworks import REQUEST, Script, driver_args, guard_network, server_command, server_env


class ScriptedLlm(BaseLlm):
    """Answers each turn from the script, reading the last function response in the request."""

    script: Any  # the same Script the driver reports from (Any: pydantic keeps the object as given)

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        responses = [
            part.function_response.response
            for content in llm_request.contents
            for part in content.parts or []
            if part.function_response is not None
        ]
        step = self.script.next(responses[-1] if responses else None)
        if isinstance(step, str):
            part = types.Part(text=step)
        else:
            name, args = step
            call_id = f"call_{len(self.script.calls)}"
            part = types.Part(function_call=types.FunctionCall(id=call_id, name=name, args=args))
        yield LlmResponse(content=types.Content(role="model", parts=[part]))


async def main() -> None:
    backend_url, output_dir = driver_args()
    outbound = guard_network()
    script = Script("google-adk")
    client_log = output_dir / "client.jsonl"
    command, args = server_command(backend_url, output_dir, client_log)
    toolset = McpToolset(
        connection_params=StdioConnectionParams(
            server_params=StdioServerParameters(command=command, args=args, env=server_env())
        )
    )
    agent = LlmAgent(
        name="video",
        model=ScriptedLlm(model="scripted", script=script),
        instruction="Make the video asked for.",
        tools=[toolset],
    )
    runner = InMemoryRunner(agent=agent, app_name="video")
    try:
        session = await runner.session_service.create_session(app_name="video", user_id="user")
        message = types.Content(role="user", parts=[types.Part(text=REQUEST)])
        async for _event in runner.run_async(user_id="user", session_id=session.id, new_message=message):
            pass
    except Exception as exc:
        script.note_error(exc)
    finally:
        await runner.close()
        await toolset.close()
    print(json.dumps(script.report(client_log, outbound)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
