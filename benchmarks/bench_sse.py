"""Chat-stream handling beside its floor: `read_events` plus the reply accumulator vs a bare httpx_sse loop.

.venv/bin/python benchmarks/bench_sse.py [--events N] [--rounds R] [--chunk BYTES]

Both paths read the same bytes: the ADK-shaped `/run_sse` streams in tests/data/adk (text previews,
thoughts, tool calls and results, state deltas, heartbeats, an error frame), repeated to N events and
delivered as an httpx response in chunks of BYTES, with one suspension per chunk as a socket read has.
The floor is `EventSource(response).aiter_sse()` doing `json.loads` per event and nothing else. Prints
each path's best events/s and the median ratio of their times over R back-to-back pairs; the goal is at most 1.5x.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
from httpx_sse import EventSource

from nemo_skills.client.adk_events import ReplyAccumulator
from nemo_skills.client.chat import read_events
from nemo_skills.client.settings import ClientOptions

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "adk"
GOAL = 1.5


def body_of(events: int, data: Path) -> tuple[bytes, int]:
    """The recorded streams repeated until they hold at least `events` events; the body and its count."""
    one = b"".join(p.read_bytes() for p in sorted(data.glob("*.sse")))
    per = one.count(b"\n\n")
    times = -(-events // per)
    return one * times, per * times


async def _chunks(body: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(body), size):
        await asyncio.sleep(0)
        yield body[i : i + size]


def _response(body: bytes, size: int) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=_chunks(body, size))


async def floor(body: bytes, size: int) -> int:
    """The bare loop: parse SSE, json.loads each payload."""
    n = 0
    async for sse in EventSource(_response(body, size)).aiter_sse():
        if sse.data:
            json.loads(sse.data)
        n += 1
    return n


async def project(body: bytes, size: int) -> int:
    """The client's path: typed events with the still-working timers, into the reply accumulator."""
    acc = ReplyAccumulator()
    n = 0
    async for event in read_events(EventSource(_response(body, size)).aiter_sse(), ClientOptions()):
        acc.add(event)
        n += 1
    if not acc.text:
        raise SystemExit("the project path decoded no reply text")
    return n


async def timed(run: Callable[[bytes, int], Awaitable[int]], body: bytes, size: int) -> float:
    """Seconds of one run."""
    start = time.perf_counter()
    await run(body, size)
    return time.perf_counter() - start


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--chunk", type=int, default=4096, help="bytes per read")
    parser.add_argument("--data", type=Path, default=DATA, help="folder of recorded .sse streams")
    args = parser.parse_args()
    body, events = body_of(args.events, args.data)
    floors: list[float] = []
    projects: list[float] = []
    for _ in range(args.rounds):
        # Back to back, so a busy machine slows both of a pair alike; the ratio is the pairs' median.
        floors.append(await timed(floor, body, args.chunk))
        projects.append(await timed(project, body, args.chunk))
    ratio = statistics.median(p / f for f, p in zip(floors, projects, strict=True))
    print(f"{events} SSE events ({len(body) / 1e6:.1f} MB) in {args.chunk}-byte reads, {args.rounds} rounds")
    print(f"  floor   httpx_sse + json.loads          {events / min(floors):>9,.0f} events/s (best)")
    print(f"  project read_events + ReplyAccumulator  {events / min(projects):>9,.0f} events/s (best)")
    print(f"  ratio   {ratio:.2f}x the floor's time, median of pairs (goal: at most {GOAL}x)")


if __name__ == "__main__":
    asyncio.run(main())
