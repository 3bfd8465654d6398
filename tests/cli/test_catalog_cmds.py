"""The CLI so far: list, show, route and plugins, with errors on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nemo_skills", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=os.environ.copy(),
    )


def test_list_json_has_the_five_skills_with_seed_limits() -> None:
    out = cli("list", "--json")
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert {n: rows[n]["max_upload_mb"] for n in rows} == {
        "nemo-video-gen": 200,
        "generator-by-link": 500,
        "ai-video-maker-sora": 200,
        "free-generator-editor": 500,
        "video-leonardo": 200,
    }
    assert rows["generator-by-link"]["inputs"][0] == "url"
    assert all(r["version"] for r in rows.values())


def test_list_table_is_readable() -> None:
    out = cli("list")
    assert out.returncode == 0
    assert "video-leonardo" in out.stdout and "200 MB" in out.stdout


def test_route_json_names_video_leonardo_with_its_reason() -> None:
    out = cli("route", "turn this image into a 5-second clip", "--file", "photo.jpg", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["skill"] == "video-leonardo"
    assert data["reason"] == "1 image(s) to animate"
    assert {row["skill"] for row in data["scores"]} >= {"video-leonardo", "nemo-video-gen"}


def test_route_explain_prints_the_score_table() -> None:
    out = cli("route", "https://example.com/post", "--explain")
    assert out.returncode == 0
    assert out.stdout.splitlines()[0].startswith("generator-by-link: a link")
    assert "score" in out.stdout and "no claim" in out.stdout


def test_show_prints_the_declaration() -> None:
    out = cli("show", "ai-video-maker-sora", "--json")
    data = json.loads(out.stdout)
    assert data["recommended_formats"] == ["TXT", "DOCX", "PDF", "PNG"]
    assert data["language_mode"] == "omit"


def test_errors_go_to_stderr_with_a_nonzero_exit_and_no_traceback(tmp_path: Path) -> None:
    out = cli("show", "picasso")
    assert out.returncode == 2
    assert out.stdout == ""
    assert "unknown skill 'picasso'" in out.stderr and "Traceback" not in out.stderr
    out = cli("route", "")
    assert out.returncode == 2 and "Accepted:" in out.stderr and "Traceback" not in out.stderr
    bad = tmp_path / "reg.yaml"
    bad.write_text("skills:\n  nope: {}\n")
    out = cli("--registry", str(bad), "list")
    assert out.returncode == 2 and "reg.yaml:2: unknown skill 'nope'" in out.stderr


def test_registry_option_and_env_select_the_catalog(tmp_path: Path) -> None:
    reg = tmp_path / "reg.yaml"
    reg.write_text("include_unlisted: false\nskills:\n  video-leonardo: {}\n")
    out = cli("--registry", str(reg), "list", "--json")
    assert [r["name"] for r in json.loads(out.stdout)] == ["video-leonardo"]


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from nemo_skills.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('httpx', 'starlette', 'uvicorn', 'rich', 'jinja2', 'mcp', 'pydantic') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy())
    assert "Exit codes" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "HEAVY="
