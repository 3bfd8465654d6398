"""ai-video-maker-sora: videos from text prompts or documents."""

from __future__ import annotations

from collections.abc import Callable

from nemo_skills.catalog.hookspecs import hookimpl
from nemo_skills.catalog.skill import LanguageMode, Skill
from nemo_skills.files.media import InputKind

SKILL = Skill(
    name="ai-video-maker-sora",
    version="1.0.0",
    title="AI Video Maker Sora",
    tagline="Generate Videos from Text Prompts",
    summary=(
        "Generate videos from text prompts using Sora-style AI: turn a short text description of a scene "
        "(or a TXT, DOCX or PDF document) into a 1080p MP4 in about 1-3 minutes."
    ),
    inputs=(InputKind.TEXT, InputKind.DOCUMENT, InputKind.IMAGE),
    input_noun="text prompts",
    max_upload_mb=200,
    recommended_formats=("TXT", "DOCX", "PDF", "PNG"),
    examples=(
        "generate a short text description of a scene into a 1080p MP4",
        "generate a 10-second video of a sunset over a city skyline",
        "generating videos from text prompts using Sora-style AI for content creators",
    ),
    typical_turnaround="1-3 minutes",
    example_request="generate a 10-second video of a sunset over a city skyline",
    example_input="a short text description of a scene",
    audience="content creators",
    tips=("Shorter, more specific prompts tend to produce more accurate video results.",),
    export_tip="Export as MP4 for widest compatibility.",
    language_mode=LanguageMode.OMIT,
    language="en",
    setup_status="Setting things up...",
    prompt_template=(
        "{{ text if text else 'Generate a video from this document.' }}"
        "{% if document_block %}\n\n{{ document_block }}{% endif %}"
        "{% if files_line %}\n{{ files_line }}{% endif %}"
    ),
)


@hookimpl
def register_skills(register: Callable[[Skill], None]) -> None:
    """Register ai-video-maker-sora."""
    register(SKILL)
