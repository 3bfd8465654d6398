"""Progress on stderr, three ways behind one interface: rich (a terminal), JSON lines, or silent.

`--progress auto` picks rich when stderr is a terminal and silent otherwise, so
pipes and logs stay clean. Rich respects NO_COLOR. Warnings (a replaced
session, a failed batch item) are printed even when silent: they are not
progress, they are news.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import IO, Literal

import click

from nemo_skills.client.events import StillWorking
from nemo_skills.files.edge import safe_text
from nemo_skills.jobs.progress_events import (
    ItemStarted,
    JobUpdate,
    Notice,
    ProgressEvent,
    RenderUpdate,
    ReplyText,
    Stage,
    Transfer,
)

ProgressMode = Literal["auto", "rich", "json", "none"]

# JSON transfer lines at most this often (a big upload reports every chunk).
_JSON_TRANSFER_INTERVAL = 0.2
# How much of a streaming reply the spinner line shows.
_PREVIEW_CHARS = 70


class Reporter:
    """Shows progress events; a context manager so a live display is always torn down."""

    def __call__(self, event: ProgressEvent) -> None:
        """Show one event."""

    def __enter__(self) -> Reporter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop any live display."""

    def pause(self) -> None:
        """Stop drawing until the next event (before printing to stdout or reading input)."""


class SilentReporter(Reporter):
    """No progress; warnings only, as plain lines."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream

    def __call__(self, event: ProgressEvent) -> None:
        """Print warnings; drop the rest."""
        if isinstance(event, Notice) and event.level == "warning":
            click.echo(f"warning: {safe_text(event.message)}", err=True, file=self.stream)


class JsonReporter(Reporter):
    """Each event as one JSON line on stderr; transfers are thinned out."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self._last_transfer: dict[tuple[str, str], float] = {}

    def __call__(self, event: ProgressEvent) -> None:
        """Write the event as JSON."""
        if isinstance(event, Transfer):
            key = (event.kind, event.name)
            now = time.monotonic()
            finished = event.total is not None and event.done >= event.total
            if not finished and now - self._last_transfer.get(key, 0.0) < _JSON_TRANSFER_INTERVAL:
                return
            self._last_transfer[key] = now
        self.stream.write(json.dumps(event.model_dump(mode="json"), ensure_ascii=False) + "\n")
        self.stream.flush()


