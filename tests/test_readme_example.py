"""The README's Python example runs as written against a local backend, and makes an MP4."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def first_python_block(markdown: str, heading: str | None) -> str | None:
    """The first ```python block (under `heading`, when given, before the next heading of that level)."""
    if heading is not None:
        start = markdown.find(f"\n{heading}\n")
        if start < 0:
            return None
        level = heading.split(" ")[0]
        rest = markdown[start + len(heading) + 2 :]
        end = re.search(rf"^{re.escape(level)} ", rest, re.MULTILINE)
        markdown = rest[: end.start()] if end else rest
    match = re.search(r"^```python\n(.*?)^```", markdown, re.MULTILINE | re.DOTALL)
    return match.group(1) if match else None


def sources() -> list[Any]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8") if (ROOT / "README.md").exists() else ""
    doc = (ROOT / "docs" / "python-example.md").read_text(encoding="utf-8")
    return [
        pytest.param(first_python_block(readme, "## Python"), id="README"),
        pytest.param(first_python_block(doc, None), id="docs"),
    ]


@pytest.mark.parametrize("code", sources())
def test_python_example_makes_an_mp4(code: str | None, backend_factory: Any, tmp_path: Path) -> None:
    if code is None:
        pytest.skip("README.md has no '## Python' section with a python block yet")
    assert len(code.strip().splitlines()) <= 10, "the example is meant to stay ten lines"
    backend = backend_factory(resolution=144)
    env = {**os.environ, "NEMO_API_BASE": backend.base_url}
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    from nemo_skills.local.renderer.probe import probe

    movie = tmp_path / "sunset.mp4"
    info = probe(movie)
    assert 4.5 <= info.duration <= 5.5 and info.video_codec == "h264"
    assert "sunset" in run.stdout and "Saved" in run.stdout
