"""A third-party plugin as an outside package would write it: a sixth skill and a routing claim."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from nemo_skills import Claim, InputKind, LanguageMode, RouteRequest, Skill, hookimpl

SKILL = Skill(
    name="podcast-clipper",
    version="0.3.0",
    title="Podcast Clipper",
    tagline="Turn Podcast Audio into Captioned Clips",
    summary="Send a podcast episode and get a captioned vertical clip of its best moment as a 1080p MP4.",
    license="MIT-0",
    emoji="🎙",
    inputs=(InputKind.AUDIO, InputKind.TEXT),
    input_noun="podcast audio",
    max_upload_mb=300,
    recommended_formats=("MP3", "WAV", "M4A"),
    examples=("clip the funniest minute of this episode", "make a 30-second vertical teaser"),
    typical_turnaround="1-2 minutes",
    example_request="make a 30-second vertical teaser",
    example_input="a podcast episode",
    tips=("Name the moment you want, or let it pick the liveliest one.",),
    language_mode=LanguageMode.DETECTED,
    prompt_template="{{ text if text else 'Make a 30-second vertical teaser.' }}",
)


@hookimpl
def register_skills(register: Callable[[Skill], None]) -> None:
    """Register podcast-clipper."""
    register(SKILL)


@hookimpl
def route_input(request: RouteRequest, skills: dict[str, Skill]) -> Claim | None:
    """Claim audio-only requests, above the built-in policy."""
    kinds = set(request.kinds())
    if kinds == {InputKind.AUDIO}:
        return Claim(skill=SKILL.name, score=95.0, reason="podcast audio to clip")
    return None


@hookimpl
def register_commands(cli: Any) -> None:
    """Add a `podcast-clipper-info` command."""

    @cli.command(name="podcast-clipper-info")
    def info() -> None:
        """Say what the podcast clipper plugin adds."""
        click.echo(f"{SKILL.title} {SKILL.version}: {SKILL.tagline}")
