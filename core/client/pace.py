"""How a process shares one backend among its jobs: one pace of requests, one pool of connections.

The pace: every job and tool call of the process keeps it.

A 429 means "slow down", not "give up". The server's Retry-After closes a gate every request waits at;
then requests start at most `rate` a second (half the rate that drew the 429) and at most `window` at
once (halved too), and each answer that is not a 429 lets both creep back up (+1 request a second per
second, +1 in flight per window's worth of answers), never above the limit (a batch's --concurrency).
So a batch settles near the rate the backend allows instead of stopping at its first 429. Several
requests sent at the old pace are answered 429 together: only the first of them slows the pace down.
A reply stream holds its place only until its headers arrive, so long generations do not starve the
others. While the pace holds requests back, a render's status read goes before requests that start new
work: it finishes an item already paid for, and a poll kept waiting notices the finish late.

The pool (`ConnectionPool`): a client made per job would bring its own connections (and TLS context) and
drop them when the job ends; over hundreds of jobs that churn costs memory the process does not give
back. A batch opens one pool and hands it to each job's client; the pool is the batch's to close.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import httpx

DEFAULT_LIMIT = 16
# Never slower than this after 429s: a request every two seconds still finishes a batch.
MIN_RATE = 0.5
# Request starts remembered to tell the rate that drew a 429.
RATE_SPAN = 2.0


class Pace:
    """Requests to one backend: a gate (Retry-After), a rate and a window, both halved on a 429."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = max(1, limit)
        self.window = float(self.limit)
        self.rate: float | None = None  # requests a second; None until the backend first objects
        self.in_flight = 0
        self.gate_until = 0.0
        self.throttled = 0
        self._next_start = 0.0
        self._cut_at = 0.0
        self._starts: deque[float] = deque()
        self._first_waiting = 0
        self._changed = asyncio.Condition()

    def __repr__(self) -> str:
        rate = "free" if self.rate is None else f"{self.rate:.1f}/s"
        return f"Pace(rate={rate}, window={self.window:.1f}, limit={self.limit}, in_flight={self.in_flight})"

    def raise_limit(self, limit: int) -> None:
        """Allow up to `limit` requests at once (a batch's concurrency); the window grows to it by answers."""
        if limit > self.limit:
            self.limit = limit
            if self.throttled == 0:
                self.window = float(limit)

    @property
    def held_back(self) -> float:
        """Seconds the gate stays closed (0 when open)."""
        return max(0.0, self.gate_until - time.monotonic())

    def _wait(self, now: float) -> float | None:
        """Seconds until a request may start (0: now), or None while the window is full."""
        if self.in_flight >= max(1, int(self.window)):
            return None
        return max(0.0, self.gate_until - now, self._next_start - now)

    @asynccontextmanager
    async def slot(self, *, first: bool = False) -> AsyncIterator[float]:
        """Hold a place for one request once the pace allows it; yields when it started (monotonic).

        A request marked `first` takes the next place before the others waiting without the mark.
        """
        async with self._changed:
            if first:
                self._first_waiting += 1
            try:
                while True:
                    now = time.monotonic()
                    wait = self._wait(now)
                    if wait == 0 and not first and self._first_waiting:
                        wait = None  # a request marked first goes before: look again once it has
                    if wait == 0:
                        break
                    with suppress(TimeoutError):  # the time asked for is up: look again
                        await asyncio.wait_for(self._changed.wait(), timeout=wait)
            finally:
                if first:
                    self._first_waiting -= 1
                    self._changed.notify_all()
            self.in_flight += 1
            if self.rate is not None:
                self._next_start = max(now, self._next_start) + 1.0 / self.rate
            self._starts.append(now)
            while self._starts and self._starts[0] < now - RATE_SPAN:
                self._starts.popleft()
        try:
            yield now
        finally:
            async with self._changed:
                self.in_flight -= 1
                self._changed.notify_all()

    async def answered(self) -> None:
        """A request was answered without a 429: the pace creeps back up, to the limit at most."""
        if self.rate is None and self.window >= self.limit:
            return
        async with self._changed:
            self.window = min(float(self.limit), self.window + 1.0 / self.window)
            if self.rate is not None:
                self.rate += 1.0 / self.rate
            self._changed.notify_all()

    async def slow_down(self, retry_after: float, started: float) -> None:
        """The backend answered 429 to a request that started at `started`: wait as asked, and go slower.

        Requests that started before the last slow-down were sent at the old pace: they only wait.
        """
        async with self._changed:
            now = time.monotonic()
            self.gate_until = max(self.gate_until, now + retry_after)
            if started >= self._cut_at:
                self._cut_at = now
                self.throttled += 1
                drew = self.rate if self.rate is not None else len(self._starts) / RATE_SPAN
                self.rate = max(MIN_RATE, drew / 2)
                self.window = max(1.0, self.window / 2)
            self._changed.notify_all()


# One pace per backend and event loop: asyncio's primitives belong to the loop that runs them.
_PACES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Pace]] = weakref.WeakKeyDictionary()


def pace_for(base_url: str) -> Pace:
    """The pace this process keeps with a backend (shared by every client of the running loop)."""
    loop = asyncio.get_running_loop()
    paces = _PACES.setdefault(loop, {})
    pace = paces.get(base_url)
    if pace is None:
        pace = paces[base_url] = Pace()
    return pace


# Reply streams stay open for minutes, one per item in flight: never make a job wait for a connection.
_LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=64)


class ConnectionPool:
    """An httpx connection pool for many clients at once; an async context manager that closes it."""

    def __init__(self) -> None:
        # No timeouts of its own: every request and download passes its client's (BaseClient.timeout).
        self.http = httpx.AsyncClient(follow_redirects=True, limits=_LIMITS)

    def __repr__(self) -> str:
        return f"ConnectionPool(closed={self.http.is_closed})"

    async def __aenter__(self) -> ConnectionPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every connection of the pool."""
        await self.http.aclose()
