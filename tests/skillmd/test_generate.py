"""`nemo-skills generate`: SKILL.md files in both formats and both modes, valid, deterministic, checkable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import strictyaml
import yaml

from nemo_skills.catalog.registry import get_catalog
from nemo_skills.catalog.skill import Skill
from nemo_skills.cli import cli
from nemo_skills.cli.output import run_cli
from nemo_skills.errors import ExitCode, InputError
from nemo_skills.skillmd import frontmatter
from nemo_skills.skillmd.generate import Format, Mode, generate, render_skill_md

BUILT_INS = (
    "nemo-video-gen",
    "generator-by-link",
    "ai-video-maker-sora",
    "free-generator-editor",
    "video-leonardo",
)
AGENTSKILLS_FIELDS = {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process (so run-time plugins are seen); exit code, stdout, stderr."""
    code = run_cli(cli, list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def validate_agentskills(skill_dir: Path) -> subprocess.CompletedProcess[str]:
    """The Agent Skills reference validator, as its own command (`agentskills validate DIR`)."""
    exe = Path(sys.executable).with_name("agentskills")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "skills_ref.cli"]
    return subprocess.run([*cmd, "validate", str(skill_dir)], capture_output=True, text=True)


def as_strings(value: Any) -> Any:
    """A PyYAML value as strictyaml (no schema) reads it: every scalar a string."""
    if isinstance(value, dict):
        return {str(k): as_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_strings(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse(text: str) -> tuple[dict[str, Any], str]:
    """Frontmatter (read by both parsers, which must agree) and body of a SKILL.md."""
    head, body = frontmatter.split(text)
    lenient = yaml.safe_load(head)
    strict = strictyaml.load(head).data  # rejects flow style, anchors, tags and duplicate keys
    assert as_strings(lenient) == strict
    return lenient, body


# --- every skill, both formats, both modes -------------------------------------------------------------


@pytest.mark.parametrize("mode", list(Mode))
def test_agentskills_files_pass_the_reference_validator(
    tmp_path: Path, mode: Mode, sixth_skill: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "generate", "--out", str(tmp_path), "--format", "agentskills", "--mode", mode.value
    )
    assert code == 0, err
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([*BUILT_INS, sixth_skill])
    for name in names:
        result = validate_agentskills(tmp_path / name)
        assert result.returncode == 0, result.stderr
        data, body = parse((tmp_path / name / "SKILL.md").read_text(encoding="utf-8"))
        assert set(data) <= AGENTSKILLS_FIELDS
        assert data["name"] == name
        assert 0 < len(data["description"]) <= 1024
        assert all(isinstance(v, str) for v in data["metadata"].values())
        assert body.startswith("\n# ")


@pytest.mark.parametrize("mode", list(Mode))
def test_clawhub_frontmatter_declares_token_optional_and_the_binary_required(mode: Mode) -> None:
    for skill in get_catalog().skills():
        data, _ = parse(render_skill_md(skill, format=Format.CLAWHUB, mode=mode))
        assert (data["name"], data["version"]) == (skill.name, skill.version)
        claw = data["metadata"]["openclaw"]
        assert claw["emoji"] == skill.emoji
        assert claw["primaryEnv"] == "NEMO_TOKEN"
        # Listed under requires.env, ClawHub would refuse to run until a token is configured.
        assert "env" not in claw["requires"]
        assert claw["requires"]["bins"] == ["nemo-skills" if mode is Mode.CLI else "curl"]
        token = next(v for v in claw["envVars"] if v["name"] == "NEMO_TOKEN")
        assert token["required"] is False
        assert ("license" in data) == (skill.license is not None)


def test_clawhub_frontmatter_carries_the_seed_listing_of_nemo_video_gen() -> None:
    data, _ = parse(render_skill_md(get_catalog().get("nemo-video-gen")))
    assert data["version"] == "1.0.0"
    assert data["license"] == "MIT-0"
    assert data["metadata"]["openclaw"]["emoji"] == "🎬"
    assert data["description"].startswith(
        "Get AI generated videos ready to post, without touching a single slider. Upload your text prompts or "
        "clips (MP4, MOV, PNG, JPG, up to 200MB), say something l"
    )
    assert "homepage" not in data


def test_homepage_is_written_when_the_skill_has_one() -> None:
    skill = get_catalog().get("video-leonardo").with_overrides({"homepage": "https://example.com/leo"})
    claw, _ = parse(render_skill_md(skill, format="clawhub"))
    spec, _ = parse(render_skill_md(skill, format="agentskills"))
    assert claw["homepage"] == "https://example.com/leo"
    assert spec["metadata"]["homepage"] == "https://example.com/leo"


def test_yaml_that_a_lenient_parser_would_retype_reads_the_same_in_both(tmp_path: Path) -> None:
    skill = (
        get_catalog()
        .get("nemo-video-gen")
        .with_overrides(
            {
                "version": "1.10",  # a float to a lenient reader if left bare
                "license": "no",  # a boolean to YAML 1.1
                "emoji": "*",  # an alias marker
                "summary": "- not a list: a 'quoted' \"thing\" # not a comment --- {not: flow} [nor this] & @ `x`",
            }
        )
    )
    for fmt in Format:
        text = render_skill_md(skill, format=fmt)
        data, _ = parse(text)
        assert data["license"] == "no"
        assert (data.get("version") or data["metadata"]["version"]) == "1.10"
        assert data["description"].startswith(
            "- not a list: a 'quoted' \"thing\" # not a comment — {not: flow}"
        )
    out = tmp_path / "agentskills"
    generate(out, [skill], format=Format.AGENTSKILLS)
    assert validate_agentskills(out / skill.name).returncode == 0


def test_a_long_summary_is_cut_to_the_specs_description_limit(tmp_path: Path) -> None:
    skill = get_catalog().get("video-leonardo").with_overrides({"summary": "Animate images. " * 200})
    generate(tmp_path, [skill], format=Format.AGENTSKILLS)
    data, _ = parse((tmp_path / skill.name / "SKILL.md").read_text(encoding="utf-8"))
    assert len(data["description"]) <= 1024
    assert data["description"].endswith("…")
    assert validate_agentskills(tmp_path / skill.name).returncode == 0


# --- cli mode ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BUILT_INS)
def test_cli_mode_tells_the_agent_to_use_the_command_not_http(name: str) -> None:
    skill = get_catalog().get(name)
    text = render_skill_md(skill, mode="cli")
    _, body = parse(text)
    for command in (
        f'nemo-skills run {name} "<prompt>"',
        f"nemo-skills chat {name}",
        "nemo-skills export --session ID -o out.mp4 --json",
        "nemo-skills credits --json",
        "nemo-skills state --session ID --json",
    ):
        assert command in body
    for code, meaning in ExitCode.DESCRIPTIONS.items():
        assert f"| {code} | {meaning} |" in body
    # No hand-written HTTP: none of the API's paths or headers.
    for raw in ("/run_sse", "/api/", "X-Skill-Source", "text/event-stream", "curl"):
        assert raw not in body
    assert skill.description in body
    assert all(f'"{example}' in body for example in skill.examples)
    assert f"Max file size is {skill.max_upload_mb}MB." in body
    assert ", ".join(skill.recommended_formats) in body
    assert len(body.splitlines()) < len(render_skill_md(skill).splitlines()) / 2


def test_cli_mode_says_documents_are_read_locally_only_for_the_skill_that_reads_them() -> None:
    sora = render_skill_md(get_catalog().get("ai-video-maker-sora"), mode="cli")
    leo = render_skill_md(get_catalog().get("video-leonardo"), mode="cli")
    assert "are read locally and sent as the prompt text; they are never uploaded" in sora
    assert "read locally" not in leo


# --- overrides, templates, determinism -----------------------------------------------------------------


def test_registry_overrides_flow_into_the_generated_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = tmp_path / "registry.yaml"
    registry.write_text(
        "skills:\n  video-leonardo:\n    overrides:\n      version: 2.5.0\n      max_upload_mb: 100\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code, _, err = run(
        capsys, "--registry", str(registry), "generate", "--out", str(out), "--skill", "video-leonardo"
    )
    assert code == 0, err
    text = (out / "video-leonardo" / "SKILL.md").read_text(encoding="utf-8")
    data, body = parse(text)
    assert data["version"] == "2.5.0"
    assert "X-Skill-Version is 2.5.0" in body
    assert "Max file size is 100MB." in body
    assert "200MB" not in body
    assert [p.name for p in out.iterdir()] == ["video-leonardo"]


def test_a_template_naming_a_missing_field_fails_with_the_skill_and_the_field() -> None:
    skill = get_catalog().get("generator-by-link")
    with pytest.raises(InputError) as excinfo:
        render_skill_md(skill, template="# {{ skill.title }}\n{{ skill.no_such_field }}\n")
    assert "generator-by-link" in str(excinfo.value)
    assert "no_such_field" in str(excinfo.value)
    with pytest.raises(InputError, match=r"generator-by-link.*'max_upload' is undefined"):
        render_skill_md(skill, template="{{ max_upload }}")


def test_templates_render_in_a_sandbox() -> None:
    skill = get_catalog().get("generator-by-link")
    with pytest.raises(InputError, match="generator-by-link"):
        render_skill_md(skill, template="{{ skill.__class__.__mro__[1].__subclasses__() }}")


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("mode", list(Mode))
def test_output_is_deterministic(fmt: Format, mode: Mode) -> None:
    for skill in get_catalog().skills():
        first = render_skill_md(skill, format=fmt, mode=mode)
        assert render_skill_md(skill, format=fmt, mode=mode) == first
        assert first.endswith("\n") and not first.endswith("\n\n")
        assert "\r" not in first


def test_third_party_plugin_gets_a_skill_md_like_the_built_ins(
    tmp_path: Path, sixth_skill: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "generate", "--out", str(tmp_path), "--skill", sixth_skill)
    assert code == 0
    assert out.strip() == f"wrote {tmp_path / sixth_skill / 'SKILL.md'}"
    data, body = parse((tmp_path / sixth_skill / "SKILL.md").read_text(encoding="utf-8"))
    assert data["name"] == "podcast-clipper"
    assert data["version"] == "0.3.0"
    assert data["metadata"]["openclaw"]["emoji"] == "🎙"
    assert "# Podcast Clipper — Turn Podcast Audio into Captioned Clips" in body
    assert "X-Skill-Source is podcast-clipper" in body
    assert "Max file size is 300MB. Stick to MP3, WAV, M4A" in body
    assert '"language":"<detected>"' in body


# --- writing and --check -------------------------------------------------------------------------------


def test_generate_then_check_passes_and_rewrites_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "generate", "--out", str(tmp_path))
    assert code == 0
    assert out.count("wrote ") == len(BUILT_INS)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.glob("*/SKILL.md")}
    code, out, err = run(capsys, "generate", "--out", str(tmp_path), "--check")
    assert (code, err) == (0, "")
    assert out.count("unchanged ") == len(BUILT_INS)
    code, out, _ = run(capsys, "generate", "--out", str(tmp_path))
    assert code == 0 and "wrote" not in out
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.glob("*/SKILL.md")} == before
    # Atomic writes leave no temporary files behind.
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["SKILL.md"] * len(BUILT_INS)


