"""free-generator-editor: edit clips and images with transitions and music."""

from __future__ import annotations

from collections.abc import Callable

from nemo_skills.catalog.hookspecs import hookimpl
from nemo_skills.catalog.skill import LanguageMode, Skill
from nemo_skills.files.media import InputKind

SKILL = Skill(
    name="free-generator-editor",
    version="1.0.0",
    title="Free Generator Editor",
    tagline="Generate and Edit Videos Free",
    summary=(
        "Share your video clips or images and get them edited into a video with transitions and music: "
        "AI video generation editing, a 1080p MP4 in about 30-90 seconds."
    ),
    inputs=(InputKind.VIDEO, InputKind.IMAGE, InputKind.AUDIO, InputKind.TEXT),
    input_noun="video clips or images",
    task_noun="AI video generation editing",
    max_upload_mb=500,
    recommended_formats=("MP4", "MOV", "JPG", "PNG"),
    examples=(
        "generate my video clips or images",
        "export 1080p MP4",
        "generate a video from my images",
    ),
    typical_turnaround="30-90 seconds",
    example_request="generate a video from my images and edit it with transitions and music",
    example_input="a 60-second raw screen recording or a set of product images",
    tips=("Shorter input clips and fewer images generate faster results.",),
    export_tip="Export as MP4 for widest compatibility across all platforms.",
    language_mode=LanguageMode.DETECTED,
    language="en",
    setup_status="Setting up...",
    prompt_template=(
        "{{ text if text else 'Edit these into one video with transitions and music.' }}"
        "{% if files_line %}\n{{ files_line }}{% endif %}"
        "{% if urls %}\nSource links: {{ urls | join(' ') }}{% endif %}"
    ),
)


@hookimpl
def register_skills(register: Callable[[Skill], None]) -> None:
    """Register free-generator-editor."""
    register(SKILL)
