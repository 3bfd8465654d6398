"""The Host and Origin checks of servers that listen on loopback: a forged Host (DNS rebinding) gets
421, a request from a web page on another site (cross-site request forgery) gets 403.

A page on another site can make a browser resolve its own name to 127.0.0.1 and
then talk to a loopback server as if it were that site; the browser still sends
the page's name in the Host header, so a loopback server answers only requests
whose Host is one of its own loopback names. A page can also send a request
straight to 127.0.0.1 (a form POST needs no permission); the browser then says
which site the page is on in the Origin header, so a request carrying an Origin
that is not a loopback origin is refused. Clients that are not browsers (the
CLI, the SDK) send no Origin and are unaffected. Plain ASGI, so both the local
backend and the MCP server wrap their apps in the same guard.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

HTTP_MISDIRECTED = 421
HTTP_FORBIDDEN = 403
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
# Whatever the port, so a proxy or a URL with the default port left out still matches.
_HOST = re.compile(r"(?P<name>\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::(?P<port>[0-9]{1,5}))?")
# An Origin is a scheme, a host and maybe a port: never a path, user or query.
_ORIGIN = re.compile(r"https?://(?P<name>\[[0-9a-fA-F:.]+\]|[^:/@?#\[\]\s]+)(?::[0-9]{1,5})?", re.IGNORECASE)

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


def origin_allowed(values: list[str], names: frozenset[str]) -> bool:
    """Whether the Origin headers of a request let it in: none at all, or only loopback origins."""
    for value in values:
        match = _ORIGIN.fullmatch(value.strip())
        if match is None or match.group("name").lower() not in names:
            return False
    return True


class LoopbackHostGuard:
    """ASGI middleware refusing HTTP requests not addressed to loopback (421) or sent from another site (403)."""

    def __init__(self, app: ASGIApp, bind_host: str | None = None) -> None:
        self.app = app
        self.names = host_names(bind_host)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "http":
            if not host_allowed(_header(scope, b"host"), self.names):
                await _refuse(send, HTTP_MISDIRECTED, _MISDIRECTED)
                return
            if not origin_allowed(_headers(scope, b"origin"), self.names):
                await _refuse(send, HTTP_FORBIDDEN, _FOREIGN_ORIGIN)
                return
        await self.app(scope, receive, send)


# What a browser page on loopback (an MCP Apps host) may send to the MCP endpoint, and read back.
CORS_ALLOW_HEADERS = (
    "content-type, accept, authorization, mcp-session-id, mcp-protocol-version, last-event-id"
)
CORS_EXPOSE_HEADERS = "mcp-session-id, mcp-protocol-version"
CORS_METHODS = "GET, POST, DELETE, OPTIONS"


class LoopbackCors:
    """ASGI middleware letting web pages on loopback origins use the server (CORS), behind the guard.

    A preflight (`OPTIONS` with an Origin) is answered here with what may be sent; every other answer to
    a request with an Origin names that origin and exposes the session header. Put it inside
    `LoopbackHostGuard`, which has refused every origin that is not on loopback.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _header(scope, b"origin") if scope.get("type") == "http" else None
        if origin is None:
            await self.app(scope, receive, send)
            return
        allow = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
        if scope.get("method") == "OPTIONS":
            headers = [
                *allow,
                (b"access-control-allow-methods", CORS_METHODS.encode()),
                (b"access-control-allow-headers", CORS_ALLOW_HEADERS.encode()),
                (b"access-control-max-age", b"600"),
                (b"content-length", b"0"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return

        async def with_cors(message: Message) -> None:
            if message.get("type") == "http.response.start":
                extra = [*allow, (b"access-control-expose-headers", CORS_EXPOSE_HEADERS.encode())]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_cors)


def _headers(scope: Scope, name: bytes) -> list[str]:
    return [bytes(value).decode("latin-1") for key, value in scope.get("headers", ()) if key.lower() == name]


def _header(scope: Scope, name: bytes) -> str | None:
    found = _headers(scope, name)
    return found[0] if found else None


# The forged name or origin is not repeated: it is the attacker's text.
_MISDIRECTED = (
    "misdirected request: the Host header does not name this loopback server "
    f"(use {', '.join(LOOPBACK_NAMES)})"
)
_FOREIGN_ORIGIN = (
    "forbidden: the request comes from a web page on another site (its Origin header is not "
    "a loopback origin); this server answers only pages on loopback and clients that send no Origin"
)


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"code": status, "message": message, "data": {}}).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
