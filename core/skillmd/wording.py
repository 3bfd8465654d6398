"""Published wording: the seeds' "try saying" examples as complete requests.

A seed example cut off mid-sentence ("generate a 15-second video of a") is
completed from the skill's own concrete request when that request starts with
it, and dropped otherwise, so no listing shows a sentence that stops short.
"""

from __future__ import annotations

import re

from nemo_skills.catalog.skill import Skill

__all__ = ["complete_examples", "is_cut_off"]

# A request never ends on one of these words: one that does was cut off.
_DANGLING = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "for",
        "with",
        "from",
        "into",
        "onto",
        "in",
        "on",
        "at",
        "by",
        "as",
        "and",
        "or",
        "but",
        "my",
        "your",
        "our",
        "their",
        "its",
        "this",
        "that",
        "these",
        "those",
        "some",
        "any",
        "about",
        "like",
        "than",
    ]
)


def is_cut_off(example: str) -> bool:
    """Whether an example stops mid-sentence: empty, or ending on an article, preposition or conjunction."""
    words = re.findall(r"[\w'-]+", example.lower())
    return not words or words[-1] in _DANGLING or example.rstrip().endswith((",", ":", ";", "-", "—"))


def complete_examples(skill: Skill) -> tuple[str, ...]:
    """The skill's examples with each cut-off one completed from `example_request`, or dropped."""
    out: list[str] = []
    for example in skill.examples:
        if is_cut_off(example):
            request = skill.example_request.strip()
            if not (request.lower().startswith(example.strip().lower()) and not is_cut_off(request)):
                continue
            example = request
        if example not in out:
            out.append(example)
    return tuple(out)
