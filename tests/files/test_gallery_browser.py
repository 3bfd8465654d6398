"""The batch gallery in a real browser: headless Chromium loads it, plays nothing from the network,
finds every video and shows every contact sheet.

Skips where Chromium is not installed (Debian: `apt-get install chromium`; .ci/run installs it).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from nemo_skills.files.gallery import GalleryItem, write_gallery
from nemo_skills.files.previews import ContactSheet, make_contact_sheet
from tests.files.videos import close, colour_video, read_rgb

CHROMIUM = next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)",
)

ITEMS = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255)}

# The gallery has no script and wants none; this page, outside it, looks into it from an iframe and
# writes what it finds where --dump-dom prints it.
_PROBE_PAGE = """<!DOCTYPE html>
<html><body><pre id="found">not loaded</pre>
<iframe id="gallery" src="batch/index.html" width="1280" height="1600"></iframe>
<script>
window.addEventListener("load", () => {
  const page = document.getElementById("gallery").contentDocument;
  document.getElementById("found").textContent = JSON.stringify({
    articles: page.querySelectorAll("article").length,
    images: [...page.images].map(i => ({src: i.getAttribute("src"), url: i.currentSrc,
                                        complete: i.complete, width: i.naturalWidth})),
    videos: [...page.querySelectorAll("video")].map(v => ({src: v.getAttribute("src"), url: v.currentSrc,
        state: v.readyState, error: v.error && v.error.code, width: v.videoWidth})),
  });
});
</script></body></html>
"""


def _chromium(tmp_path: Path, *args: str) -> str:
    assert CHROMIUM is not None
    cmd = [
        CHROMIUM,
        "--headless",
        # Tests run as root in CI containers, where Chromium's sandbox cannot start.
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--mute-audio",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        # Lets the page wait for media without the test waiting on a clock.
        "--virtual-time-budget=10000",
        *args,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, ContactSheet]]:
    """A batch folder of three real MP4s, their real contact sheets and its index.html."""
    folder = tmp_path_factory.mktemp("gallery") / "batch"
    folder.mkdir()
    sheets: dict[str, ContactSheet] = {}
    items = []
    for name, colour in ITEMS.items():
        video = colour_video(folder / f"{name}.mp4", [colour], seconds_each=1.0)
        sheets[name] = make_contact_sheet(video, folder / f"{name}.jpg")
        items.append(
            GalleryItem(
                request=f"a {name} <video>",
                state="done",
                skill="nemo-video-gen",
                video=video,
                sheet=sheets[name].path,
            )
        )
    write_gallery(folder, items, title="Three colours")
    return folder, sheets


def test_chromium_loads_every_video_and_every_image(
    gallery: tuple[Path, dict[str, ContactSheet]], tmp_path: Path
) -> None:
    folder, sheets = gallery
    probe_page = folder.parent / "probe.html"
    probe_page.write_text(_PROBE_PAGE, encoding="utf-8")

    dom = _chromium(tmp_path, "--allow-file-access-from-files", "--dump-dom", probe_page.as_uri())

    match = re.search(r'<pre id="found">(.*?)</pre>', dom, re.S)
    assert match, dom[-2000:]
    found: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    assert found["articles"] == 3
    assert [v["src"] for v in found["videos"]] == [f"./{name}.mp4" for name in ITEMS]
    for video, name in zip(found["videos"], ITEMS, strict=True):
        assert video["url"] == (folder / f"{name}.mp4").as_uri()
        # Metadata loaded, no media error: the link leads to a playable MP4.
        assert video["error"] is None and video["state"] >= 1 and video["width"] == 320, video
    assert [i["src"] for i in found["images"]] == [f"./{name}.jpg" for name in ITEMS]
    for image, name in zip(found["images"], ITEMS, strict=True):
        assert image["url"] == (folder / f"{name}.jpg").as_uri()
        assert image["complete"] and image["width"] == sheets[name].width, image


def test_the_screenshot_is_not_blank_and_shows_the_sheets(
    gallery: tuple[Path, dict[str, ContactSheet]], tmp_path: Path
) -> None:
    folder, _ = gallery
    shot = tmp_path / "shot.png"

    _chromium(
        tmp_path,
        "--hide-scrollbars",
        "--window-size=1280,1600",
        f"--screenshot={shot}",
        (folder / "index.html").as_uri(),
    )

    width, height, pixels = read_rgb(shot)
    assert (width, height) == (1280, 1600)
    # Every 16th pixel is plenty to tell a page of pictures from a blank one.
    colours = list(zip(pixels[0::48], pixels[1::48], pixels[2::48], strict=True))
    brightness = [r + g + b for r, g, b in colours]
    mean = sum(brightness) / len(brightness)
    spread = (sum((v - mean) ** 2 for v in brightness) / len(brightness)) ** 0.5
    assert spread > 40, f"the screenshot is nearly one colour (spread {spread:.1f})"
    for name, expected in ITEMS.items():
        seen = sum(1 for c in colours if close(c, expected, tolerance=30))
        # Each sheet is a grid of solid tiles hundreds of pixels wide; a broken image shows none of it.
        assert seen > 1_000, f"little or no {name} on the page ({seen} of {len(colours)} pixels sampled)"
