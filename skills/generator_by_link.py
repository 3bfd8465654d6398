"""generator-by-link: videos from a YouTube or web page URL."""

from __future__ import annotations

from collections.abc import Callable

from nemo_skills.catalog.hookspecs import hookimpl
from nemo_skills.catalog.skill import LanguageMode, Skill
from nemo_skills.files.media import InputKind

SKILL = Skill(
    name="generator-by-link",
    version="1.0.0",
    title="Generator by Link",
    tagline="Create Videos from URLs",
    summary=(
        "Got URL or link to work with? Turn a YouTube or webpage URL into a 1080p MP4: "
        "AI video generation from web links or online content, in about 1-2 minutes."
    ),
    inputs=(InputKind.URL, InputKind.TEXT, InputKind.VIDEO),
    input_noun="URL or link",
    max_upload_mb=500,
    recommended_formats=("MP4", "MOV", "WebM", "AVI"),
    examples=(
        "generate a YouTube or webpage URL into a 1080p MP4",
        "generate a video from this article link: https://example.com/blog-post",
        "creating videos from web links or online content for marketers, content creators, bloggers",
    ),
    typical_turnaround="1-2 minutes",
    example_request="generate a video from this article link: https://example.com/blog-post",
    example_input="a YouTube or webpage URL",
    audience="marketers, content creators, bloggers",
    tips=("Shorter articles or concise web pages produce more focused videos.",),
    export_tip="Export as MP4 for widest compatibility.",
    language_mode=LanguageMode.FIXED,
    language="en",
    setup_status="Connecting...",
    prompt_template=(
        "{% if urls %}Generate a video from this link: {{ urls | join(' ') }}"
        "{% if text %}\n{{ text }}{% endif %}"
        "{% else %}{{ text }}{% endif %}"
        "{% if files_line %}\n{{ files_line }}{% endif %}"
    ),
)


@hookimpl
def register_skills(register: Callable[[Skill], None]) -> None:
    """Register generator-by-link."""
    register(SKILL)
