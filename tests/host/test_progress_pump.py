"""Progress reaching an async host: in order, always rising, and never failing the job."""

from __future__ import annotations

import pytest

from nemo_skills.errors import RenderTimeoutError
from nemo_skills.host.handlers import EXPORT_PLAN
from nemo_skills.host.progress_pump import forwarder, progress_pump
from nemo_skills.jobs.progress_events import RenderUpdate, Stage, Transfer

Sent = list[tuple[float, float | None, str | None]]


async def test_export_progress_rises_across_render_and_download() -> None:
    sent: Sent = []

    async def report(progress: float, total: float | None, message: str | None) -> None:
        sent.append((progress, total, message))

    async with progress_pump(report) as pump:
        on_progress = forwarder(pump, EXPORT_PLAN)
        on_progress(Stage(stage="render", message="Starting the export"))
        for fraction in (0.1, 0.5, 0.5, 0.3, 1.0):  # repeats and a step back are not news
            on_progress(RenderUpdate(render_id="render_1", status="processing", progress=fraction))
        on_progress(Stage(stage="download", message="Downloading sunset.mp4"))
        on_progress(Transfer(kind="download", name="sunset.mp4", done=50, total=100))
        on_progress(Transfer(kind="download", name="sunset.mp4", done=100, total=100))

    values = [v for v, _, _ in sent]
    assert values == sorted(set(values)), "progress must strictly increase"
    assert values[-1] == 100.0
    assert all(total == 100.0 for _, total, _ in sent)
    assert sent[0][2] == "Starting the export"
    assert any(m == "Downloading sunset.mp4" for _, _, m in sent)


async def test_a_message_without_new_progress_still_gets_through() -> None:
    sent: Sent = []

    async def report(progress: float, total: float | None, message: str | None) -> None:
        sent.append((progress, total, message))

    async with progress_pump(report) as pump:
        pump.step(10, 20, "chatting")
        pump.note("Still working (120s)")
        pump.note("Still working (240s)")
    assert [m for _, _, m in sent] == ["chatting", "Still working (120s)", "Still working (240s)"]
    assert [v for v, _, _ in sent] == [10.0, 10.1, 10.2]


async def test_a_failing_reporter_does_not_fail_the_job() -> None:
    async def report(progress: float, total: float | None, message: str | None) -> None:
        raise ConnectionError("the host went away")

    async with progress_pump(report) as pump:
        pump.step(0, 100, "working")
        pump.update(0.5)
    # reaching here is the point: the job's result is not lost to a broken progress channel


async def test_the_jobs_own_error_comes_out_unwrapped() -> None:
    async def report(progress: float, total: float | None, message: str | None) -> None:
        return None

    with pytest.raises(RenderTimeoutError) as info:
        async with progress_pump(report):
            raise RenderTimeoutError("still rendering", render_id="render_7")
    assert info.value.render_id == "render_7"
