"""Old renders cleaned away on a schedule, so the data folder does not fill up with MP4s.

A finished render whose file nobody has requested or downloaded for `keep_hours`
(default 24) is deleted, at start-up and then every `expiry_interval` seconds
(default one hour), by every backend on the folder. Its status then says it
expired, so a client asking later is told to export again. Renders still pending
or rendering are never touched, and neither are their temporary files while
they are being written. `keep_hours=None` (`serve-local --keep-renders`) keeps
every render.

The same sweep removes the temporary files of uploads that never finished (a
crashed backend, a killed request): `uploads/<session>/.upload-*.part` untouched
for `part_hours` (default one hour), even with `keep_hours=None`. A part this
process is still receiving is never removed, however slow its upload.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nemo_skills.local.state import Store
from nemo_skills.local.uploads import PART_PREFIX, PART_SUFFIX, parts_in_use
from nemo_skills.protocol import RenderStatus

log = logging.getLogger("nemo_skills.local")

HOUR = 3600.0
DEFAULT_PART_HOURS = 1.0
# `<render id>.mp4`, or a render's temporary `.<render id>.mp4.<random>.part`.
_RENDER_FILE = re.compile(r"^\.?(?P<id>[A-Za-z0-9_-]{1,80})\.mp4(?:\.[0-9a-f]+\.part)?$")

Clock = Callable[[], float]


@dataclass
class Sweep:
    """What one sweep removed."""

    expired: list[str] = field(default_factory=list)  # files of the renders it marked expired
    removed: list[str] = field(default_factory=list)  # every file it deleted, leftovers included


class RenderExpiry:
    """Deletes renders older than the keep window and stale upload parts; sweep() once, or start() periodically."""

    def __init__(
        self,
        store: Store,
        keep_hours: float | None,
        interval: float,
        clock: Clock = time.time,
        part_hours: float = DEFAULT_PART_HOURS,
    ) -> None:
        self.store = store
        self.keep_hours = keep_hours
        self.interval = interval
        self.clock = clock
        self.part_hours = part_hours
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return (
            f"RenderExpiry(keep_hours={self.keep_hours!r}, interval={self.interval!r}, "
            f"part_hours={self.part_hours!r})"
        )

    def sweep(self, now: float | None = None) -> Sweep:
        """Expire renders untouched for the keep window; delete their files and stale render and upload leftovers."""
        done = Sweep()
        moment = self.clock() if now is None else now
        self._sweep_upload_parts(moment - self.part_hours * HOUR, done)
        if self.keep_hours is not None:
            self._sweep_renders(moment - self.keep_hours * HOUR, self.keep_hours, done)
        return done

    def _sweep_upload_parts(self, cutoff: float, done: Sweep) -> None:
        uploads = self.store.uploads_dir
        busy = {path.name for path in parts_in_use()}
        count = len(done.removed)
        for session in uploads.iterdir() if uploads.is_dir() else ():
            for path in session.glob(f"{PART_PREFIX}*{PART_SUFFIX}") if session.is_dir() else ():
                if path.name in busy:
                    continue
                with contextlib.suppress(OSError):
                    if path.is_file() and path.stat().st_mtime < cutoff:
                        self._remove(path, done)
        if len(done.removed) > count:
            log.info("removed %d unfinished upload file(s)", len(done.removed) - count)

    def _sweep_renders(self, cutoff: float, hours: float, done: Sweep) -> None:
        before = len(done.removed)
        folder = self.store.renders_dir
        uses = self.store.render_uses()
        old = [use.id for use in uses if use.past(cutoff)]
        # Only a sweep that finds something takes the folder's write lock.
        for name in self.store.expire_renders(old, cutoff) if old else ():
            done.expired.append(name)
            self._remove(folder / name, done)
        # A render found old but downloaded before the lock was taken keeps its file.
        kept = {use.output for use in uses if use.output and not use.expired} - set(done.expired)
        running = {use.id for use in uses if use.status not in RenderStatus.TERMINAL}
        # Files no render keeps: an older version's, or a temporary one a crashed render left.
        for path in folder.iterdir() if folder.is_dir() else ():
            match = _RENDER_FILE.match(path.name)
            if match is None or path.name in kept or match.group("id") in running:
                continue
            with contextlib.suppress(OSError):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    self._remove(path, done)
        if len(done.removed) > before:
            log.info("removed %d render file(s) older than %g hours", len(done.removed) - before, hours)

    @staticmethod
    def _remove(path: Path, done: Sweep) -> None:
        # Another backend on the folder may have removed it first.
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            done.removed.append(path.name)

    def start(self) -> None:
        """Sweep every `interval` seconds on a background thread until stop()."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="nemo-render-expiry", daemon=True)
        self._thread.start()

    def sweep_safely(self) -> None:
        """sweep(), logging a failure instead of raising it: serving goes on, and the next sweep retries."""
        try:
            self.sweep()
        except Exception:
            log.exception("cleaning old renders failed")

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sweep_safely()

    def stop(self) -> None:
        """Stop the periodic sweeps."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