def test_check_lists_stale_and_missing_files_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "generate", "--out", str(tmp_path), "--format", "agentskills")[0] == 0
    stale = tmp_path / "video-leonardo" / "SKILL.md"
    stale.write_text(stale.read_text(encoding="utf-8").replace("200MB", "250MB"), encoding="utf-8")
    missing = tmp_path / "generator-by-link" / "SKILL.md"
    missing.unlink()
    code, _, err = run(capsys, "generate", "--out", str(tmp_path), "--format", "agentskills", "--check")
    assert code == ExitCode.FAILURE
    assert f"out of date: {stale}" in err
    assert f"out of date: {missing}" in err
    assert "2 SKILL.md file(s) out of date" in err
    assert "out of date: " + str(tmp_path / "nemo-video-gen" / "SKILL.md") not in err
    assert not missing.exists()  # --check writes nothing
    # The same files are out of date for the other format, so a check of it fails too.
    assert run(capsys, "generate", "--out", str(tmp_path), "--check")[0] == ExitCode.FAILURE


def test_check_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "generate", "--out", str(tmp_path), "--skill", "video-leonardo", "--check", "--json"
    )
    assert code == ExitCode.FAILURE
    report = json.loads(out)
    assert report["out_of_date"] == [str(tmp_path / "video-leonardo" / "SKILL.md")]
    assert report["written"] == [] and report["check"] is True


def test_bad_arguments_are_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "generate", "--out", str(tmp_path), "--skill", "no-such-skill")
    assert code == ExitCode.BAD_INPUT
    assert "unknown skill 'no-such-skill'" in err
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    code, _, err = run(capsys, "generate", "--out", str(blocker / "sub"))
    assert code == ExitCode.BAD_INPUT
    assert "cannot write" in err and "Traceback" not in err
    code, _, err = run(capsys, "generate", "--format", "cursor")
    assert code == ExitCode.BAD_INPUT
    assert "'cursor' is not one of 'clawhub', 'agentskills'" in err


def test_generate_accepts_skill_objects_from_python(tmp_path: Path) -> None:
    skill: Skill = get_catalog().get("free-generator-editor")
    report = generate(tmp_path, [skill], format="agentskills", mode="cli")
    assert report.written == [tmp_path / "free-generator-editor" / "SKILL.md"]
    assert report.ok
    again = generate(tmp_path, [skill], format="agentskills", mode="cli", check=True)
    assert again.unchanged == report.written and again.ok
