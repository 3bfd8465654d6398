"""Progress of a batch: one line per running job and a total; JSON lines carry each job's id."""

from __future__ import annotations

import io
import json

from nemo_skills.cli.display import JsonReporter, RichReporter
from nemo_skills.jobs.progress_events import JobUpdate, RenderUpdate, Stage, for_job


def test_rich_batch_progress_names_each_job_and_its_outcome() -> None:
    out = io.StringIO()
    with RichReporter(no_color=True, file=out) as reporter:
        reporter(JobUpdate(job_id="job_a", index=1, total=2, label="snow", state="running"))
        reporter(JobUpdate(job_id="job_b", index=2, total=2, label="fog", state="running"))
        for_job("job_a", reporter)(RenderUpdate(render_id="render_1", status="processing", progress=0.5))
        for_job("job_b", reporter)(Stage(stage="chat", message="Waiting"))
        reporter(
            JobUpdate(job_id="job_a", index=1, total=2, label="snow", state="done", detail="/v/snow.mp4")
        )
        reporter(
            JobUpdate(job_id="job_b", index=2, total=2, label="fog", state="failed", detail="no credits")
        )
    text = out.getvalue()
    assert "[1/2] done snow /v/snow.mp4" in text
    assert "[2/2] FAILED fog no credits" in text


def test_json_progress_of_a_batch_tags_every_event_with_its_job() -> None:
    out = io.StringIO()
    reporter = JsonReporter(out)
    for_job("job_a", reporter)(Stage(stage="connect", message="Connecting"))
    for_job("job_b", reporter)(RenderUpdate(render_id="render_2", status="processing", progress=0.2))
    reporter(JobUpdate(job_id="job_a", index=1, total=2, label="snow", state="done", detail="/v/snow.mp4"))
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(line["kind"], line["job_id"]) for line in lines] == [
        ("stage", "job_a"),
        ("render", "job_b"),
        ("job", "job_a"),
    ]
    assert lines[2]["state"] == "done" and lines[2]["detail"] == "/v/snow.mp4"
