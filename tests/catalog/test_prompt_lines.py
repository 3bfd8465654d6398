"""The lines a chat message carries besides the user's words: written for every skill, read back by the agent."""

from __future__ import annotations

import pytest

from nemo_skills import protocol
from nemo_skills.catalog.registry import get_catalog
from nemo_skills.catalog.skill import Skill

SKILLS = get_catalog().skills()


@pytest.mark.parametrize("skill", SKILLS, ids=lambda s: s.name)
def test_every_skill_names_its_uploads_in_a_line_the_agent_reads_back(skill: Skill) -> None:
    names = ["beach.jpg", "my clip.mp4"]
    prompt = skill.render_prompt(text="a sunset", files=names, urls=[], document="", document_name="")
    rest, read = protocol.read_files_line(prompt)
    assert read == names
    assert rest.strip() == "a sunset"


@pytest.mark.parametrize("skill", SKILLS, ids=lambda s: s.name)
def test_without_uploads_there_is_no_files_line(skill: Skill) -> None:
    prompt = skill.render_prompt(text="a sunset", files=[], urls=[], document="", document_name="")
    assert protocol.read_files_line(prompt) == (prompt, [])


def test_a_document_block_is_read_back_apart_from_the_request_and_the_files() -> None:
    sora = get_catalog().get("ai-video-maker-sora")
    story = "A keeper finds a bottle.\n\nInside, a map."
    prompt = sora.render_prompt(
        text="", files=["photo.png"], urls=[], document=story, document_name="story.txt"
    )
    assert prompt.startswith("Generate a video from this document.\n\nDocument (story.txt):\n")
    assert protocol.read_document_block(prompt) == ("story.txt", story + "\n")
    request, block = protocol.split_document_block(prompt)
    assert block == protocol.document_block("story.txt", story) + "\n"
    assert protocol.read_files_line(request) == ("Generate a video from this document.\n\n", ["photo.png"])


def test_a_person_may_type_the_short_form() -> None:
    assert protocol.read_files_line("add music. uploaded file: song.mp3")[1] == ["song.mp3"]
