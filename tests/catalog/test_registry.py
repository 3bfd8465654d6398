"""registry.yaml: validated against the loaded plugins, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_skills.catalog.registry import build_catalog, default_registry_path, get_catalog
from nemo_skills.errors import RegistryError, UnknownSkillError


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "registry.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_the_shipped_registry_serves_all_five_in_priority_order() -> None:
    catalog = build_catalog(default_registry_path())
    assert [s.name for s in catalog.skills()] == [
        "nemo-video-gen",
        "ai-video-maker-sora",
        "generator-by-link",
        "free-generator-editor",
        "video-leonardo",
    ]


def test_overrides_apply_to_the_served_skill(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "skills:\n  video-leonardo:\n    overrides:\n      version: 2.1.0\n      max_upload_mb: 50\n",
    )
    skill = build_catalog(path).get("video-leonardo")
    assert (skill.version, skill.max_upload_mb) == ("2.1.0", 50)


def test_disabled_and_unlisted_skills(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "include_unlisted: false\nskills:\n  nemo-video-gen: {}\n  video-leonardo:\n    enabled: false\n",
    )
    assert [s.name for s in build_catalog(path).skills()] == ["nemo-video-gen"]


def test_unknown_skill_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nskills:\n  nemo-video-gen: {}\n  video-picasso:\n    priority: 3\n")
    with pytest.raises(RegistryError, match=r"registry\.yaml:4: unknown skill 'video-picasso'"):
        build_catalog(path)


def test_bad_field_names_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "skills:\n  nemo-video-gen:\n    priority: high\n")
    with pytest.raises(RegistryError, match=r"registry\.yaml:3: skills\.nemo-video-gen\.priority"):
        build_catalog(path)
    path = write(tmp_path, "skills:\n  nemo-video-gen:\n    colour: red\n")
    with pytest.raises(RegistryError, match=r":3: skills\.nemo-video-gen\.colour: Extra inputs"):
        build_catalog(path)


def test_bad_override_names_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, "skills:\n  nemo-video-gen:\n    overrides:\n      max_upload_mb: -5\n")
    with pytest.raises(RegistryError, match=r":4: skills\.nemo-video-gen\.overrides\.max_upload_mb"):
        build_catalog(path)


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match=r"registry\.yaml:2: not valid YAML"):
        build_catalog(write(tmp_path, "skills:\n  a: b: c\n"))
    with pytest.raises(RegistryError, match="cannot read registry"):
        build_catalog(tmp_path / "missing.yaml")


def test_environment_variable_picks_the_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "include_unlisted: false\nskills:\n  generator-by-link: {}\n")
    monkeypatch.setenv("NEMO_SKILLS_REGISTRY", str(path))
    assert [s.name for s in get_catalog().skills()] == ["generator-by-link"]


def test_lookup_accepts_loose_spellings_and_lists_known_skills() -> None:
    catalog = build_catalog(default_registry_path())
    assert catalog.get("Video_Leonardo").name == "video-leonardo"
    with pytest.raises(UnknownSkillError, match="served skills: nemo-video-gen"):
        catalog.get("picasso")
