"""video-leonardo: animate images (or prompts) into short clips."""

from __future__ import annotations

from collections.abc import Callable

from nemo_skills.catalog.hookspecs import hookimpl
from nemo_skills.catalog.skill import LanguageMode, Skill
from nemo_skills.files.media import InputKind

SKILL = Skill(
    name="video-leonardo",
    version="1.0.0",
    title="Video Leonardo",
    tagline="Generate Videos from Images",
    summary=(
        "Send images or prompts and get short animated video clips: turn a product photo or text "
        "description into a 1080p MP4 in roughly 30-90 seconds."
    ),
    inputs=(InputKind.IMAGE, InputKind.TEXT, InputKind.VIDEO),
    input_noun="images or prompts",
    max_upload_mb=200,
    recommended_formats=("JPG", "PNG", "WEBP", "MP4"),
    examples=(
        "generate a product photo or text description into a 1080p MP4",
        "turn this image into a 5-second animated video clip",
        "generating short video clips from images or text prompts for content creators, marketers, "
        "social media managers",
    ),
    typical_turnaround="30-90 seconds",
    example_request="turn this image into a 5-second animated video clip",
    example_input="a product photo or text description",
    audience="content creators, marketers, social media managers",
    tips=("Simpler prompts with clear motion instructions produce more consistent results.",),
    export_tip="Export as MP4 for widest compatibility across social platforms.",
    language_mode=LanguageMode.FIXED,
    language="en",
    setup_status="Connecting...",
    prompt_template=(
        "{{ text if text else 'Animate these images into a short video clip.' }}"
        "{% if files_line %}\n{{ files_line }}{% endif %}"
    ),
)


@hookimpl
def register_skills(register: Callable[[Skill], None]) -> None:
    """Register video-leonardo."""
    register(SKILL)
