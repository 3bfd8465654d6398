"""Render polling on a fake clock: how soon completion is noticed, how often the backend is asked, Retry-After."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from nemo_skills.client import ClientOptions
from nemo_skills.client.export import poll_render
from nemo_skills.client.models import RenderProgress
from nemo_skills.client.poll_policy import FinishEstimate, PollPolicy
from nemo_skills.errors import BackendError, RateLimitedError, RenderTimeoutError

DEFAULTS = ClientOptions()


@dataclass
class FakeRender:
    """A render on a fake clock: `pending` seconds queued, then linear progress until `seconds`."""

    seconds: float
    pending: float = 2.0
    reports_progress: bool = True
    shape: Callable[[float], float] | None = None  # progress at t, when not linear

    def progress(self, t: float) -> float | None:
        if not self.reports_progress:
            return None
        if self.shape is not None:
            return self.shape(t)
        return max(0.0, min(1.0, (t - self.pending) / (self.seconds - self.pending)))

    def status(self, render_id: str, t: float) -> RenderProgress:
        if t >= self.seconds:
            return RenderProgress(render_id=render_id, status="completed", progress=1.0, url="/f/out.mp4")
        return RenderProgress(render_id=render_id, status="processing", progress=self.progress(t))


@dataclass
class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def _watch(
    render: FakeRender,
    options: ClientOptions = DEFAULTS,
    *,
    deadline: float = 900.0,
    started: float | None = None,
    first_look: float = 0.0,
) -> tuple[float, int]:
    """Poll a fake render with the real loop; the detection lag and the number of polls."""
    clock = FakeClock()
    polls = 0

    async def fetch() -> tuple[RenderProgress, float | None]:
        nonlocal polls
        polls += 1
        return render.status("render_1", clock.now), None

    done = await poll_render(
        "render_1",
        fetch,
        options,
        deadline=deadline,
        clock=clock,
        sleep=clock.sleep,
        started=started,
        first_look=first_look,
    )
    assert done.status == "completed"
    return clock.now - render.seconds, polls


@pytest.mark.parametrize("seconds", [20.0, 45.0, 80.0])
async def test_completion_is_noticed_within_a_second_with_few_polls(seconds: float) -> None:
    lag, polls = await _watch(FakeRender(seconds))
    assert 0 <= lag <= DEFAULTS.poll_near + 0.5
    # Fewer looks than one every 2 s: far from the finish the waits are long.
    assert polls < (seconds + lag) / DEFAULTS.poll_budget


@pytest.mark.parametrize(
    ("seconds", "pending", "most"), [(5.0, 0.0, 2), (5.0, 1.0, 2), (20.0, 0.0, 4), (30.0, 2.0, 6)]
)
async def test_a_render_whose_start_is_known_is_seen_done_soon_after_with_fewer_looks(
    seconds: float, pending: float, most: int
) -> None:
    # As the client polls a render it asked for: its zero is the request, the first look a poll budget later.
    render = FakeRender(seconds, pending=pending)
    lag, polls = await _watch(render, started=0.0, first_look=DEFAULTS.poll_budget)
    # Within a second, with room to spare: a queue before the progress moves must not push the look late.
    assert 0 <= lag <= 0.75
    assert polls <= most


async def test_without_progress_polls_stay_close_and_within_the_budget() -> None:
    lag, polls = await _watch(FakeRender(60.0, reports_progress=False))
    assert lag <= DEFAULTS.poll_blind
    assert polls <= 1 + (60.0 + lag) / DEFAULTS.poll_budget


async def test_a_render_that_stalls_near_the_end_keeps_to_the_poll_budget() -> None:
    # Progress promises a finish at ~40 s, then sits at 95% until 100 s.
    lag, polls = await _watch(FakeRender(100.0, shape=lambda t: min(t / 40.0, 0.95)))
    assert lag <= DEFAULTS.poll_blind
    assert polls <= 1 + (100.0 + lag) / DEFAULTS.poll_budget


def test_the_budget_holds_whatever_the_estimate_wants() -> None:
    options = ClientOptions(poll_near=0.0, poll_budget=2.0, poll_burst=3)
    policy = PollPolicy(options, now=0.0)
    now, polls = 0.0, 0
    while now < 100.0:
        # Always "finishing now": the policy would poll without pause if it could.
        now += policy.after_status(now, 0.99)
        polls += 1
    assert polls <= 1 + 100.0 / 2.0 + 1


def test_retry_after_is_a_floor_that_poll_max_does_not_shorten() -> None:
    policy = PollPolicy(ClientOptions(poll_max=1.0), now=0.0)
    assert policy.after_status(0.0, 0.0, retry_after=7.0) == 7.0
    assert policy.after_status(7.0, 0.5, retry_after=500.0) == 500.0
    assert policy.after_failure(507.0, retry_after=9.0) == 9.0


def test_poll_max_caps_the_policy_own_waits() -> None:
    policy = PollPolicy(ClientOptions(poll_max=0.0), now=0.0)
    assert [policy.after_status(0.0, None) for _ in range(5)] == [0.0] * 5
    assert policy.after_failure(0.0) == 0.0


def test_failed_reads_back_off_from_poll_initial_to_poll_max() -> None:
    options = ClientOptions(poll_initial=1.0, poll_factor=2.0, poll_max=6.0, poll_budget=0.0)
    policy = PollPolicy(options, now=0.0)
    waits, now = [], 0.0
    for _ in range(5):
        waits.append(policy.after_failure(now))
        now += waits[-1]
    assert waits == [1.0, 2.0, 4.0, 6.0, 6.0]
    # A good read starts the backoff over.
    policy.after_status(now, None)
    assert policy.after_failure(now + 1.0) == 1.0


def test_finish_estimate_follows_linear_progress_and_restarts() -> None:
    estimate = FinishEstimate()
    estimate.add(0.0, 0.0)
    assert estimate.finish() is None  # nothing has moved yet
    estimate.add(5.0, None)
    for t in (10.0, 20.0, 30.0):
        estimate.add(t, (t - 5.0) / 50.0)
    assert estimate.finish() == pytest.approx(55.0)
    estimate.add(31.0, 0.1)  # progress went back: the render started over
    assert estimate.finish() is None


async def test_a_retry_after_past_the_deadline_ends_the_wait_without_another_look() -> None:
    clock = FakeClock()
    polls = 0

    async def fetch() -> tuple[RenderProgress, float | None]:
        nonlocal polls
        polls += 1
        return RenderProgress(render_id="render_7", status="processing", progress=0.5), 120.0

    with pytest.raises(RenderTimeoutError) as info:
        await poll_render("render_7", fetch, DEFAULTS, deadline=30.0, clock=clock, sleep=clock.sleep)
    assert polls == 1 and clock.now == 30.0
    assert info.value.render_id == "render_7" and info.value.exit_code == 9


async def test_a_rate_limited_status_read_waits_as_asked_then_goes_on() -> None:
    clock = FakeClock()
    answers: list[Exception | RenderProgress] = [
        RateLimitedError("slow down", retry_after=12.0),
        BackendError("bad gateway", status=502),
        RenderProgress(render_id="render_8", status="completed", progress=1.0, url="/f/x.mp4"),
    ]

    async def fetch() -> tuple[RenderProgress, float | None]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer, None

    done = await poll_render("render_8", fetch, DEFAULTS, deadline=60.0, clock=clock, sleep=clock.sleep)
    assert done.url == "/f/x.mp4"
    assert clock.sleeps[0] == 12.0 and clock.sleeps[1] < 12.0
