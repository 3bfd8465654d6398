"""The embedding example in the docs runs as written and makes a real MP4."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from nemo_skills.local.renderer.probe import probe

ROOT = Path(__file__).resolve().parent.parent
HEADING = "## Embedding in a host"


def embedding_example() -> tuple[Path, str]:
    """The first python block under the heading: from README.md once it has the section, else docs/embedding.md."""
    for doc in (ROOT / "README.md", ROOT / "docs" / "embedding.md"):
        if not doc.is_file():
            continue
        text = doc.read_text(encoding="utf-8")
        start = text.find(f"\n{HEADING}\n")
        if start < 0:
            continue
        section = text[start + len(HEADING) + 2 :]
        section = section[: m.start()] if (m := re.search(r"^## ", section, re.MULTILINE)) else section
        block = re.search(r"^```python\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
        assert block, f"{doc.name}: no python block under {HEADING!r}"
        return doc, block.group(1)
    raise AssertionError(f"no document has a {HEADING!r} section")


def test_the_embedding_example_runs_as_written(tmp_path: Path) -> None:
    doc, code = embedding_example()
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, f"{doc.name} example failed:\n{out.stderr}"
    assert "skill: nemo-video-gen" in out.stdout
    assert "Timeline (1 track): 1. Video:" in out.stdout
    assert "1 track(s), ready to export: True" in out.stdout
    assert "credits left: " in out.stdout
    video = tmp_path / "sunset.mp4"
    assert f"saved {video.name}" in out.stdout or f"saved {video}" in out.stdout
    info = probe(video)
    assert info.video_codec == "h264" and 4.5 <= info.duration <= 5.5
