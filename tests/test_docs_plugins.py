"""docs/plugins.md documents every hook, the Skill fields and the claim scores, and its example plugin runs."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import pytest
from click.testing import CliRunner

import nemo_skills
from nemo_skills.catalog import plugins
from nemo_skills.catalog.skill import LanguageMode, Skill
from nemo_skills.files.media import InputKind
from nemo_skills.skills import default_routing

DOC = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"
TEXT = DOC.read_text(encoding="utf-8")
# A hook's heading: ### `name(param, param)`
HEADING = re.compile(r"^### `(\w+)\(([^)]*)\)`$", re.MULTILINE)


def _hookspecs() -> dict[str, Callable[..., Any]]:
    """Every hook specification the plugin manager knows, by name."""
    relay = vars(plugins.pm.hook)
    return {name: caller.spec.function for name, caller in relay.items() if getattr(caller, "spec", None)}


def _signature(func: Callable[..., Any]) -> str:
    # The specs use postponed annotations, so each annotation is the source text.
    sig = inspect.signature(func)
    params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
    return f"def {func.__name__}({params}) -> {sig.return_annotation}: ..."


def test_the_plugin_manager_has_hooks_to_document() -> None:
    assert {"register_skills", "route_input", "register_commands"} <= set(_hookspecs())


@pytest.mark.parametrize("name", sorted(_hookspecs()))
def test_every_hook_is_documented_with_its_exact_parameters(name: str) -> None:
    documented = {hook: params for hook, params in HEADING.findall(TEXT)}
    assert name in documented, f"docs/plugins.md has no '### `{name}(...)`' section"
    spec = _hookspecs()[name]
    params = [p.strip() for p in documented[name].split(",") if p.strip()]
    assert params == list(inspect.signature(spec).parameters)
    assert _signature(spec) in TEXT, f"docs/plugins.md does not show the signature of {name}"


def test_no_documented_hook_is_missing_from_the_plugin_manager() -> None:
    assert {hook for hook, _ in HEADING.findall(TEXT)} <= set(_hookspecs())


def test_the_entry_point_group_and_the_allowlist_are_named() -> None:
    assert f"[project.entry-points.{plugins.ENTRY_POINT_GROUP}]" in TEXT
    assert f"`{plugins.ENV_ALLOWLIST}" in TEXT


def test_every_skill_field_and_choice_is_documented() -> None:
    missing = [field for field in Skill.model_fields if f"| `{field}` |" not in TEXT]
    assert missing == []
    assert all(f"`{kind.name}`" in TEXT for kind in InputKind)
    assert all(f"`{mode.name}`" in TEXT for mode in LanguageMode)


def test_the_score_table_matches_the_built_in_policy() -> None:
    rungs = {
        value for name, value in vars(default_routing).items() if name.isupper() and isinstance(value, float)
    }
    assert len(rungs) == 8
    missing = [score for score in sorted(rungs) if not re.search(rf"^\| {score:g} \|", TEXT, re.MULTILINE)]
    assert missing == []


def _example_source() -> str:
    section = TEXT.split("## A whole plugin", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None
    return match.group(1)


@pytest.fixture
def example_plugin() -> Iterator[ModuleType]:
    """The documented plugin, registered for one test."""
    module = ModuleType("podcast_clipper")
    exec(compile(_example_source(), "docs/plugins.md", "exec"), vars(module))
    plugins.register_plugin(module, name="podcast_clipper")
    try:
        yield module
    finally:
        plugins.unregister_plugin("podcast_clipper")


def test_the_documented_plugin_is_served_routed_and_adds_a_command(
    example_plugin: ModuleType, tmp_path: Path
) -> None:
    skill = nemo_skills.get_skill("podcast-clipper")
    assert skill.description.endswith("up to 300 MB.")
    episode = tmp_path / "episode.mp3"
    episode.write_bytes(b"ID3\x04\x00" + bytes(64))
    choice = nemo_skills.route(files=[episode])
    assert (choice.skill, choice.reason) == ("podcast-clipper", "podcast audio to clip")
    assert nemo_skills.route("make a podcast clip of the interview").skill == "podcast-clipper"
    group = click.Group()
    example_plugin.register_commands(cli=group)
    result = CliRunner().invoke(group, ["podcast-clipper-info"])
    assert result.exit_code == 0 and "Podcast Clipper 0.3.0" in result.output
