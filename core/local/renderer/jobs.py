"""Render jobs: a small worker pool that moves each job pending → processing → completed or failed."""

from __future__ import annotations

import subprocess
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from nemo_skills.draft import Draft
from nemo_skills.local.config import BackendSettings
from nemo_skills.local.faults import FaultState
from nemo_skills.local.job_store import new_file_key
from nemo_skills.local.records import MediaRecord
from nemo_skills.local.renderer.render import RenderFailed, render_draft
from nemo_skills.local.state import Store
from nemo_skills.protocol import RenderStatus

# Progress is reported as a percentage (0-100).
PROGRESS_SCALE = 100.0
# The share of progress a slowed render spends before ffmpeg starts: the render_delay fault stands for
# the cloud's render time, so most of the reported progress happens there, as it would there.
SLOW_PHASE_SHARE = 0.9


# Renders that may wait out the render_delay fault at once.
MAX_DELAYED_RENDERS = 64


class RenderQueue:
    """Runs render jobs on at most `settings.render_workers` threads, each driving one ffmpeg."""

    def __init__(self, store: Store, settings: BackendSettings, faults: FaultState) -> None:
        self.store = store
        self.settings = settings
        self.faults = faults
        self._pool = ThreadPoolExecutor(max_workers=settings.render_workers, thread_name_prefix="nemo-render")
        # The render_delay fault stands for the cloud's own render time, which runs renders side by side:
        # waiting it out holds no ffmpeg worker.
        self._waits = ThreadPoolExecutor(
            max_workers=MAX_DELAYED_RENDERS, thread_name_prefix="nemo-render-wait"
        )
        self._cancel = threading.Event()
        self._procs: set[subprocess.Popen[str]] = set()
        self._lock = threading.Lock()
        self._futures: list[Future[None]] = []

    def submit(self, render_id: str) -> None:
        """Queue a recorded job: its delay (the render_delay fault) first, then ffmpeg on a worker."""
        if self._cancel.is_set():
            return
        if self.faults.faults.render_delay:
            self._futures.append(self._waits.submit(self._delay_then_render, render_id))
        else:
            self._futures.append(self._pool.submit(self._run, render_id))

    def _delay_then_render(self, render_id: str) -> None:
        if self.store.render(render_id) is None or self._cancel.is_set():
            return
        self.store.update_render(render_id, status=RenderStatus.PROCESSING, progress=0.0)
        if self._slow(render_id, self.faults.faults.render_delay) and not self._cancel.is_set():
            self._futures.append(self._pool.submit(self._run, render_id, delayed=True))

    def adopt(self, render_id: str) -> bool:
        """Run a job whose backend stopped or died before finishing it; True when it was taken over."""
        if self._cancel.is_set() or not self.store.claim_render(render_id):
            return False
        self.submit(render_id)
        return True

    def resume_unfinished(self) -> int:
        """Take over the jobs that backends on this folder left unfinished; returns how many."""
        return sum(self.adopt(render_id) for render_id in self.store.unfinished_elsewhere())

    def shutdown(self) -> None:
        """Stop: kill running ffmpeg processes and drop queued jobs (another backend on the folder takes them)."""
        self._cancel.set()
        with self._lock:
            for proc in list(self._procs):
                if proc.poll() is None:
                    proc.kill()
        self._waits.shutdown(wait=True, cancel_futures=True)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _lookup(self, session_id: str) -> dict[str, tuple[Path, MediaRecord]]:
        try:
            session = self.store.session_any(session_id)
        except KeyError:
            return {}
        found: dict[str, tuple[Path, MediaRecord]] = {}
        for item in session.media:
            path = self.store.media_path(item)
            if path is not None and path.is_file():
                found[item.id] = (path, item)
                found.setdefault(item.name, (path, item))
        return found

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless the queue is stopping; False when it is."""
        return not self._cancel.wait(seconds)

    def _run(self, render_id: str, *, delayed: bool = False) -> None:
        job = self.store.render(render_id)
        if job is None or self._cancel.is_set():
            return
        if not delayed:
            self.store.update_render(render_id, status=RenderStatus.PROCESSING, progress=0.0)
        # ffmpeg's progress starts where the slow phase left off, so progress never goes back.
        floor = SLOW_PHASE_SHARE * PROGRESS_SCALE if delayed else 0.0
        if self.faults.take_render_failure():
            self.store.update_render(render_id, progress=30.0)
            self.store.update_render(
                render_id,
                status=RenderStatus.FAILED,
                error="render failed (injected fault); try exporting again",
            )
            return
        media = self._lookup(job.session_id)
        dest = self.store.renders_dir / f"{render_id}.mp4"
        started = time.monotonic()
        try:
            plan = render_draft(
                Draft.parse(job.draft),
                media.get,
                dest,
                aspect=job.aspect,
                short_side=self.settings.resolution,
                fps=self.settings.fps,
                preset=self.settings.x264_preset,
                on_progress=lambda done: self._progress(render_id, done, floor),
                cancel=self._cancel,
                on_process=self._track,
            )
        except RenderFailed as exc:
            if self._cancel.is_set():
                # Left unfinished on purpose: the store hands it back, and another backend takes it over.
                return
            self.store.update_render(render_id, status=RenderStatus.FAILED, error=str(exc))
            return
        except OSError as exc:
            self.store.update_render(render_id, status=RenderStatus.FAILED, error=f"render failed: {exc}")
            return
        meta = {
            "width": plan.width,
            "height": plan.height,
            "duration": plan.duration,
            "captions": plan.captions,
            "render_seconds": round(time.monotonic() - started, 3),
            "notes": plan.notes,
        }
        self.store.update_render(
            render_id,
            status=RenderStatus.COMPLETED,
            progress=PROGRESS_SCALE,
            output=dest.name,
            file_key=new_file_key(),
            size=dest.stat().st_size,
            meta=meta,
        )

    def _slow(self, render_id: str, delay: float) -> bool:
        steps = 10
        for step in range(1, steps + 1):
            if not self._sleep(delay / steps):
                return False
            share = SLOW_PHASE_SHARE * step / steps
            self.store.update_render(render_id, progress=round(share * PROGRESS_SCALE, 1))
        return True

    def _progress(self, render_id: str, done: float, floor: float) -> None:
        # ffmpeg's last tick is not the end: the file is complete only once it is moved into place.
        progress = floor + min(done, 0.99) * (PROGRESS_SCALE - floor)
        self.store.update_render(render_id, progress=round(progress, 1))

    def _track(self, proc: subprocess.Popen[str]) -> None:
        with self._lock:
            self._procs = {p for p in self._procs if p.poll() is None} | {proc}
