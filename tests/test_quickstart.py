"""The README's quick start, exactly as a newcomer types it, makes a real MP4."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nemo_skills.local.renderer.probe import probe
from tests.clirun import cli_env, nemo

QUICK_START = (
    "run",
    "auto",
    "a 5-second sunset over a city skyline",
    "--backend",
    "local",
    "-o",
    "sunset.mp4",
)


ROOT = Path(__file__).resolve().parent.parent
COMMAND = 'nemo-skills run auto "a 5-second sunset over a city skyline" --backend local -o sunset.mp4'


def test_quick_start_command_makes_a_5_second_1080p_mp4_with_audio(tmp_path: Path) -> None:
    # The exact line a newcomer copies from the README, run by a shell with the installed script on PATH.
    assert COMMAND in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    env = cli_env()
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    done = subprocess.run(
        ["bash", "-c", COMMAND], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    # auto: the output says which skill the router picked, and why.
    assert "Skill: nemo-video-gen (auto: a text prompt to generate from)" in done.stdout
    assert "Timeline (1 track)" in done.stdout
    video = tmp_path / "sunset.mp4"
    assert f"Saved: {video}" in done.stdout
    info = probe(video)
    assert abs(info.duration - 5.0) < 0.5
    assert (info.width, info.height) == (1920, 1080)
    assert info.has_audio and info.video_codec == "h264"
    # Nothing half-written is left beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sunset.mp4"]


def test_quick_start_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    (tmp_path / "sunset.mp4").write_bytes(b"my own video")
    again = nemo(*QUICK_START, cwd=tmp_path)
    assert again.returncode == 2
    assert "already exists" in again.stderr and "--force" in again.stderr
    assert (tmp_path / "sunset.mp4").read_bytes() == b"my own video"


def test_quick_start_is_in_the_docs_verbatim() -> None:
    for doc in (ROOT / "README.md", ROOT / "docs" / "cli.md"):
        assert COMMAND in doc.read_text(encoding="utf-8"), doc
