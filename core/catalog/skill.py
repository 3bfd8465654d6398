"""The Skill model: everything one skill variant declares about itself."""

from __future__ import annotations

import functools
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nemo_skills import protocol
from nemo_skills.files.media import InputKind

if TYPE_CHECKING:
    import jinja2.sandbox

NAME_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
# The Agent Skills specification caps a skill's name (and so its folder) at 64 characters.
NAME_MAX_LENGTH = 64
# Every built-in skill is published under this license; registry.yaml may override it per skill.
DEFAULT_LICENSE = "MIT-0"


class LanguageMode(StrEnum):
    """How a skill fills `language` when it creates a session."""

    FIXED = "fixed"  # always the skill's `language` value (the seeds say "en")
    DETECTED = "detected"  # detected from the user's text, falling back to `language`
    OMIT = "omit"  # send no `language` at all


class Skill(BaseModel):
    """One skill variant: its identity, limits, accepted inputs, texts and prompt template."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(
        pattern=NAME_PATTERN,
        max_length=NAME_MAX_LENGTH,
        description="Skill name; also the X-Skill-Source header.",
    )
    version: str = Field(description="Skill version; sent as X-Skill-Version.")
    title: str = Field(description="Display title, e.g. 'Video Leonardo'; published as the display name.")
    tagline: str = Field(description="What it does in a few words, e.g. 'Generate Videos from Images'.")
    summary: str = Field(
        description=(
            "One or two sentences for listings and the SKILL.md description; a jinja2 template over the "
            "skill's own fields, so '{{ max_upload_mb }}' follows a registry override."
        )
    )
    license: str | None = Field(
        default=DEFAULT_LICENSE, description="SPDX license id of the published skill; None publishes none."
    )
    homepage: str | None = None
    emoji: str = "🎬"
    inputs: tuple[InputKind, ...] = Field(description="Input kinds the skill accepts.")
    input_noun: str = Field(description="What the user brings, in the seed's words ('images or prompts').")
    task_noun: str = Field(
        default="AI video generation", description="What the skill does for the user, in the seed's words."
    )
    max_upload_mb: int = Field(gt=0, description="Largest file the skill uploads, in MB.")
    recommended_formats: tuple[str, ...] = Field(description="Formats the seed recommends, upper case.")
    examples: tuple[str, ...] = Field(description="The seed's 'try saying' examples.")
    typical_turnaround: str = Field(description="How long a typical job takes, e.g. '30-90 seconds'.")
    example_request: str = Field(description="The seed's concrete example instruction.")
    example_input: str = Field(description="The seed's example of what a user sends.")
    audience: str | None = Field(default=None, description="Who the seed says the skill is for.")
    tips: tuple[str, ...] = Field(description="The seed's tips, one sentence each.")
    export_tip: str = "Export as MP4 for widest compatibility."
    language_mode: LanguageMode = LanguageMode.FIXED
    language: str = "en"
    setup_status: str = "Connecting..."
    prompt_template: str = Field(description="jinja2 template turning a request into the chat message.")
    route_keywords: tuple[str, ...] = Field(
        default=(), description="Extra phrases that name this skill in a request, besides its name and title."
    )

    @field_validator("recommended_formats")
    @classmethod
    def _upper(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(v.upper() for v in value)

    @property
    def description(self) -> str:
        """The summary with the skill's own fields filled in."""
        if "{" not in self.summary:
            return self.summary
        return render_template(self.summary, self.model_dump(), where=f"summary of skill {self.name!r}")

    @property
    def max_upload_bytes(self) -> int:
        """The upload limit in bytes (MB taken as 1024*1024 bytes)."""
        return self.max_upload_mb * 1024 * 1024

    def accepts(self, kind: InputKind) -> bool:
        """Whether the skill takes this kind of input."""
        return kind in self.inputs

    def session_language(self, text: str = "") -> str | None:
        """The `language` a new session is created with, or None to send none."""
        if self.language_mode is LanguageMode.OMIT:
            return None
        if self.language_mode is LanguageMode.DETECTED:
            return detect_language(text) or self.language
        return self.language

    def render_prompt(self, **context: Any) -> str:
        """Render the prompt template; missing fields fail loudly, naming skill and field.

        Besides the caller's variables, the template gets the lines the backend's agent
        reads back, written by `nemo_skills.protocol`: `files_line` (from `files`) and
        `document_block` (from `document_name` and `document`).
        """
        lines = {
            "files_line": protocol.files_line(context.get("files") or ()),
            "document_block": protocol.document_block(
                context.get("document_name") or "", context.get("document") or ""
            ),
        }
        return render_template(
            self.prompt_template, {**lines, **context}, where=f"prompt template of skill {self.name!r}"
        )

    def with_overrides(self, overrides: dict[str, Any]) -> Skill:
        """A copy with registry overrides applied and validated."""
        if not overrides:
            return self
        return type(self).model_validate({**self.model_dump(), **overrides})


def detect_language(text: str) -> str | None:
    """Best-effort language of a request: 'zh' for CJK text, 'en' for Latin text, else None."""
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return "zh"
    if any(ch.isalpha() for ch in text):
        return "en"
    return None


@functools.cache
def _environment() -> jinja2.sandbox.SandboxedEnvironment:
    # jinja2 loads at the first render: routing and an MCP server's start-up render nothing.
    import jinja2.sandbox

    return jinja2.sandbox.SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


def render_template(source: str, context: dict[str, Any], *, where: str) -> str:
    """Render a jinja2 template in a sandbox with StrictUndefined."""
    import jinja2

    try:
        return _environment().from_string(source).render(**context)
    except jinja2.UndefinedError as exc:
        from nemo_skills.errors import InputError

        raise InputError(f"{where}: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        from nemo_skills.errors import InputError

        raise InputError(f"{where}: {exc}") from exc
