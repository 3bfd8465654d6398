"""Requests with the documented retries: a fresh token once on 1001/1010/1011/401, one wait after a 429.

The one httpx.AsyncClient of a client lives here, with the authenticator that
supplies its tokens and fetches anonymous ones.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx

from nemo_skills import protocol
from nemo_skills.client.auth import Authenticator, TokenCache, TokenProvider, parse_token
from nemo_skills.client.base_client import BaseClient
from nemo_skills.client.envelope import CallContext, check_response, envelope_data
from nemo_skills.client.pace import pace_for
from nemo_skills.errors import AuthError, BackendError, MissingClientIdError, RateLimitedError
from nemo_skills.files.edge import mask_credentials

log = logging.getLogger(__name__)

BodyFactory = Callable[[], AsyncIterator[bytes]]


class Requester:
    """Sends API requests for a BaseClient: headers, token, timeouts, retries and error mapping."""

    def __init__(
        self,
        base: BaseClient,
        *,
        token: str | None = None,
        token_provider: TokenProvider | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        config_dir: Path | None = None,
        token_cache_key: str | None = None,
        bind_id: Callable[[], str | None] = lambda: None,
        env_token: bool = True,
    ) -> None:
        self.base = base
        self._bind_id = bind_id
        self.owns_http = http_client is None
        self.http = http_client or httpx.AsyncClient(
            transport=transport, timeout=base.timeout(), follow_redirects=True
        )
        self.auth = Authenticator(
            token_cache_key or base.base_url,
            self._fetch_anonymous_token,
            token=token,
            provider=token_provider,
            cache=TokenCache(config_dir),
            refresh_margin=base.options.token_refresh_margin,
            env_token=env_token,
        )

    def __repr__(self) -> str:
        return f"Requester({self.base.base_url!r}, token_source={self.auth.source.value!r})"

    async def aclose(self) -> None:
        """Close the connection pool, unless the host passed its own httpx client."""
        if self.owns_http:
            await self.http.aclose()

    def context(self, *, token_endpoint: bool = False) -> CallContext:
        """What error mapping needs: who we are (anonymous, bind id) and what to redact."""
        return CallContext(
            anonymous=self.auth.anonymous,
            bind_id=self._bind_id(),
            token_endpoint=token_endpoint,
            secrets=self.auth.secrets(),
        )

    def check(self, response: httpx.Response) -> dict[str, Any]:
        """The JSON body of a read response, or the mapped exception."""
        return check_response(response, self.context())

    async def send(
        self,
        method: str,
        path: str,
        *,
        json: object = None,
        body: BodyFactory | None = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        timeout: httpx.Timeout | None = None,
        authenticated: bool = True,
        token_endpoint: bool = False,
        first: bool = False,
    ) -> tuple[httpx.Response, dict[str, Any]]:
        """One API call with its retries; the response (read) and its JSON body.

        With `stream`, a successful event-stream response is returned still open
        (with an empty body dict); the caller closes it. With `first`, the call goes
        before calls without it while the pace holds requests back (Pace.slot).
        """
        auth_retried = rate_retried = False
        waited = 0.0
        pace = pace_for(self.base.base_url)
        while True:
            token = await self.auth.token() if authenticated else None
            request = self.http.build_request(
                method,
                self.base.url(path),
                json=json,
                content=body() if body is not None else None,
                headers={**self.base.headers(token), **(headers or {})},
                timeout=timeout or self.base.timeout(),
            )
            # The place is held until the answer is read, or until a reply stream's headers arrive.
            async with pace.slot(first=first) as started:
                try:
                    response = await self.http.send(request, stream=True)
                    if stream and response.status_code == 200 and is_event_stream(response):
                        await pace.answered()
                        return response, {}
                    # A body that breaks off is a connection failure too, not a traceback.
                    try:
                        await response.aread()
                    finally:
                        await response.aclose()
                except httpx.TimeoutException as exc:
                    raise BackendError(
                        f"The backend at {mask_credentials(self.base.base_url)} did not answer in time ({exc})."
                    ) from exc
                except httpx.TransportError as exc:
                    raise BackendError(
                        f"Cannot reach the backend at {mask_credentials(self.base.base_url)}: {exc}."
                    ) from exc
                except httpx.RequestError as exc:
                    raise BackendError(
                        f"The backend at {mask_credentials(self.base.base_url)} sent an answer that cannot be read: {exc}."
                    ) from exc
            try:
                data = check_response(response, self.context(token_endpoint=token_endpoint))
                await pace.answered()
                if stream:
                    raise BackendError(f"The backend answered {path} without an event stream.")
                return response, data
            except AuthError:
                if auth_retried or not authenticated:
                    raise
                auth_retried = True
                await self.auth.refresh(rejected=token)
            except RateLimitedError as exc:
                wait = self.base.rate_limit_wait(exc)
                if token_endpoint:
                    # The seeds' rule for the anonymous-token endpoint: wait once, then report.
                    if rate_retried or wait is None:
                        raise
                    rate_retried = True
                    log.info("rate limited on %s; retrying once in %.1f s", path, wait)
                    await asyncio.sleep(wait)
                    continue
                if wait is None or waited + wait > self.base.options.rate_limit_patience:
                    raise self._gave_up(exc, waited) from exc
                waited += wait
                log.info("rate limited on %s; every request waits %.1f s, fewer go at once", path, wait)
                await pace.slow_down(wait, started)

    def _gave_up(self, exc: RateLimitedError, waited: float) -> RateLimitedError:
        """The 429 a request stops at: what the backend asked, and what was done about it."""
        options = self.base.options
        asked = f"{exc.retry_after:g} s" if exc.retry_after is not None else "an unknown time"
        if exc.retry_after is not None and exc.retry_after > options.rate_limit_max_wait:
            why = (
                f"it asked to wait {asked}, longer than the {options.rate_limit_max_wait:g} s a request waits"
            )
        else:
            why = f"after {waited:g} s of waiting it still asked to wait {asked}"
        error = RateLimitedError(
            f"The backend is rate limiting requests (HTTP 429): {why}. Requests were slowed down first.",
            retry_after=exc.retry_after,
        )
        error.action = "Nothing is lost: run the same command again later (finished work is kept)."
        return error

    async def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One API call with its retries; the JSON body of the answer."""
        _, data = await self.send(method, path, **kwargs)
        return data

    async def _fetch_anonymous_token(self, client_id: str) -> tuple[str, float]:
        for attempt in range(2):
            try:
                body = await self.call(
                    "POST",
                    protocol.PATH_ANON_TOKEN,
                    headers={protocol.HEADER_CLIENT_ID: client_id},
                    authenticated=False,
                    token_endpoint=True,
                )
                return parse_token(envelope_data(body))
            except MissingClientIdError:
                if attempt:
                    raise
                # The backend wants another id: generate one, once.
                client_id = self.auth.cache.new_client_id()
        raise AssertionError("unreachable")  # pragma: no cover


def is_event_stream(response: httpx.Response) -> bool:
    """Whether a response is a server-sent event stream."""
    ctype: str = response.headers.get("content-type", "")
    return ctype.split(";")[0].strip().lower() == protocol.SSE_ACCEPT
