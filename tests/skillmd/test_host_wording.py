"""What hosts and skill scanners read: install spec, license, title, clean wording, complete examples."""

from __future__ import annotations

import re

import pytest

from nemo_skills.catalog.registry import get_catalog
from nemo_skills.catalog.skill import Skill
from nemo_skills.skillmd.generate import Format, Mode, render_skill_md
from nemo_skills.skillmd.wording import complete_examples, is_cut_off
from tests.skillmd.test_generate import BUILT_INS, parse

MODES = [(f, m) for f in Format for m in Mode]
# Wording a capability scanner reads as a destructive action or an environment write.
ALARMING = [r"\bdrop your\b", r"\bunset\b", r"\bdelete\b", r"\brm -", r"\bexport [A-Z_]+="]


def _try_saying(body: str) -> list[str]:
    block = body.split("Try saying:", 1)[1].split("\n\n", 2)[1]
    return re.findall(r'^- "(.*)"$', block, re.MULTILINE)


@pytest.mark.parametrize("name", BUILT_INS)
def test_cli_mode_offers_the_package_that_provides_the_binary(name: str) -> None:
    data, body = parse(render_skill_md(get_catalog().get(name), mode=Mode.CLI))
    claw = data["metadata"]["openclaw"]
    assert claw["requires"]["bins"] == ["nemo-skills"]
    [entry] = claw["install"]
    assert (entry["kind"], entry["package"], entry["bins"]) == ("uv", "nemo-skills", ["nemo-skills"])
    # The body's set-up line installs exactly what the install entry declares.
    assert "`uv tool install nemo-skills`" in body


def test_api_mode_has_no_install_spec_for_a_binary_it_does_not_use() -> None:
    data, _ = parse(render_skill_md(get_catalog().get("nemo-video-gen"), mode=Mode.API))
    assert "install" not in data["metadata"]["openclaw"]


@pytest.mark.parametrize(("fmt", "mode"), MODES)
@pytest.mark.parametrize("name", BUILT_INS)
def test_every_skill_publishes_a_license_and_its_declared_title(name: str, fmt: Format, mode: Mode) -> None:
    skill = get_catalog().get(name)
    data, body = parse(render_skill_md(skill, format=fmt, mode=mode))
    assert data["license"] == "MIT-0"
    assert data["metadata"]["title"] == skill.title
    assert body.lstrip().startswith(f"# {skill.title} — ")


def test_a_registry_license_override_is_what_gets_published() -> None:
    skill = get_catalog().get("video-leonardo")
    data, _ = parse(render_skill_md(skill.with_overrides({"license": "Apache-2.0"})))
    assert data["license"] == "Apache-2.0"
    data, _ = parse(render_skill_md(skill.with_overrides({"license": None})))
    assert "license" not in data


def test_ai_video_maker_sora_keeps_its_capitals() -> None:
    data, body = parse(render_skill_md(get_catalog().get("ai-video-maker-sora")))
    assert data["metadata"]["title"] == "AI Video Maker Sora"
    assert "Ai Video Maker" not in body


@pytest.mark.parametrize(("fmt", "mode"), MODES)
@pytest.mark.parametrize("name", BUILT_INS)
def test_no_wording_reads_as_a_destructive_or_environment_changing_capability(
    name: str, fmt: Format, mode: Mode
) -> None:
    text = render_skill_md(get_catalog().get(name), format=fmt, mode=mode)
    found = [p for p in ALARMING if re.search(p, text, re.IGNORECASE)]
    assert found == []


@pytest.mark.parametrize(("fmt", "mode"), MODES)
@pytest.mark.parametrize("name", BUILT_INS)
def test_every_example_shown_is_a_complete_request(name: str, fmt: Format, mode: Mode) -> None:
    skill = get_catalog().get(name)
    shown = _try_saying(parse(render_skill_md(skill, format=fmt, mode=mode))[1])
    assert shown and [e for e in shown if is_cut_off(e)] == []
    # Every seed example is there, whole or completed: none is silently shortened.
    for example in skill.examples:
        assert any(s.startswith(example) for s in shown) or is_cut_off(example)


def test_the_cut_off_nemo_video_gen_example_is_completed_from_its_request() -> None:
    skill = get_catalog().get("nemo-video-gen")
    assert "generate a 15-second video of a" in skill.examples  # the seed's words, kept in the plugin
    assert complete_examples(skill) == (
        "generate my text prompts or clips",
        "export 1080p MP4",
        "generate a 15-second video of a sunset beach from a text description",
    )


def test_a_cut_off_example_with_nothing_to_complete_it_is_dropped() -> None:
    skill: Skill = (
        get_catalog()
        .get("video-leonardo")
        .model_copy(update={"examples": ("turn this photo into a clip of the", "animate my images")})
    )
    assert complete_examples(skill) == ("animate my images",)


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        ("generate a 15-second video of a", True),
        ("make a video with", True),
        ("", True),
        ("export 1080p MP4", False),
        ("turn this image into a 5-second animated video clip", False),
    ],
)
def test_is_cut_off(text: str, cut: bool) -> None:
    assert is_cut_off(text) is cut
