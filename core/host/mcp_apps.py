"""The MCP Apps view of a job (`io.modelcontextprotocol/ui`): a `ui://` resource hosts render in the chat.

run_skill, wait_job and export declare it in `_meta.ui.resourceUri`, whatever the client advertises: some
hosts render Apps without announcing the extension, and hosts that render none ignore `_meta`. The view
(`job_view.html`, self-contained: no script, style or font from the network) follows the job through the
host with wait_job, offers cancel_job while it runs, and plays the MP4 from a data: URL that it reads in
chunks with the app-only tool video_chunk.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

EXTENSION_ID = "io.modelcontextprotocol/ui"
VIEW_URI = "ui://nemo-skills/job-view.html"
VIEW_MIME = "text/html;profile=mcp-app"
VIEW_NAME = "nemo-skills job view"
VIEW_DESCRIPTION = "A video job: its progress, a Cancel button, the contact sheet, the video and its credits."
# Bytes of the MP4 per video_chunk call: a multiple of 3, so the base64 pieces join into one data: URL,
# and about 512 KB of base64, well under what hosts take in one result.
CHUNK_BYTES = 3 * 128 * 1024
# Longer videos are not sent through the host (the file is on disk): over 100 calls would be needed.
MAX_VIEW_BYTES = 48 * 1024 * 1024


def ui_meta(*, app_only: bool = False) -> dict[str, object]:
    """The `_meta` of a tool the view belongs to (`app_only`: callable by the view, hidden from the model)."""
    ui: dict[str, object] = {"resourceUri": VIEW_URI}
    if app_only:
        ui["visibility"] = ["app"]
    return {"ui": ui}


@cache
def view_html() -> str:
    """The view's HTML document, as packaged."""
    return resources.files("nemo_skills.host").joinpath("job_view.html").read_text(encoding="utf-8")
