"""Each built-in skill declares its seed's own values."""

from __future__ import annotations

import re

import pytest

from nemo_skills.catalog.registry import collect_skills
from nemo_skills.catalog.skill import LanguageMode, Skill
from nemo_skills.files.media import InputKind
from tests.conftest import SEEDS

BUILT_INS = (
    "nemo-video-gen",
    "generator-by-link",
    "ai-video-maker-sora",
    "free-generator-editor",
    "video-leonardo",
)


def _seed(name: str) -> str:
    return (SEEDS / f"{name}.txt").read_text(encoding="utf-8")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).lower()


@pytest.fixture(params=BUILT_INS)
def skill_and_seed(request: pytest.FixtureRequest) -> tuple[Skill, str]:
    skills = {name: s for name, (s, _) in collect_skills().items()}
    return skills[request.param], _seed(request.param)


def test_all_five_builtins_register() -> None:
    assert set(BUILT_INS) <= set(collect_skills())


def test_name_is_the_seeds_skill_source(skill_and_seed: tuple[Skill, str]) -> None:
    skill, seed = skill_and_seed
    assert re.search(rf"X-Skill-Source\s*(is|\|)\s*{re.escape(skill.name)}", seed)


def test_title_and_tagline_match_the_seed_heading(skill_and_seed: tuple[Skill, str]) -> None:
    skill, seed = skill_and_seed
    assert f"{skill.title} — {skill.tagline}" in seed


def test_max_upload_matches_the_seed(skill_and_seed: tuple[Skill, str]) -> None:
    skill, seed = skill_and_seed
    assert f"Max file size is {skill.max_upload_mb}MB" in seed


def test_recommended_formats_match_the_seed(skill_and_seed: tuple[Skill, str]) -> None:
    skill, seed = skill_and_seed
    m = re.search(r"Stick to ([A-Za-z0-9, ]+) for the smoothest experience", seed)
    assert m is not None
    assert [f.strip().upper() for f in m.group(1).split(",")] == list(skill.recommended_formats)


def test_try_saying_examples_are_the_seeds(skill_and_seed: tuple[Skill, str]) -> None:
    skill, seed = skill_and_seed
    block = seed.split("Try saying:", 1)[1].split("Getting Connected")[0].split("Automatic Setup")[0]
    block = block.split("First-Time Connection")[0]
    quoted = [q.strip() for q in re.findall(r'"([^"]+)"', block)]
    assert quoted == list(skill.examples)


def test_turnaround_example_and_tips_appear_in_the_seed(skill_and_seed: tuple[Skill, str]) -> None:
    skill, seed = skill_and_seed
    flat = _flat(seed)
    assert skill.typical_turnaround.lower() in flat
    assert skill.example_request.lower() in flat
    assert skill.example_input.lower() in flat
    assert skill.export_tip.lower() in flat
    for tip in skill.tips:
        assert tip.lower().rstrip(".") in flat
    assert skill.setup_status.lower() in flat


def test_session_language_follows_the_seed(skill_and_seed: tuple[Skill, str]) -> None:
    skill, seed = skill_and_seed
    if 'body {"task_name":"project"}.' in seed:
        assert skill.language_mode is LanguageMode.OMIT
        assert skill.session_language("hello") is None
    elif '"language":"<detected>"' in seed:
        assert skill.language_mode is LanguageMode.DETECTED
        assert skill.session_language("把这些剪辑在一起") == "zh"
        assert skill.session_language("cut these together") == "en"
    else:
        assert '"language":"en"' in seed
        assert skill.session_language("把这些剪辑在一起") == "en"


def test_every_skill_carries_the_one_license_the_seed_states() -> None:
    skills = {name: s for name, (s, _) in collect_skills().items()}
    assert "MIT-0" in _seed("nemo-video-gen")
    assert {s.license for s in skills.values()} == {"MIT-0"}
    assert skills["nemo-video-gen"].version == "1.0.0"
    # The registry may publish a skill under another license, or none.
    assert skills["video-leonardo"].with_overrides({"license": None}).license is None
    assert skills["video-leonardo"].with_overrides({"license": "Apache-2.0"}).license == "Apache-2.0"


def test_inputs_follow_what_the_user_brings() -> None:
    skills = {name: s for name, (s, _) in collect_skills().items()}
    assert skills["generator-by-link"].accepts(InputKind.URL)
    assert skills["ai-video-maker-sora"].accepts(InputKind.DOCUMENT)
    assert skills["video-leonardo"].accepts(InputKind.IMAGE)
    assert skills["free-generator-editor"].accepts(InputKind.VIDEO)
    assert not skills["video-leonardo"].accepts(InputKind.DOCUMENT)


def test_prompt_templates_render_with_the_common_variables(skill_and_seed: tuple[Skill, str]) -> None:
    skill, _ = skill_and_seed
    out = skill.render_prompt(
        text="a sunset", files=["a.jpg"], urls=["https://example.com/x"], document="", document_name=""
    )
    assert "a sunset" in out or "https://example.com/x" in out


def test_a_template_missing_a_field_names_skill_and_field() -> None:
    from nemo_skills.errors import InputError

    skill = collect_skills()["video-leonardo"][0].with_overrides({"prompt_template": "{{ nope }}"})
    with pytest.raises(InputError, match=r"video-leonardo.*nope"):
        skill.render_prompt(text="x")


def test_a_name_longer_than_the_agent_skills_limit_is_refused() -> None:
    from pydantic import ValidationError

    base = collect_skills()["video-leonardo"][0]
    assert base.with_overrides({"name": "v" * 64}).name == "v" * 64
    with pytest.raises(ValidationError, match="at most 64 characters"):
        base.with_overrides({"name": "v" * 65})


def test_the_summary_follows_an_overridden_limit() -> None:
    skill = collect_skills()["nemo-video-gen"][0]
    assert "up to 200MB" in skill.description
    assert "up to 100MB" in skill.with_overrides({"max_upload_mb": 100}).description
