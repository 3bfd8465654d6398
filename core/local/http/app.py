"""The starlette application: routes, the 429 fault, and errors as envelopes (never a bare 500)."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from nemo_skills import protocol
from nemo_skills.files.loopback import LoopbackHostGuard
from nemo_skills.local.faults import RATE_LIMITED_PREFIXES
from nemo_skills.local.http import routes_chat, routes_gateway, routes_render, routes_upload
from nemo_skills.local.http.access_log import RequestLogMiddleware
from nemo_skills.local.http.context import AppContext
from nemo_skills.local.http.responses import gateway_error, render_error
from nemo_skills.local.problems import CODE_INTERNAL, ApiProblem

log = logging.getLogger("nemo_skills.local")


class RateLimitFault:
    """ASGI middleware answering HTTP 429: while the rate-limit fault has answers left, and past a token's rate."""

    def __init__(self, app: ASGIApp, context: AppContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        limited = scope["type"] == "http" and path.startswith(RATE_LIMITED_PREFIXES)
        faults = self.context.faults
        seconds: int | None = None
        if limited and faults.take_rate_limit(path):
            seconds = faults.faults.rate_limit_retry_after
        elif limited and path != protocol.PATH_ANON_TOKEN:
            wait = faults.take_request_slot(_caller(scope), time.monotonic())
            # Whole seconds, as Retry-After is written; never 0, which would invite an immediate retry.
            seconds = None if wait is None else max(1, math.ceil(wait))
        if seconds is None:
            await self.app(scope, receive, send)
            return
        body = json.dumps({"code": 429, "message": f"rate limited; retry after {seconds}s", "data": {}})
        response = Response(
            body,
            status_code=protocol.HTTP_RATE_LIMITED,
            media_type="application/json",
            headers={protocol.HEADER_RETRY_AFTER: str(seconds)},
        )
        await response(scope, receive, send)


def _caller(scope: Scope) -> str:
    """Whose rate a request counts against: its bearer token, hashed (the token itself is kept nowhere)."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return hashlib.sha256(value).hexdigest()
    return "-"


def _is_render_path(request: Request) -> bool:
    return request.url.path.startswith(protocol.PATH_RENDER)


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    return render_error(exc) if _is_render_path(request) else gateway_error(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {
        404: f"no such endpoint: {request.url.path}",
        405: f"method {request.method} not allowed here",
    }
    problem = ApiProblem(
        exc.status_code, messages.get(exc.status_code, str(exc.detail)), status=exc.status_code
    )
    return await _problem(request, problem)


async def _crash(request: Request, exc: Exception) -> Response:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    problem = ApiProblem(
        CODE_INTERNAL, f"internal error in the local backend: {type(exc).__name__}", status=500
    )
    if _is_render_path(request):
        return render_error(problem)
    return JSONResponse({"code": problem.code, "message": problem.message, "data": {}}, status_code=500)


def create_app(context: AppContext, bind_host: str | None = None) -> ASGIApp:
    """The ASGI app of one backend; requests whose Host is not a loopback name get 421.

    With a request log in the settings, every request is logged, whatever answered it.
    """
    p = protocol
    routes = [
        Route("/healthz", routes_gateway.health, methods=["GET"]),
        Route(p.PATH_ANON_TOKEN, routes_gateway.anonymous_token, methods=["POST"]),
        Route(p.PATH_CREATE_SESSION, routes_gateway.create_session, methods=["POST"]),
        Route(p.PATH_CREDITS, routes_gateway.credits, methods=["GET"]),
        Route(p.state_path("{session_id}"), routes_gateway.state, methods=["GET"]),
        Route(p.PATH_RUN_SSE, routes_chat.run_sse, methods=["POST"]),
        Route(p.upload_path("{session_id}"), routes_upload.upload, methods=["POST"]),
        Route(p.PATH_RENDER, routes_render.create_render, methods=["POST"]),
        Route(p.render_status_path("{render_id}"), routes_render.render_status, methods=["GET"]),
        Route("/files/{key}/{name}", routes_render.download, methods=["GET", "HEAD"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={ApiProblem: _problem, HTTPException: _http_error, Exception: _crash},
    )
    app.state.ctx = context
    guarded: ASGIApp = LoopbackHostGuard(RateLimitFault(app, context), bind_host)
    if context.settings.request_log is None:
        return guarded
    return RequestLogMiddleware(guarded, context.settings.request_log)
