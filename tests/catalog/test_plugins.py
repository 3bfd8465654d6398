"""Plugins: built-ins come through the entry-point group; third parties are first-class."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from nemo_skills.catalog import plugins
from nemo_skills.catalog.hookspecs import hookimpl
from nemo_skills.catalog.registry import collect_skills, get_catalog
from nemo_skills.cli import cli
from nemo_skills.cli.output import run_cli
from nemo_skills.errors import RegistryError


def test_builtins_are_declared_in_the_entry_point_group() -> None:
    names = {ep.name for ep in metadata.entry_points(group=plugins.ENTRY_POINT_GROUP)}
    assert {"nemo_video_gen", "video_leonardo", "default_routing"} <= names


def test_every_hook_has_a_one_line_docstring() -> None:
    from nemo_skills.catalog import hookspecs

    for name in ("register_skills", "route_input", "register_commands"):
        doc = getattr(hookspecs, name).__doc__
        assert doc and "\n" not in doc.strip(), name


def test_a_sixth_skill_is_served_like_a_builtin(sixth_skill: str) -> None:
    assert sixth_skill in get_catalog()
    assert get_catalog().get(sixth_skill).max_upload_mb == 300


def test_the_cli_lists_shows_and_routes_the_sixth_skill(sixth_skill: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run_cli(cli, ["list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sixth_skill in [r["name"] for r in rows]
    assert run_cli(cli, ["show", sixth_skill]) == 0
    assert "Podcast Clipper" in capsys.readouterr().out
    assert run_cli(cli, ["route", "use podcast clipper", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["skill"] == sixth_skill
    assert run_cli(cli, ["plugins"]) == 0
    assert "sixth_skill" in capsys.readouterr().out


def test_unregistering_removes_the_skill(sixth_skill: str) -> None:
    plugins.unregister_plugin("sixth_skill")
    assert sixth_skill not in get_catalog()


def test_allowlist_loads_only_named_plugins() -> None:
    code = "from nemo_skills.catalog.registry import collect_skills;print(','.join(sorted(collect_skills())))"
    env = {"NEMO_SKILLS_PLUGINS": "video_leonardo,generator_by_link", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "generator-by-link,video-leonardo"
    assert len(collect_skills()) >= 5


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nemo_skills", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )


def test_the_shipped_registry_works_with_an_allowlist() -> None:
    out = _cli("list", "--json", env={"NEMO_SKILLS_PLUGINS": "video_leonardo,default_routing"})
    assert out.returncode == 0, out.stderr
    assert [row["name"] for row in json.loads(out.stdout)] == ["video-leonardo"]


def test_a_misspelled_allowlist_name_is_warned_about_with_the_names_to_use() -> None:
    out = _cli("list", "--json", env={"NEMO_SKILLS_PLUGINS": "nemo_video_gn"})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []
    assert "NEMO_SKILLS_PLUGINS names 'nemo_video_gn', but no installed plugin has that name" in out.stderr
    assert "nemo_video_gen" in out.stderr and "video_leonardo" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_plugin_that_fails_to_load_is_skipped_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "broken_plugin.py").write_text('raise ImportError("needs libfoo")\n', encoding="utf-8")
    dist = tmp_path / "broken_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text("[nemo_skills]\nbroken = broken_plugin\n", encoding="utf-8")
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    out = _cli("list", "--json", env=env)
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)) == 5
    assert "'broken' could not be loaded" in out.stderr and "needs libfoo" in out.stderr
    assert "Traceback" not in out.stderr
    out = _cli("plugins", env=env)
    assert "broken" in out.stdout and "not loaded: ImportError: needs libfoo" in out.stdout


def test_a_plugin_whose_register_hook_raises_is_named_in_the_error() -> None:
    class Faulty:
        @hookimpl
        def register_skills(self, register: Any) -> None:
            raise KeyError("title")

    plugins.register_plugin(Faulty(), name="faulty")
    try:
        with pytest.raises(RegistryError, match=r"plugin 'faulty' failed to register its skills: KeyError"):
            collect_skills()
    finally:
        plugins.unregister_plugin("faulty")


def test_a_plugin_can_add_a_cli_command(sixth_skill: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run_cli(cli, ["podcast-clipper-info"]) == 0
    assert "Podcast Clipper 0.3.0" in capsys.readouterr().out
