"""The plugin API: one import line for a plugin, served and routed, and a small import closure."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import nemo_skills
from nemo_skills.catalog import plugins
from nemo_skills.catalog.registry import get_catalog

# A third-party plugin, written as docs/plugins.md shows: everything from one import line.
KARAOKE_PLUGIN = """
from nemo_skills import Claim, InputKind, LanguageMode, Skill, hookimpl

SKILL = Skill(
    name="karaoke-maker",
    version="0.1.0",
    title="Karaoke Maker",
    tagline="Turn Lyrics into Karaoke Videos",
    summary="Send lyrics and get a karaoke video with bouncing captions.",
    license="MIT-0",
    inputs=(InputKind.TEXT, InputKind.AUDIO),
    input_noun="lyrics",
    max_upload_mb=50,
    recommended_formats=("MP3",),
    examples=("a karaoke video of these lyrics",),
    typical_turnaround="1-2 minutes",
    example_request="a karaoke video of these lyrics",
    example_input="song lyrics",
    tips=("Paste the lyrics in order.",),
    language_mode=LanguageMode.DETECTED,
    prompt_template="{{ text }}",
)


@hookimpl
def register_skills(register):
    register(SKILL)


@hookimpl
def route_input(request, skills):
    if "karaoke" in request.text:
        return Claim(skill=SKILL.name, score=95, reason="lyrics to sing along")
    return None
"""


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def karaoke_plugin(tmp_path: Path) -> Iterator[ModuleType]:
    """The karaoke plugin, registered for one test."""
    source = tmp_path / "karaoke_maker.py"
    source.write_text(KARAOKE_PLUGIN, encoding="utf-8")
    module = _load(source)
    plugins.register_plugin(module, name="karaoke_maker")
    try:
        yield module
    finally:
        plugins.unregister_plugin("karaoke_maker")


def test_the_plugin_api_is_one_import_from_the_package() -> None:
    from nemo_skills import Claim, InputKind, LanguageMode, RouteRequest, Skill, hookimpl
    from nemo_skills.catalog import claims, hookspecs, skill
    from nemo_skills.files import media

    assert hookimpl is hookspecs.hookimpl
    assert (Skill, LanguageMode) == (skill.Skill, skill.LanguageMode)
    assert (Claim, RouteRequest) == (claims.Claim, claims.RouteRequest)
    assert InputKind is media.InputKind


def test_a_plugin_written_with_the_one_import_line_is_served_and_routed(karaoke_plugin: ModuleType) -> None:
    assert get_catalog().get("karaoke-maker").max_upload_mb == 50
    choice = nemo_skills.route("a karaoke video of my favourite song")
    assert (choice.skill, choice.reason) == ("karaoke-maker", "lyrics to sing along")


def test_the_package_renders_a_plugins_skill_md(karaoke_plugin: ModuleType) -> None:
    text = nemo_skills.generate_skill_md(karaoke_plugin.SKILL, format="clawhub", mode="api")
    assert text.startswith("---\nname: karaoke-maker\n")
    assert "| `X-Skill-Source` | `karaoke-maker` |" in text and "at most 50MB" in text


@pytest.mark.parametrize("name", ["hookspecs", "media", "router", "skill", "generate"])
def test_the_flat_paths_from_before_the_layers_are_gone(name: str) -> None:
    # Nothing was published with them: a plugin imports from `nemo_skills` (or the layer's own module).
    assert importlib.util.find_spec(f"nemo_skills.{name}") is None


# What a skill plugin must never drag in: an HTTP client, a terminal UI, the local backend or the layers above
# the catalog. A host that only routes, or lists skills, pays for none of it.
HEAVY = [
    "httpx",
    "httpx_sse",
    "click",
    "rich",
    "nemo_skills.client",
    "nemo_skills.cli",
    "nemo_skills.local",
    "nemo_skills.jobs",
    "nemo_skills.host",
]

CLOSURE_PROBE = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys

    import nemo_skills.skills
    from nemo_skills import Claim, InputKind, LanguageMode, RouteRequest, Skill, hookimpl
    from nemo_skills.catalog import plugins
    from nemo_skills.catalog.registry import collect_skills
    from nemo_skills.catalog.router import route

    modules = [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(nemo_skills.skills.__path__, "nemo_skills.skills.")
    ]
    plugins.load_plugins()
    skills = sorted(collect_skills())
    chosen = route("a 5-second sunset over a city skyline").skill
    heavy = [name for name in sys.argv[1:] if name in sys.modules]
    print(json.dumps({"modules": len(modules), "plugins": plugins.plugin_names(), "skills": skills,
                      "chosen": chosen, "heavy": heavy}))
    """
)


def test_the_skill_plugins_import_no_http_client_cli_or_local_backend() -> None:
    builtins = [dotted.rsplit(".", 1)[1] for dotted in plugins.DEFAULT_PLUGINS]
    # Only the built-ins: a third-party plugin installed alongside is not what this test is about.
    env = {"NEMO_SKILLS_PLUGINS": ",".join(builtins), "PATH": ""}
    out = subprocess.run(
        [sys.executable, "-c", CLOSURE_PROBE, *HEAVY], env=env, capture_output=True, text=True, check=True
    )
    report = json.loads(out.stdout)
    assert report["modules"] >= len(builtins)
    assert sorted(report["plugins"]) == sorted(builtins)
    assert len(report["skills"]) == 5 and report["chosen"] == "nemo-video-gen"
    assert report["heavy"] == []
