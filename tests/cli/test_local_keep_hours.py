"""NEMO_SKILLS_KEEP_HOURS sets how long `--backend local` keeps renders, as it does for serve-local."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.clirun import nemo, only_json

HOUR = 3600.0


def _stale_render(hours_old: float) -> Path:
    """A render file no render knows any more (an older version's), last touched `hours_old` ago."""
    renders = Path(os.environ["NEMO_SKILLS_DATA_DIR"]) / "local-backend" / "renders"
    renders.mkdir(parents=True, exist_ok=True)
    path = renders / "render_old.mp4"
    path.write_bytes(b"old render")
    then = time.time() - hours_old * HOUR
    os.utime(path, (then, then))
    return path


@pytest.mark.parametrize(("env", "kept"), [({}, True), ({"NEMO_SKILLS_KEEP_HOURS": "1"}, False)])
def test_the_local_backend_keeps_renders_for_the_hours_set(
    tmp_path: Path, env: dict[str, str], kept: bool
) -> None:
    old = _stale_render(hours_old=2)
    done = nemo("credits", "--backend", "local", "--json", cwd=tmp_path, **env)
    assert done.returncode == 0, done.stderr
    assert old.exists() is kept


@pytest.mark.parametrize("value", ["soon", "0", "-3", "nan", "inf", "9999999"])
def test_a_bad_keep_hours_is_refused_before_the_local_backend_starts(tmp_path: Path, value: str) -> None:
    old = _stale_render(hours_old=10_000)
    done = nemo("credits", "--backend", "local", "--json", cwd=tmp_path, NEMO_SKILLS_KEEP_HOURS=value)
    assert done.returncode == 2, done.stderr
    error = only_json(done.stdout)["error"]
    assert error["code"] == "bad_input" and "NEMO_SKILLS_KEEP_HOURS is not valid" in error["message"]
    assert "Traceback" not in done.stderr
    assert old.exists()
