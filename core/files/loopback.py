"""The Host check of servers that listen on loopback: a forged Host (DNS rebinding) gets 421.

A page on another site can make a browser resolve its own name to 127.0.0.1 and
then talk to a loopback server as if it were that site; the browser still sends
the page's name in the Host header, so a loopback server answers only requests
whose Host is one of its own loopback names. Plain ASGI, so both the local
backend and the MCP server wrap their apps in the same guard.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

HTTP_MISDIRECTED = 421
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
# Whatever the port, so a proxy or a URL with the default port left out still matches.
_HOST = re.compile(r"(?P<name>\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::(?P<port>[0-9]{1,5}))?")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def host_names(bind_host: str | None = None) -> frozenset[str]:
    """The Host names a loopback server answers to: the loopback names and the address it was bound to."""
    names = set(LOOPBACK_NAMES)
    if bind_host and bind_host not in ("0.0.0.0", "::", ""):
        names.add(f"[{bind_host}]" if ":" in bind_host and not bind_host.startswith("[") else bind_host)
    return frozenset(name.lower() for name in names)


def host_allowed(header: str | None, names: frozenset[str]) -> bool:
    """Whether a Host header value names this server (with or without a port)."""
    if not header:
        return False
    match = _HOST.fullmatch(header.strip())
    return match is not None and match.group("name").lower() in names


class LoopbackHostGuard:
    """ASGI middleware answering 421 Misdirected Request to any HTTP request not addressed to loopback."""

    def __init__(self, app: ASGIApp, bind_host: str | None = None) -> None:
        self.app = app
        self.names = host_names(bind_host)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "http" and not host_allowed(_header(scope, b"host"), self.names):
            await _misdirected(send)
            return
        await self.app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def _misdirected(send: Send) -> None:
    # The forged name is not repeated: it is the attacker's text.
    body = json.dumps(
        {
            "code": HTTP_MISDIRECTED,
            "message": "misdirected request: the Host header does not name this loopback server "
            f"(use {', '.join(LOOPBACK_NAMES)})",
            "data": {},
        }
    ).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": HTTP_MISDIRECTED, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
