"""The pace shared by a process's requests to one backend: a gate, a rate and a window."""

from __future__ import annotations

import asyncio
import time

from nemo_skills.client.pace import MIN_RATE, Pace


async def test_a_429_closes_the_gate_for_everyone_for_the_time_asked() -> None:
    pace = Pace(limit=4)
    async with pace.slot() as started:
        pass
    await pace.slow_down(0.2, started)
    waited = time.monotonic()
    async with pace.slot():
        pass
    assert time.monotonic() - waited >= 0.15
    assert pace.throttled == 1


async def test_429s_of_requests_sent_together_slow_the_pace_once() -> None:
    pace = Pace(limit=8)
    starts = []
    for _ in range(4):
        async with pace.slot() as started:
            starts.append(started)
    for started in starts:
        await pace.slow_down(0.0, started)
    assert pace.throttled == 1
    assert pace.window == 4.0 and pace.rate is not None and pace.rate >= MIN_RATE
    rate = pace.rate
    # A request that starts after the slow-down and still draws a 429 slows it down again.
    async with pace.slot() as later:
        pass
    await pace.slow_down(0.0, later)
    assert pace.throttled == 2 and pace.rate < rate


async def test_answers_bring_the_pace_back_up_but_never_past_the_limit() -> None:
    pace = Pace(limit=4)
    async with pace.slot() as started:
        pass
    await pace.slow_down(0.0, started)
    assert pace.window == 2.0
    for _ in range(50):
        await pace.answered()
    assert pace.window == 4.0
    assert pace.rate is not None and pace.rate > MIN_RATE


async def test_the_window_holds_requests_in_flight_to_the_limit() -> None:
    pace = Pace(limit=2)
    inside = 0
    most = 0

    async def one() -> None:
        nonlocal inside, most
        async with pace.slot():
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(one() for _ in range(6)))
    assert most == 2


async def test_a_request_marked_first_goes_before_the_others_waiting_at_the_pace() -> None:
    # Under a rate limit a render's status read must not queue behind new items' requests.
    pace = Pace(limit=1)
    order: list[str] = []
    release = asyncio.Event()

    async def hold() -> None:
        async with pace.slot():
            await release.wait()

    async def one(name: str, first: bool = False) -> None:
        async with pace.slot(first=first):
            order.append(name)

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(one(f"new {i}")) for i in range(3)]
    await asyncio.sleep(0)
    waiting.append(asyncio.create_task(one("status", first=True)))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(holder, *waiting)
    assert order[0] == "status" and sorted(order[1:]) == ["new 0", "new 1", "new 2"]
