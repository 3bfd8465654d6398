"""fastmcp: its `Client` over a `StdioTransport` at its defaults (no limit on a call), no model: the calls
the scripted model would make, made directly."""

from __future__ import annotations

import asyncio
import json

from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from tests.host.frameworks import Script, driver_args, guard_network, server_command, server_env


async def main() -> None:
    backend_url, output_dir = driver_args()
    outbound = guard_network()
    script = Script("fastmcp")
    client_log = output_dir / "client.jsonl"
    command, args = server_command(backend_url, output_dir, client_log)
    try:
        async with Client(StdioTransport(command=command, args=args, env=server_env())) as client:
            step = script.next()
            while not isinstance(step, str):
                name, arguments = step
                try:
                    result: object = await client.call_tool(name, arguments)
                except Exception as exc:  # a ToolError, or the client's time limit: noted as cut
                    result = f"{type(exc).__name__}: {exc}"
                step = script.next(result)
    except Exception as exc:
        script.note_error(exc)
    print(json.dumps(script.report(client_log, outbound)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
