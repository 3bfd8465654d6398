"""The request log as ASGI middleware: one line per HTTP request, written as its response starts."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nemo_skills.local.request_log import append_request

log = logging.getLogger("nemo_skills.local")

# What uvicorn answers for an app that ends without starting a response.
NO_RESPONSE_STATUS = 500


class RequestLogMiddleware:
    """Append each HTTP request's method, path and status to a request log (see local/request_log.py).

    It wraps every other layer, so the answers of the Host check (421) and of the
    rate-limit fault (429) are logged too. The line is written before the response
    start is sent: a client that has its answer finds the request in the log.
    """

    def __init__(self, app: ASGIApp, request_log: Path, clock: Callable[[], float] = time.time) -> None:
        self.app = app
        self.request_log = request_log
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = str(scope.get("method", ""))
        path = str(scope.get("path", ""))
        logged = False

        def write(status: int) -> None:
            nonlocal logged
            if logged:
                return
            logged = True
            try:
                append_request(self.request_log, method, path, status, self.clock())
            except OSError as exc:
                # A full disk or a removed folder must not fail the request the log is about.
                log.warning("cannot write the request log %s: %s", self.request_log, exc.strerror or exc)

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                write(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            write(NO_RESPONSE_STATUS)
