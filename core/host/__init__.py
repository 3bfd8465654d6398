"""The host layer: tool specs with their handlers, their results, the toolbox and the MCP server.

Imports the jobs layer and below; used by the CLI and the public API.
"""
