"""The built-in routing policy, as an ordinary plugin: first matching rule wins.

Rule scores step down by ten so that a third-party plugin can slot a claim
above or between them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from nemo_skills.catalog.claims import Claim, RouteRequest
from nemo_skills.catalog.hookspecs import hookimpl
from nemo_skills.catalog.skill import Skill
from nemo_skills.files.links import find_links
from nemo_skills.files.media import InputKind

# Claims built through the validator, skipping BaseModel.__init__: this runs for every request routed.
_claim: Callable[[dict[str, Any]], Claim] = Claim.__pydantic_validator__.validate_python
_URL, _TEXT = InputKind.URL.value, InputKind.TEXT.value

NAMED, URL, DOCUMENT, VIDEO, IMAGES, TEXT, AUDIO = 100.0, 90.0, 80.0, 70.0, 60.0, 50.0, 40.0
CAPABLE = 10.0

GENERATOR_BY_LINK = "generator-by-link"
SORA = "ai-video-maker-sora"
EDITOR = "free-generator-editor"
LEONARDO = "video-leonardo"
VIDEO_GEN = "nemo-video-gen"

# Scripts written without spaces between words (Chinese, Japanese, Korean next to Latin letters): a
# character of theirs ends a Latin word, where Python's Unicode `\b` sees no boundary ("用sora做").
_UNSPACED = (
    "\u2e80-\u2fff\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_EDIT = r"(transitions?|music|bgm|edit(?:s|ing)?|cut|trim(?:med|ming)?|montage|slide ?show)"


def _words(pattern: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The pattern as a whole word: a fast `\b` form, and one that also ends words at unspaced script."""
    mixed = f"(?<![^\\W{_UNSPACED}]){pattern}(?![^\\W{_UNSPACED}])"
    return re.compile(rf"\b{pattern}\b", re.IGNORECASE), re.compile(mixed, re.IGNORECASE)


_EDIT_WORDS, _SORA_WORD = _words(_EDIT), _words("sora")
_SEPARATORS = re.compile(r"[\W_]+")
_UNSPACED_RUN = re.compile(f"[{_UNSPACED}]+")
_WORD_GAP, _WORD_END = r"[\W_]+", r"(?![^\W_])"
# Checked after the first letter: each alternative then starts with a literal, so the regex engine skips
# ahead to the letters that can start a phrase instead of trying every alternative at every position.
_AFTER_WORD_START = r"(?<![^\W_].)"


def _ascii_alternative(words: list[str]) -> str:
    """A phrase's words as one alternative: its first letter, a word start before it, then a group."""
    first, rest = words[0][0], words[0][1:]
    tail = "".join(_WORD_GAP + re.escape(w) for w in words[1:])
    return f"{re.escape(first)}{_AFTER_WORD_START}({re.escape(rest)}{tail}){_WORD_END}"


def _spaced(run: re.Match[str]) -> str:
    return " " + " ".join(run.group()) + " "


def _says(words: tuple[re.Pattern[str], re.Pattern[str]], text: str) -> bool:
    # Every `\b` boundary is one of the mixed form's too, so ASCII text needs only the fast form.
    return words[0].search(text) is not None or (not text.isascii() and words[1].search(text) is not None)


def _normalise(text: str) -> str:
    text = text.lower()
    if not text.isascii():
        # Each unspaced-script character stands alone, so a name written inside such text is found.
        text = _UNSPACED_RUN.sub(_spaced, text)
    return " " + _SEPARATORS.sub(" ", text).strip() + " "


class _SkillSet:
    """What the policy needs of a set of skills, worked out once: their phrases and accepted inputs."""

    def __init__(self, members: tuple[Skill, ...]) -> None:
        self.members = members  # kept alive, so the ids that key this set are not reused
        self.by_phrase: dict[str, Skill] = {}
        for skill in members:
            for phrase in (skill.name, skill.title, *skill.route_keywords):
                if phrase.strip():
                    self.by_phrase.setdefault(_normalise(phrase), skill)
        # One search for all phrases. At the earliest match the first alternative wins, and they are
        # in skill order: the earliest mention, ties to the first skill, as a search per phrase would.
        alternatives = "|".join(re.escape(p) for p in self.by_phrase)
        self.phrases = re.compile(alternatives) if alternatives else None
        # ASCII text is searched as it is, lower-cased: a phrase's words with separators between them and
        # none of a longer word around them. The same matches, in the same order, as on the normalised
        # text, without rewriting the text. Each alternative is a group, so lastindex names its skill.
        words = [phrase.split() for phrase in self.by_phrase]
        self.ascii_phrases = (
            re.compile("|".join(_ascii_alternative(w) for w in words)) if words and all(words) else None
        )
        self.phrase_skills = list(self.by_phrase.values())
        self.accepts = [(skill, frozenset(k.value for k in skill.inputs)) for skill in members]
        # The router only reads claims, so one per named skill serves every request that names it.
        self.naming = {
            skill.name: _claim(
                {"skill": skill.name, "score": NAMED, "reason": f"the request names {skill.title}"}
            )
            for skill in members
        }
        self._capable: dict[tuple[frozenset[str], str], list[Claim]] = {}

    def named(self, text: str) -> Skill | None:
        """The skill the text names, earliest mention first."""
        if self.ascii_phrases is not None and text.isascii():
            found = self.ascii_phrases.search(text.lower())
            return self.phrase_skills[found.lastindex - 1] if found is not None and found.lastindex else None
        if self.phrases is None:
            return None
        match = self.phrases.search(_normalise(text))
        return self.by_phrase[match.group()] if match is not None else None

    def capable(self, kinds: frozenset[str], winner: str) -> list[Claim]:
        """The low claims of the other skills that accept every kind of input given."""
        key = (kinds, winner)
        claims = self._capable.get(key)
        if claims is None:
            # Made once per kinds and winner: the router only reads claims, so they can be shared.
            reason = "accepts " + ", ".join(sorted(kinds))
            claims = self._capable[key] = [
                _claim({"skill": skill.name, "score": CAPABLE, "reason": reason})
                for skill, accepted in self.accepts
                if skill.name != winner and kinds <= accepted
            ]
        return claims


