"""Run one render: write the work folder, start ffmpeg, report its progress, keep the MP4."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from nemo_skills.draft import Draft
from nemo_skills.local.private import private_file
from nemo_skills.local.renderer.children import spawn
from nemo_skills.local.renderer.ffmpeg import ffmpeg_exe, find_cjk_font, find_font, has_filter
from nemo_skills.local.renderer.render_plan import (
    CJK_FONT_FILE,
    FONT_FILE,
    MediaLookup,
    PlanError,
    RenderPlan,
    build_plan,
)


class RenderFailed(RuntimeError):
    """ffmpeg could not render the draft; the message is what a user can act on."""


def parse_progress(line: str, total: float) -> float | None:
    """The fraction done from one `-progress` line.

    Only `out_time_us`: ffmpeg also prints the same microseconds as `out_time_ms`, and each tick taken
    is a write to the shared database.
    """
    key, _, value = line.strip().partition("=")
    if key == "out_time_us" and value.strip().lstrip("-").isdigit() and total > 0:
        return max(0.0, min(int(value) / 1_000_000 / total, 1.0))
    if key == "progress" and value.strip() == "end":
        return 1.0
    return None


def render_draft(
    draft: Draft,
    lookup: MediaLookup,
    dest: Path,
    *,
    aspect: str | None = None,
    short_side: int = 1080,
    fps: int = 30,
    preset: str = "veryfast",
    on_progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
    on_process: Callable[[subprocess.Popen[str]], None] | None = None,
) -> RenderPlan:
    """Render a draft to an MP4 at `dest` (written atomically); RenderFailed says why it could not."""
    cjk_font = find_cjk_font()
    # A CJK font draws Latin too, so it stands in when there is no other font.
    font = find_font() or cjk_font
    captions = font is not None and has_filter("drawtext")
    dest.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own, so two renders never write into one file, even of the same job.
    part = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        plan = build_plan(
            draft,
            lookup,
            part,
            aspect=aspect,
            short_side=short_side,
            fps=fps,
            preset=preset,
            font=captions,
            gradients=has_filter("gradients"),
            cjk_font=captions and cjk_font is not None,
            crossfade=has_filter("xfade"),
        )
    except PlanError as exc:
        raise RenderFailed(str(exc)) from exc
    try:
        with tempfile.TemporaryDirectory(prefix="nemo-render-") as work:
            workdir = Path(work)
            for name, text in plan.files.items():
                (workdir / name).write_text(text, encoding="utf-8")
            if captions and font is not None:
                # Referred to by a plain relative name, so no path needs escaping in the filter graph.
                shutil.copyfile(font, workdir / FONT_FILE)
                if cjk_font is not None and any(CJK_FONT_FILE in arg for arg in plan.args):
                    shutil.copyfile(cjk_font, workdir / CJK_FONT_FILE)
            # Created owner-only before ffmpeg opens it: ffmpeg keeps an existing file's mode.
            private_file(part)
            _run(plan, workdir, on_progress, cancel, on_process)
        os.replace(part, dest)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return plan


def _run(
    plan: RenderPlan,
    workdir: Path,
    on_progress: Callable[[float], None] | None,
    cancel: threading.Event | None,
    on_process: Callable[[subprocess.Popen[str]], None] | None,
) -> None:
    errors = workdir / "ffmpeg-errors.txt"
    with errors.open("w+", encoding="utf-8", errors="replace") as err:
        proc = spawn(
            [ffmpeg_exe(), *plan.args],
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
        )
        if on_process is not None:
            on_process(proc)
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                if cancel is not None and cancel.is_set():
                    proc.kill()
                    break
                done = parse_progress(line, plan.duration)
                if done is not None and on_progress is not None:
                    on_progress(done)
        finally:
            code = proc.wait()
        if cancel is not None and cancel.is_set():
            raise RenderFailed("the render was cancelled because the server stopped")
        if code != 0:
            err.seek(0)
            lines = [ln.strip() for ln in err.read().splitlines() if ln.strip()]
            detail = lines[-1] if lines else f"exit status {code}"
            with contextlib.suppress(OSError):
                Path(plan.args[-1]).unlink()
            raise RenderFailed(f"ffmpeg failed: {detail[:300]}")
