"""The built-in routing policy, as an ordinary plugin: first matching rule wins.

Rule scores step down by ten so that a third-party plugin can slot a claim
above or between them.
"""

from __future__ import annotations

import re

from nemo_skills.catalog.claims import Claim, RouteRequest
from nemo_skills.catalog.hookspecs import hookimpl
from nemo_skills.catalog.skill import Skill
from nemo_skills.files.links import find_links
from nemo_skills.files.media import InputKind

NAMED, URL, DOCUMENT, VIDEO, IMAGES, TEXT, AUDIO = 100.0, 90.0, 80.0, 70.0, 60.0, 50.0, 40.0
CAPABLE = 10.0

GENERATOR_BY_LINK = "generator-by-link"
SORA = "ai-video-maker-sora"
EDITOR = "free-generator-editor"
LEONARDO = "video-leonardo"
VIDEO_GEN = "nemo-video-gen"

_EDIT_WORDS = re.compile(
    r"\b(transitions?|music|bgm|edit(?:s|ing)?|cut|trim(?:med|ming)?|montage|slide ?show)\b", re.IGNORECASE
)
_SORA_WORD = re.compile(r"\bsora\b", re.IGNORECASE)


def _normalise(text: str) -> str:
    return " " + re.sub(r"[\W_]+", " ", text.lower()).strip() + " "


def named_skill(text: str, skills: dict[str, Skill]) -> Skill | None:
    """The skill the text names (by name, title or keyword), earliest mention first."""
    haystack = _normalise(text)
    found: list[tuple[int, Skill]] = []
    for skill in skills.values():
        for phrase in (skill.name, skill.title, *skill.route_keywords):
            at = haystack.find(_normalise(phrase))
            if at >= 0:
                found.append((at, skill))
    return min(found, key=lambda f: f[0])[1] if found else None


def _without_urls(text: str) -> str:
    # A link's slug ("/why-video-leonardo-is-great") does not name the skill to use.
    for url in find_links(text):
        text = text.replace(url, " ")
    return text


def _policy(request: RouteRequest, skills: dict[str, Skill]) -> Claim | None:
    named = named_skill(_without_urls(request.text), skills)
    if named is not None:
        return Claim(skill=named.name, score=NAMED, reason=f"the request names {named.title}")
    images = request.count(InputKind.IMAGE)
    videos = request.count(InputKind.VIDEO)
    audio = request.count(InputKind.AUDIO)
    documents = request.count(InputKind.DOCUMENT)
    urls = request.all_urls
    if urls and not (images or videos or audio):
        return Claim(skill=GENERATOR_BY_LINK, score=URL, reason=f"a link to turn into a video ({urls[0]})")
    if documents:
        return Claim(skill=SORA, score=DOCUMENT, reason="a document whose text becomes the prompt")
    if videos:
        return Claim(skill=EDITOR, score=VIDEO, reason=f"{videos} video clip(s) to edit")
    if images:
        if _EDIT_WORDS.search(request.text):
            return Claim(skill=EDITOR, score=IMAGES, reason="images with an editing request")
        if images >= 2 and audio:
            return Claim(skill=EDITOR, score=IMAGES, reason=f"{images} images plus audio to cut together")
        return Claim(skill=LEONARDO, score=IMAGES, reason=f"{images} image(s) to animate")
    if audio:
        return Claim(skill=VIDEO_GEN, score=AUDIO, reason="audio to build a video around")
    if request.text.strip():
        if _SORA_WORD.search(request.text):
            return Claim(skill=SORA, score=TEXT, reason="a text prompt that asks for Sora")
        return Claim(skill=VIDEO_GEN, score=TEXT, reason="a text prompt to generate from")
    return None


@hookimpl(trylast=True)
def route_input(request: RouteRequest, skills: dict[str, Skill]) -> list[Claim] | None:
    """Claim the input by the built-in policy; other able skills get a low score."""
    winner = _policy(request, skills)
    if winner is None:
        return None
    claims = [winner]
    kinds = set(request.kinds())
    if request.all_urls:
        kinds.add(InputKind.URL)
    if request.text.strip():
        kinds.add(InputKind.TEXT)
    for skill in skills.values():
        if skill.name != winner.skill and kinds and kinds <= set(skill.inputs):
            names = ", ".join(sorted(k.value for k in kinds))
            claims.append(Claim(skill=skill.name, score=CAPABLE, reason=f"accepts {names}"))
    return claims
