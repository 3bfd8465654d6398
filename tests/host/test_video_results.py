"""What an agent gets back with a finished video: a contact sheet it can look at, a link to the MP4, and
what the generation cost; and a batch's gallery a person can open in a browser."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nemo_skills.local import Faults
from nemo_skills.local.renderer.probe import probe
from tests.clirun import nemo, only_json
from tests.files.videos import close, mean_colour, read_rgb, run_ffmpeg
from tests.host.test_host_time_limits import host_session


def frame_colour(video: Path, at: float, fx: float, fy: float) -> tuple[float, float, float]:
    """The mean colour of the video's frame at `at` s around the point (fx, fy) of the frame (0-1)."""
    info = probe(video)
    raw = run_ffmpeg("-ss", f"{at:.3f}", "-i", str(video), "-frames:v", "1", "-f", "rawvideo",
                     "-pix_fmt", "rgb24", "-")  # fmt: skip
    return mean_colour(raw, info.width, int(info.width * fx), int(info.height * fy), 6)


async def test_a_finished_run_carries_its_contact_sheet_a_link_and_its_cost(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = backend_factory(data_dir=tmp_path / "backend", faults=Faults(empty_reply_share=0.0))
    async with host_session(backend.base_url, tmp_path / "videos") as session:
        before = (await session.call_tool("get_credits", {})).structured_content
        result = await session.call_tool(
            "run_skill", {"prompt": "a 3-second sunset over the sea", "wait_seconds": 50}
        )
        while result.structured_content and result.structured_content["status"] == "running":
            job = result.structured_content["job_id"]
            result = await session.call_tool("wait_job", {"job_id": job, "wait_seconds": 50})
        after = (await session.call_tool("get_credits", {})).structured_content
    assert not result.is_error
    out = result.structured_content
    assert out is not None and out["status"] == "completed"
    images = [c for c in result.content if c.type == "image"]
    links = [c for c in result.content if c.type == "resource_link"]
    assert len(images) == 1 and images[0].mime_type == "image/jpeg"
    sheet = base64.b64decode(images[0].data)
    assert sheet[:3] == b"\xff\xd8\xff" and len(sheet) <= 300_000
    assert len(result.model_dump_json()) < 500_000
    assert len(links) == 1 and links[0].mime_type == "video/mp4"
    video = Path(str(links[0].uri).removeprefix("file://"))
    assert video.is_file() and str(video) == out["path"]
    assert out["preview"] and Path(out["preview"]).read_bytes() == sheet
    assert before is not None and after is not None
    assert out["credits_spent"] == before["available"] - after["available"] > 0
    assert out["credits_estimated"] is False

    # The sheet's tiles are the video's frames: compare the first and the last, away from the captions.
    width, height, pixels = read_rgb(Path(out["preview"]))
    duration = probe(video).duration
    columns = rows = 3
    tile_w, tile_h = width / columns, height / rows
    for index, at in ((0, 0.05), (columns * rows - 1, duration - 0.2)):
        x = int((index % columns) * tile_w + tile_w * 0.2)
        y = int((index // columns) * tile_h + tile_h * 0.2)
        assert close(mean_colour(pixels, width, x, y, 4), frame_colour(video, at, 0.2, 0.2), 60)


def test_run_and_jobs_report_what_the_generation_cost(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = backend_factory(
        data_dir=tmp_path / "backend", resolution=144, faults=Faults(empty_reply_share=0.0)
    )
    url = ("--backend", backend.base_url)
    before = only_json(nemo("credits", *url, "--json", cwd=tmp_path).stdout)["available"]
    done = nemo("run", "nemo-video-gen", "a 2-second clip of rain", "-o", "rain.mp4", "--preview", *url,
                "--json", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = only_json(done.stdout)
    after = only_json(nemo("credits", *url, "--json", cwd=tmp_path).stdout)["available"]
    assert result["credits_spent"] == before - after > 0
    assert result["preview"] == str(tmp_path / "rain.jpg") and (tmp_path / "rain.jpg").is_file()
    listed = only_json(nemo("jobs", "--json", cwd=tmp_path).stdout)["jobs"]
    assert listed[0]["job_id"] == result["job_id"] and listed[0]["credits_spent"] == result["credits_spent"]
    text = nemo("wait", result["job_id"], cwd=tmp_path).stdout
    assert f"Credits spent: {result['credits_spent']:g}" in text


def test_a_batch_writes_a_gallery_a_browser_shows(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    from tests.files import test_gallery_browser as browser

    if browser.CHROMIUM is None:
        pytest.skip(
            "headless Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)"
        )
    backend = backend_factory(
        data_dir=tmp_path / "backend", resolution=144, faults=Faults(empty_reply_share=0.0)
    )
    batch = tmp_path / "batch.jsonl"
    batch.write_text(
        "".join(json.dumps({"text": f"a 1-second clip of {w}"}) + "\n" for w in ("fog", "hail", "sun"))
    )
    done = nemo("run", "nemo-video-gen", "--batch", batch, "-o", "batch", "--backend", backend.base_url,
                "--json", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = only_json(done.stdout)
    assert summary["gallery"] == str((tmp_path / "batch" / "index.html").resolve())
    assert summary["credits_spent"] > 0
    probe_page = tmp_path / "probe.html"
    probe_page.write_text(browser._PROBE_PAGE, encoding="utf-8")
    dom = browser._chromium(tmp_path, "--allow-file-access-from-files", "--dump-dom", probe_page.as_uri())
    match = re.search(r'<pre id="found">(.*?)</pre>', dom, re.S)
    assert match, dom[-2000:]
    found = json.loads(html.unescape(match.group(1)))
    assert found["articles"] == 3
    outputs = sorted(Path(item["output"]).name for item in summary["items"])
    assert sorted(v["src"].removeprefix("./") for v in found["videos"]) == outputs
    assert all(v["error"] is None and v["state"] >= 1 for v in found["videos"]), found["videos"]
    assert len(found["images"]) == 3 and all(i["complete"] and i["width"] > 0 for i in found["images"])


def test_a_budget_starts_no_item_that_would_pass_it(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = backend_factory(
        data_dir=tmp_path / "backend", resolution=144, faults=Faults(empty_reply_share=0.0)
    )
    url = ("--backend", backend.base_url)
    batch = tmp_path / "batch.jsonl"
    batch.write_text("".join(json.dumps({"text": f"a 1-second clip of {w}"}) + "\n" for w in "abcde"))
    before = only_json(nemo("credits", *url, "--json", cwd=tmp_path).stdout)["available"]
    done = nemo("run", "nemo-video-gen", "--batch", batch, "-o", "out", "--max-credits", "25", *url,
                "--json", cwd=tmp_path)  # fmt: skip
    after = only_json(nemo("credits", *url, "--json", cwd=tmp_path).stdout)["available"]
    assert done.returncode == 10, done.stderr
    summary = only_json(done.stdout)
    assert summary["succeeded"] == 2 and len(list((tmp_path / "out").glob("*.mp4"))) == 2
    assert before - after == summary["credits_spent"] == 20
    assert backend.chat_requests == 2
    skipped = [item for item in summary["items"] if item["error_code"] == "over_budget"]
    assert len(skipped) == 3
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert "3 of 5 request(s) not started: the budget (--max-credits) is 25 credits and 20 were spent" in line
