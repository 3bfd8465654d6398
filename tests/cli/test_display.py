"""Progress on stderr: rich bars, JSON lines, or warnings only."""

from __future__ import annotations

import io
import json

from nemo_skills.cli.display import JsonReporter, RichReporter, SilentReporter
from nemo_skills.jobs.progress_events import Notice, RenderUpdate, ReplyText, Stage, Transfer


def test_json_progress_is_one_object_per_line() -> None:
    out = io.StringIO()
    reporter = JsonReporter(out)
    reporter(Stage(stage="connect", message="Connecting"))
    reporter(Transfer(kind="upload", name="a.jpg", done=10, total=10))
    reporter(RenderUpdate(render_id="render_1", status="processing", progress=0.5))
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["kind"] for line in lines] == ["stage", "upload", "render"]
    assert lines[2]["progress"] == 0.5


def test_silent_progress_shows_only_warnings() -> None:
    out = io.StringIO()
    reporter = SilentReporter(out)
    reporter(Stage(stage="connect"))
    reporter(Notice(message="routed"))
    reporter(Notice(level="warning", message="the previous timeline is gone"))
    assert out.getvalue() == "warning: the previous timeline is gone\n"


def test_rich_progress_draws_bars_and_honours_no_color() -> None:
    out = io.StringIO()
    with RichReporter(no_color=True, file=out) as reporter:
        reporter(Stage(stage="route", message="video-leonardo: 1 image(s) to animate [x]"))
        reporter(Stage(stage="connect", message="Connecting"))
        reporter(Transfer(kind="upload", name="photo.jpg", done=512, total=1024))
        reporter(ReplyText(text="Adding a ", partial=True))
        reporter(RenderUpdate(render_id="render_1", status="processing", progress=0.4))
        reporter(Notice(level="warning", message="session [old] was lost"))
    text = out.getvalue()
    assert "video-leonardo: 1 image(s) to animate [x]" in text
    assert "session [old] was lost" in text
    assert "\x1b[3" not in text  # no colour codes
