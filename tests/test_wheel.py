"""The built wheel alone, outside the repository, serves all five skills."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    src = tmp_path_factory.mktemp("src") / "nemo-skills"
    # Build from a copy, so the build leaves nothing in the working tree.
    shutil.copytree(
        ROOT,
        src,
        symlinks=True,
        ignore=shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", "tests"),
    )
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(src)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("nemo_skills-*.whl"))


def test_wheel_carries_the_registry_and_templates(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "nemo_skills/registry.yaml" in names
    assert "nemo_skills/skills/video_leonardo.py" in names
    # `nemo-skills mcp` lists the tools from it.
    assert "nemo_skills/host/tool_listing.json" in names
    registry = zipfile.ZipFile(wheel).read("nemo_skills/registry.yaml").decode()
    assert "video-leonardo" in registry


def _install_alone(wheel: Path, tmp_path: Path) -> dict[str, str]:
    """Install the wheel into a folder of its own; the environment that imports it from there."""
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    # Dependencies come from this interpreter's site-packages; nemo_skills only from the wheel
    # (a plain PYTHONPATH entry does not run the editable install's import hook).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])}
    env["PYTHONNOUSERSITE"] = "1"
    env["WHEEL_SITE"] = str(target)
    return env


def _cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    code = "from nemo_skills.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-S", "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_wheel_installed_alone_lists_the_five_skills(wheel: Path, tmp_path: Path) -> None:
    env = _install_alone(wheel, tmp_path)
    target = env["WHEEL_SITE"]
    code = "import nemo_skills, sys; print(nemo_skills.__file__, file=sys.stderr); from nemo_skills.cli import main; main()"
    out = subprocess.run(
        [sys.executable, "-S", "-c", code, "list", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert target in out.stderr
    assert len(json.loads(out.stdout)) == 5


def test_wheel_installed_alone_generates_every_skill_md(wheel: Path, tmp_path: Path) -> None:
    env = _install_alone(wheel, tmp_path)
    for fmt in ("clawhub", "agentskills"):
        out = _cli(env, tmp_path, "generate", "--out", f"out-{fmt}", "--format", fmt)
        assert out.returncode == 0, out.stderr
        written = sorted(p.parent.name for p in (tmp_path / f"out-{fmt}").glob("*/SKILL.md"))
        assert written == sorted(
            [
                "ai-video-maker-sora",
                "free-generator-editor",
                "generator-by-link",
                "nemo-video-gen",
                "video-leonardo",
            ]
        )
        assert "X-Skill-Source" in (tmp_path / f"out-{fmt}" / "video-leonardo" / "SKILL.md").read_text()