def human_bytes(n: float) -> str:
    """A byte count for people: 512 B, 1.2 MB."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover - the loop returns


class RichReporter(Reporter):
    """Spinner, upload/render/download bars and the streaming reply, drawn with rich on stderr."""

    def __init__(self, *, no_color: bool | None = None, file: IO[str] | None = None) -> None:
        from rich.console import Console
        from rich.markup import escape
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TaskID,
            TextColumn,
            TimeElapsedColumn,
        )

        if no_color is None:
            no_color = bool(os.environ.get("NO_COLOR"))
        # Rich markup escaped, and terminal control characters too: labels quote prompts and file names.
        self._escape: Callable[[str], str] = lambda text: escape(safe_text(text))
        self.console = (
            Console(file=file, force_terminal=True, no_color=no_color, highlight=False)
            if file is not None
            else Console(stderr=True, no_color=no_color, highlight=False)
        )
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self._task: TaskID | None = None
        self._kind: str | None = None
        self._started = False
        self._preview = ""
        self._rate: tuple[float, int] = (0.0, 0)
        # Batch mode: one line per running job and a total.
        self._jobs: dict[str, tuple[TaskID, str]] = {}
        self._total: TaskID | None = None
        self._finished = 0

    def _ensure(self, kind: str, description: str, total: float | None, detail: str = "") -> None:
        if not self._started:
            self._progress.start()
            self._started = True
        description = self._escape(description)
        if self._task is not None and self._kind == kind:
            self._progress.update(self._task, description=description, total=total, detail=detail)
            return
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._task = self._progress.add_task(description, total=total, detail=detail)
        self._kind = kind
        self._rate = (time.monotonic(), 0)

    def _transfer_detail(self, done: int, total: int | None) -> str:
        start, _ = self._rate
        elapsed = max(time.monotonic() - start, 1e-6)
        rate = f"{human_bytes(done / elapsed)}/s"
        amount = f"{human_bytes(done)}/{human_bytes(total)}" if total else human_bytes(done)
        return f"{amount} {rate}"

    def _job_line(self, event: ProgressEvent) -> bool:
        """Batch mode: draw an event of one of several jobs on that job's own line; False when not one."""
        if isinstance(event, JobUpdate):
            self._job_update(event)
            return True
        job_id = getattr(event, "job_id", None)
        if job_id is None or job_id not in self._jobs:
            return False
        task, label = self._jobs[job_id]
        if isinstance(event, Stage) and event.stage not in ("route", "done"):
            self._progress.update(task, description=f"{label} {event.stage}", total=None, detail="")
        elif isinstance(event, RenderUpdate):
            pct = event.progress * 100 if event.progress is not None else None
            detail = f"{pct:.0f}%" if pct is not None else event.status
            self._progress.update(
                task, description=f"{label} render", total=100.0, completed=pct or 0, detail=detail
            )
        elif isinstance(event, Transfer):
            self._progress.update(
                task,
                description=f"{label} {event.kind}",
                total=event.total,
                completed=event.done,
                detail=human_bytes(event.done),
            )
        elif isinstance(event, Notice) and event.level == "warning":
            self.console.print(f"[yellow]warning: {label} {self._escape(event.message)}[/yellow]")
        return True

    def _job_update(self, event: JobUpdate) -> None:
        if not self._started:
            self._progress.start()
            self._started = True
        if self._total is None:
            self._total = self._progress.add_task("Batch", total=event.total, detail="")
        label = self._escape(f"[{event.index}/{event.total}]")
        if event.state in ("done", "failed", "skipped", "cancelled"):
            if event.job_id in self._jobs:
                self._progress.remove_task(self._jobs.pop(event.job_id)[0])
            style, word = {
                "done": ("green", "done"),
                "failed": ("red", "FAILED"),
                "skipped": ("dim", "done earlier"),
                "cancelled": ("yellow", "cancelled"),
            }[event.state]
            detail = f" {self._escape(event.detail)}" if event.detail else ""
            self.console.print(f"{label} [{style}]{word}[/{style}] {self._escape(event.label)}{detail}")
            self._finished += 1
            self._progress.update(
                self._total, completed=self._finished, detail=f"{self._finished}/{event.total}"
            )
        elif event.job_id is not None and event.job_id not in self._jobs:
            task = self._progress.add_task(f"{label} {event.state}", total=None, detail="")
            self._jobs[event.job_id] = (task, label)

    def __call__(self, event: ProgressEvent) -> None:
        """Draw one event."""
        if self._job_line(event):
            return
        if isinstance(event, Stage):
            if event.stage == "route":
                self.console.print(f"[bold]Skill[/bold] {self._escape(event.message)}")
            elif event.stage == "done":
                self._clear()
            else:
                self._preview = ""
                self._ensure(event.stage, event.message or event.stage, None)
        elif isinstance(event, Transfer):
            verb = "Uploading" if event.kind == "upload" else "Downloading"
            self._ensure(event.kind, f"{verb} {event.name}", event.total)
            assert self._task is not None
            self._progress.update(
                self._task, completed=event.done, detail=self._transfer_detail(event.done, event.total)
            )
        elif isinstance(event, ReplyText):
            if event.partial:
                self._preview += event.text
            else:
                self._preview = event.text
            flat = " ".join(self._preview.split())
            shown = flat[-_PREVIEW_CHARS:] if len(flat) > _PREVIEW_CHARS else flat
            self._ensure("chat", shown or "Waiting for the reply", None)
        elif isinstance(event, StillWorking):
            self._ensure("chat", f"Still working... ({event.elapsed / 60:.0f} min)", None)
        elif isinstance(event, RenderUpdate):
            pct = event.progress * 100 if event.progress is not None else None
            self._ensure(
                "render", f"Rendering ({event.status})", 100.0, f"{pct:.0f}%" if pct is not None else ""
            )
            assert self._task is not None
            if pct is not None:
                self._progress.update(self._task, completed=pct)
        elif isinstance(event, Notice):
            style = "yellow" if event.level == "warning" else "dim"
            prefix = "warning: " if event.level == "warning" else ""
            self.console.print(f"[{style}]{prefix}{self._escape(event.message)}[/{style}]")
        elif isinstance(event, ItemStarted):
            self.console.print(f"[bold]\\[{event.index}/{event.total}][/bold] {self._escape(event.label)}")

    def _clear(self) -> None:
        if self._task is not None:
            self._progress.remove_task(self._task)
            self._task = None
            self._kind = None

    def pause(self) -> None:
        """Remove the live display so stdout output or a prompt is not drawn over."""
        self._clear()
        if self._started:
            self._progress.stop()
            self._started = False

    def close(self) -> None:
        """Stop the live display."""
        self.pause()


def make_reporter(mode: str, *, stream: IO[str] | None = None) -> Reporter:
    """The reporter for a --progress value; 'auto' is rich on a terminal, silent otherwise."""
    if mode == "json":
        return JsonReporter(stream)
    if mode == "none":
        return SilentReporter(stream)
    if mode == "rich" or (mode == "auto" and sys.stderr.isatty()):
        return RichReporter()
    return SilentReporter(stream)