_sets: dict[tuple[int, ...], _SkillSet] = {}


def _skill_set(skills: dict[str, Skill]) -> _SkillSet:
    key = tuple(map(id, skills.values()))
    found = _sets.get(key)
    if found is None:
        if len(_sets) > 32:
            _sets.clear()
        found = _sets[key] = _SkillSet(tuple(skills.values()))
    return found


def named_skill(text: str, skills: dict[str, Skill]) -> Skill | None:
    """The skill the text names (by name, title or keyword), earliest mention first."""
    return _skill_set(skills).named(text)


def _without_urls(text: str) -> str:
    # A link's slug ("/why-video-leonardo-is-great") does not name the skill to use.
    for url in find_links(text):
        text = text.replace(url, " ")
    return text


def _asks_for_sora(text: str) -> bool:
    # Most prompts do not contain the letters at all: skip the word search for them.
    return (not text.isascii() or "sora" in text.lower()) and _says(_SORA_WORD, text)


def _policy(request: RouteRequest, skills: _SkillSet, urls: list[str]) -> Claim | None:
    named = skills.named(_without_urls(request.text))
    if named is not None:
        return skills.naming[named.name]
    if not request.files and not urls:  # text alone, the common request: no file rules to try
        if request.text.strip():
            return _text_claim(request.text)
        return None
    kinds = request.kinds()
    images = kinds.count(InputKind.IMAGE)
    videos = kinds.count(InputKind.VIDEO)
    audio = kinds.count(InputKind.AUDIO)
    documents = kinds.count(InputKind.DOCUMENT)
    if urls and not (images or videos or audio):
        return _claim(
            {"skill": GENERATOR_BY_LINK, "score": URL, "reason": f"a link to turn into a video ({urls[0]})"}
        )
    if documents:
        return _claim(
            {"skill": SORA, "score": DOCUMENT, "reason": "a document whose text becomes the prompt"}
        )
    if videos:
        return _claim({"skill": EDITOR, "score": VIDEO, "reason": f"{videos} video clip(s) to edit"})
    if images:
        if _says(_EDIT_WORDS, request.text):
            return _claim({"skill": EDITOR, "score": IMAGES, "reason": "images with an editing request"})
        if images >= 2 and audio:
            return _claim(
                {"skill": EDITOR, "score": IMAGES, "reason": f"{images} images plus audio to cut together"}
            )
        return _claim({"skill": LEONARDO, "score": IMAGES, "reason": f"{images} image(s) to animate"})
    if audio:
        return _claim({"skill": VIDEO_GEN, "score": AUDIO, "reason": "audio to build a video around"})
    if request.text.strip():
        return _text_claim(request.text)
    return None


_SORA_PROMPT = _claim({"skill": SORA, "score": TEXT, "reason": "a text prompt that asks for Sora"})
_PROMPT = _claim({"skill": VIDEO_GEN, "score": TEXT, "reason": "a text prompt to generate from"})
_TEXT_ONLY = frozenset({_TEXT})


def _text_claim(text: str) -> Claim:
    return _SORA_PROMPT if _asks_for_sora(text) else _PROMPT


@hookimpl(trylast=True)
def route_input(request: RouteRequest, skills: dict[str, Skill]) -> list[Claim] | None:
    """Claim the input by the built-in policy; other able skills get a low score."""
    known = _skill_set(skills)
    text = request.text
    # Every link has "://" (see find_links): without it and without given URLs, there is no link.
    if not request.files and not request.urls and "://" not in text:
        # Text alone, the common request: the skill it names, else the text rules.
        named = known.named(text)
        if named is not None:
            alone = known.naming[named.name]
        elif text.strip():
            alone = _text_claim(text)
        else:
            return None
        return [alone, *known.capable(_TEXT_ONLY, alone.skill)]
    urls = request.all_urls
    winner = _policy(request, known, urls)
    if winner is None:
        return None
    if not request.files and not urls:  # text alone: the one kind is text
        return [winner, *known.capable(_TEXT_ONLY, winner.skill)]
    # Input kinds by value: a set of strings hashes in C, a set of enum members in Python.
    kinds = {k.value for k in request.kinds()}
    if urls:
        kinds.add(_URL)
    if request.text.strip():
        kinds.add(_TEXT)
    if not kinds:
        return [winner]
    return [winner, *known.capable(frozenset(kinds), winner.skill)]
