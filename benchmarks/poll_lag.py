"""How late a finished render is noticed, and how many status polls it costs, per polling policy.

    python benchmarks/poll_lag.py [--trials 400] [--seed 7] [--durations 20 45 80]

Renders are simulated on a fake clock (no sleeping, no server), and each is watched by
the client's real polling loop (`poll_render`) with one of three schedules:

- seeds: a fixed 30 s between polls, as the published skills tell an agent to poll;
- backoff: the previous client policy, 1 s growing by 1.5x to a 30 s cap;
- progress: the current PollPolicy with default ClientOptions, timed by reported progress, for a render
  whose start the client does not know (one it resumes);
- started: the same policy as the client runs it for a render it just asked for: the request is the
  render's zero, and the first look comes one poll budget later.

Each render of nominal length D takes D x U(0.9, 1.1) seconds, the first 0.5-4 s queued at
0%, and reports progress (rounded to 0.1%, as the local backend does) along one of these
shapes: linear; uneven (progress^gamma, gamma in 0.6-1.6, so the pace changes); none
(no progress reported at all). The previous policies ignore progress, so they get one row.
Lag is the time from the render's completion to the poll that sees it.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from nemo_skills.client import ClientOptions
from nemo_skills.client import export as export_module
from nemo_skills.client.export import poll_render
from nemo_skills.client.models import RenderProgress
from nemo_skills.client.poll_policy import PollPolicy

SEEDS_INTERVAL = 30.0


class PollSchedule(Protocol):
    """Anything that says how long to wait after each look at a render (PollPolicy's two methods)."""

    def after_status(self, now: float, progress: float | None, retry_after: float | None = None) -> float: ...

    def after_failure(self, now: float, retry_after: float | None = None) -> float: ...


@contextmanager
def polled_by(schedule: PollSchedule) -> Iterator[None]:
    """Have `poll_render` wait by `schedule` instead of PollPolicy, for one watch."""
    # The client always polls by PollPolicy; swapping the schedule in keeps every row of the table on
    # the same real polling loop, so only the waits differ.
    saved = export_module.PollPolicy
    export_module.PollPolicy = lambda options, now, started=None: schedule  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        export_module.PollPolicy = saved  # type: ignore[misc]


class FixedPolicy:
    """The seeds' schedule: the same wait after every look."""

    def __init__(self, interval: float) -> None:
        self.interval = interval

    def after_status(self, now: float, progress: float | None, retry_after: float | None = None) -> float:
        return max(self.interval, retry_after or 0.0)

    def after_failure(self, now: float, retry_after: float | None = None) -> float:
        return max(self.interval, retry_after or 0.0)


class BackoffPolicy:
    """The previous client schedule: 1 s, growing by 1.5x to 30 s; a server's hint replaced it."""

    def __init__(self, initial: float = 1.0, factor: float = 1.5, maximum: float = 30.0) -> None:
        self.next, self.factor, self.maximum = initial, factor, maximum

    def after_status(self, now: float, progress: float | None, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(retry_after, self.maximum)
        wait, self.next = self.next, min(self.next * self.factor, self.maximum)
        return wait

    def after_failure(self, now: float, retry_after: float | None = None) -> float:
        return self.after_status(now, None, retry_after)


@dataclass
class Render:
    """One simulated render: when it completes and what progress it reports on the way."""

    seconds: float
    queued: float
    shape: str
    gamma: float

    def progress(self, t: float) -> float | None:
        if self.shape == "none":
            return None
        share = max(0.0, min(1.0, (t - self.queued) / (self.seconds - self.queued)))
        if self.shape == "uneven":
            share = share**self.gamma
        return round(min(share, 0.999) * 100, 1) / 100


def make_render(nominal: float, shape: str, rng: random.Random) -> Render:
    """A render of about `nominal` seconds with a random queue time and pace."""
    return Render(
        seconds=nominal * rng.uniform(0.9, 1.1),
        queued=rng.uniform(0.5, 4.0),
        shape=shape,
        gamma=rng.uniform(0.6, 1.6),
    )


class FakeClock:
    """A clock that moves only when the polling loop sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def watch(render: Render, schedule: PollSchedule, first_look: float = 0.0) -> tuple[float, int]:
    """Poll one render to completion; (detection lag, polls)."""
    clock = FakeClock()
    polls = 0

    async def fetch() -> tuple[RenderProgress, float | None]:
        nonlocal polls
        polls += 1
        t = clock.now
        if t >= render.seconds:
            return RenderProgress(render_id="r", status="completed", progress=1.0, url="/f/r.mp4"), None
        return RenderProgress(render_id="r", status="processing", progress=render.progress(t)), None

    with polled_by(schedule):
        await poll_render(
            "r", fetch, ClientOptions(), deadline=3600, clock=clock, sleep=clock.sleep, first_look=first_look
        )
    return clock.now - render.seconds, polls


@dataclass
class Row:
    """Figures of one policy over many renders of one nominal length."""

    nominal: float
    policy: str
    shape: str
    lags: list[float]
    polls: list[int]
    seconds: list[float]

    def line(self) -> str:
        lags = sorted(self.lags)
        p90 = lags[int(0.9 * (len(lags) - 1))]
        per_poll = sum(self.seconds) / sum(self.polls)
        return (
            f"{self.nominal:>5.0f} s  {self.policy:<9} {self.shape:<7} "
            f"{statistics.median(lags):>9.2f} {p90:>8.2f} {statistics.mean(self.polls):>12.1f} {per_poll:>8.2f}"
        )


def run(
    nominal: float,
    policy: str,
    shape: str,
    make: Callable[[], PollSchedule],
    trials: int,
    seed: int,
    first_look: float = 0.0,
) -> Row:
    """Watch `trials` renders of one kind with fresh schedules from `make`."""
    rng = random.Random(f"{seed}-{nominal}-{shape}")
    row = Row(nominal, policy, shape, [], [], [])
    for _ in range(trials):
        render = make_render(nominal, shape, rng)
        lag, polls = asyncio.run(watch(render, make(), first_look))
        row.lags.append(lag)
        row.polls.append(polls)
        row.seconds.append(render.seconds + lag)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--durations", type=float, nargs="+", default=[5.0, 20.0, 45.0, 80.0])
    args = parser.parse_args()
    options = ClientOptions()
    print(
        f"{'render':>7}  {'policy':<9} {'progress':<7} {'median lag':>9} {'p90 lag':>8} {'polls/render':>12} {'s/poll':>8}"
    )
    for nominal in args.durations:
        rows = [
            run(nominal, "seeds", "-", lambda: FixedPolicy(SEEDS_INTERVAL), args.trials, args.seed),
            run(nominal, "backoff", "-", BackoffPolicy, args.trials, args.seed),
            *(
                run(nominal, "progress", shape, lambda: PollPolicy(options, now=0.0), args.trials, args.seed)
                for shape in ("linear", "uneven", "none")
            ),
            *(
                run(
                    nominal,
                    "started",
                    shape,
                    lambda: PollPolicy(options, now=0.0, started=0.0),
                    args.trials,
                    args.seed,
                    first_look=options.poll_budget,
                )
                for shape in ("linear", "uneven", "none")
            ),
        ]
        for row in rows:
            print(row.line())


if __name__ == "__main__":
    main()
