"""nemo-video-gen: videos from text prompts or clips."""

from __future__ import annotations

from collections.abc import Callable

from nemo_skills.catalog.hookspecs import hookimpl
from nemo_skills.catalog.skill import LanguageMode, Skill
from nemo_skills.files.media import InputKind

SKILL = Skill(
    name="nemo-video-gen",
    version="1.0.0",
    title="Nemo Video Gen",
    tagline="Generate Videos from Text Prompts",
    summary=(
        "Get AI generated videos ready to post, without touching a single slider. Upload your text prompts "
        'or clips (MP4, MOV, PNG, JPG, up to {{ max_upload_mb }}MB), say something like "generate a 15-second video of a '
        'sunset beach from a text description", and download a 1080p MP4.'
    ),
    emoji="🎬",
    inputs=(InputKind.TEXT, InputKind.VIDEO, InputKind.IMAGE, InputKind.AUDIO),
    input_noun="text prompts or clips",
    max_upload_mb=200,
    recommended_formats=("MP4", "MOV", "PNG", "JPG"),
    examples=(
        "generate my text prompts or clips",
        "export 1080p MP4",
        "generate a 15-second video of a",
    ),
    typical_turnaround="1-3 minutes",
    example_request="generate a 15-second video of a sunset beach from a text description",
    example_input="a 10-word text prompt describing a product scene",
    tips=("Shorter and more specific prompts produce more accurate video results.",),
    export_tip="Export as MP4 for widest compatibility across social platforms.",
    language_mode=LanguageMode.FIXED,
    language="en",
    setup_status="Connecting...",
    prompt_template=(
        "{{ text if text else 'Generate a short video.' }}"
        "{% if files_line %}\n{{ files_line }}{% endif %}"
        "{% if urls %}\nSource links: {{ urls | join(' ') }}{% endif %}"
    ),
)


@hookimpl
def register_skills(register: Callable[[Skill], None]) -> None:
    """Register nemo-video-gen."""
    register(SKILL)
