"""When to look at a render next, without I/O: its progress sets the pace, a budget and Retry-After bound it.

From a render's progress over time comes its expected finish. Far from it the
policy waits half the time still to go (at most `poll_max`), so each look sharpens
the estimate; close to it, looks come every `poll_near` seconds; once the finish is
overdue they ease off towards `poll_blind`. With no progress to go by, waits grow
from `poll_initial` to `poll_blind`, and after a failed look from `poll_initial` by
`poll_factor` up to `poll_max`.

Two bounds hold whatever the estimate says: a token bucket keeps polls to one per
`poll_budget` seconds on average (bursts of up to `poll_burst` near the finish), and
a server's Retry-After is a floor no wait goes under. `poll_max` caps the policy's own
waits (tests set it tiny); it never shortens a Retry-After.

When the caller knows when it asked for the render (`started`), that moment is the render's zero: the
first look that shows progress gives a rate, and the next look goes straight to the expected finish (a
little after it), bounded by 1.75 times the time the render has been watched. A render of a few seconds is
then seen done on the second look, instead of closing in on its finish by halves.

Times are readings of the caller's clock in seconds, so a fake clock drives it in tests.
"""

from __future__ import annotations

from nemo_skills.client.settings import ClientOptions

# Far from the finish, wait this share of the time still to go: the looks close in on it.
APPROACH_SHARE = 0.5
# Past the expected finish, wait this share of the overdue time (between poll_near and poll_blind).
OVERDUE_SHARE = 0.25
# Moving samples needed before the estimate leaves out the last sample taken before the render moved.
STEADY_SAMPLES = 3
# With a known start: look this long after the expected finish, and never wait longer than this many
# times the render has been watched: neither uneven progress nor a queue before the progress moved (which
# makes a one-look rate too slow) can send a look far past the real finish. 1.75 rather than 2 brings a 5 s
# render's median lag under a second (benchmarks/poll_lag.py) without more looks at longer renders.
FINISH_MARGIN = 0.25
WATCHED_FACTOR = 1.75


class FinishEstimate:
    """A render's expected finish time, from the progress it reported and when."""

    def __init__(self, started: float | None = None) -> None:
        self._samples: list[tuple[float, float]] = []
        # When the render was asked for (progress 0 then), if the caller knows.
        self.started = started
        if started is not None:
            self._samples.append((started, 0.0))

    def add(self, at: float, progress: float | None) -> None:
        """Record a status read; progress that goes back means the render started over."""
        if progress is None:
            return
        if self._samples and progress < self._samples[-1][1]:
            self._samples.clear()
            self.started = None
        self._samples.append((at, progress))

    def finish(self) -> float | None:
        """The expected finish on the caller's clock, or None until progress has moved."""
        samples = self._samples
        start = samples[0][1] if samples else 0.0
        moving = next((i for i, (_, p) in enumerate(samples) if p > start), None)
        if moving is None:
            return None
        # Movement began somewhere after the last still sample; once there are enough moving
        # samples, measuring from the first of them leaves that uncertainty out.
        if len(samples) - moving >= STEADY_SAMPLES:
            ref_at, ref_p = samples[moving]
        elif moving == 1 and self.started is not None:
            # Still only at the request: a render that shows progress at the first look began with it.
            ref_at, ref_p = samples[0]
        else:
            # Movement began between the last still look and the first moving one: halfway, on average.
            ref_at, ref_p = (samples[moving - 1][0] + samples[moving][0]) / 2, samples[moving - 1][1]
        at, progress = samples[-1]
        if progress <= ref_p or at <= ref_at:
            return None
        rate = (progress - ref_p) / (at - ref_at)
        return at + (1.0 - progress) / rate


class PollPolicy:
    """Progress-timed polling of one render, within a poll budget and the server's Retry-After."""

    def __init__(self, options: ClientOptions, *, now: float, started: float | None = None) -> None:
        self.options = options
        self.estimate = FinishEstimate(started)
        self.polls = 0
        # The first look is due at once; after it, the budget refills one poll per poll_budget.
        self._tokens = 1.0
        self._refilled = now
        self._blind = options.poll_initial
        self._failing = options.poll_initial
        self._first_look: float | None = started
        self._started = started

    def after_status(self, now: float, progress: float | None, retry_after: float | None = None) -> float:
        """Seconds to wait after a status read at `now` that showed `progress` (0..1, if reported)."""
        self._spend(now)
        if self._first_look is None:
            self._first_look = now
        self._failing = self.options.poll_initial
        self.estimate.add(now, progress)
        finish = self.estimate.finish()
        if finish is None:
            wanted = self._blind
            self._blind = min(self._blind * self.options.poll_factor, self.options.poll_blind)
        else:
            # An estimate from uneven progress can be far out: never wait longer than the render has been
            # watched so far, so a finish earlier than estimated is noticed within that much.
            watched = now - (self._first_look if self._first_look is not None else now)
            if self._started is not None and finish > now:
                wanted = min(
                    finish - now + FINISH_MARGIN, max(self.options.poll_near, WATCHED_FACTOR * watched)
                )
            else:
                wanted = min(self._toward(finish - now), max(self.options.poll_near, watched))
        return self._bounded(wanted, retry_after)

    def after_failure(self, now: float, retry_after: float | None = None) -> float:
        """Seconds to wait after a status request at `now` that failed on the way."""
        self._spend(now)
        wanted = self._failing
        self._failing = min(self._failing * self.options.poll_factor, self.options.poll_max)
        return self._bounded(wanted, retry_after)

    def _toward(self, left: float) -> float:
        near, blind = self.options.poll_near, self.options.poll_blind
        if left > near:
            return max(near, left * APPROACH_SHARE)
        return min(max(near, -left * OVERDUE_SHARE), max(near, blind))

    def _spend(self, now: float) -> None:
        self._refill(now)
        self._tokens -= 1.0
        self.polls += 1

    def _refill(self, now: float) -> None:
        budget = self.options.poll_budget
        if budget > 0:
            gained = max(0.0, now - self._refilled) / budget
            self._tokens = min(float(self.options.poll_burst), self._tokens + gained)
        else:
            self._tokens = float(self.options.poll_burst)
        self._refilled = now

    def _bounded(self, wanted: float, retry_after: float | None) -> float:
        # Wait until the bucket holds a whole poll again.
        budget_wait = max(0.0, 1.0 - self._tokens) * self.options.poll_budget
        wait = min(max(wanted, budget_wait), self.options.poll_max)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return max(wait, 0.0)
