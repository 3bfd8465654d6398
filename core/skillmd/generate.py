"""Generate SKILL.md files from the skill plugins, so the published text cannot drift from the code.

`render_skill_md` is pure; `generate` writes DIR/<name>/SKILL.md atomically, or,
with `check=True`, only reports which files are missing or out of date.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, Field

from nemo_skills.catalog.skill import Skill, render_template
from nemo_skills.errors import InputError
from nemo_skills.files.atomic import atomic_write_text
from nemo_skills.skillmd import frontmatter
from nemo_skills.skillmd.context import Format, Mode, build_context

__all__ = ["FILE_NAME", "Format", "GenerateReport", "Mode", "generate", "render_skill_md", "template_source"]

FILE_NAME = "SKILL.md"
TEMPLATES = {Mode.API: "skill_api.md.j2", Mode.CLI: "skill_cli.md.j2"}


def template_source(mode: Mode) -> str:
    """The packaged jinja2 template for a mode."""
    return (
        resources.files("nemo_skills.skillmd.templates").joinpath(TEMPLATES[mode]).read_text(encoding="utf-8")
    )


def render_skill_md(
    skill: Skill,
    *,
    format: Format | str = Format.CLAWHUB,
    mode: Mode | str = Mode.API,
    template: str | None = None,
) -> str:
    """One skill's SKILL.md text; `template` replaces the packaged template of the mode."""
    try:
        fmt, mod = Format(format), Mode(mode)
    except ValueError as exc:
        formats, modes = ", ".join(Format), ", ".join(Mode)
        raise InputError(f"{exc}; formats: {formats}; modes: {modes}") from exc
    context = build_context(skill, format=fmt, mode=mod)
    name = "custom template" if template is not None else f"template {TEMPLATES[mod]}"
    body = render_template(
        template if template is not None else template_source(mod),
        context.variables(),
        where=f"SKILL.md {name} for skill {skill.name!r}",
    )
    head = frontmatter.dump(frontmatter.build(skill, format=fmt, mode=mod))
    return head + "\n" + body.strip("\n") + "\n"


class GenerateReport(BaseModel):
    """What a generate run did, or (with check) would do."""

    out_dir: Path
    format: Format
    mode: Mode
    check: bool
    written: list[Path] = Field(default_factory=list)
    unchanged: list[Path] = Field(default_factory=list)
    out_of_date: list[Path] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """False when a check found files that are missing or differ."""
        return not self.out_of_date


def skill_path(out_dir: str | os.PathLike[str], skill: Skill) -> Path:
    """Where a skill's SKILL.md goes: DIR/<name>/SKILL.md (the folder name is the spec's `name`)."""
    return Path(out_dir) / skill.name / FILE_NAME


def _current(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def generate(
    out_dir: str | os.PathLike[str],
    skills: Iterable[Skill],
    format: Format | str = Format.CLAWHUB,
    mode: Mode | str = Mode.API,
    check: bool = False,
) -> GenerateReport:
    """Write (or with check, compare) DIR/<name>/SKILL.md for each skill."""
    report = GenerateReport(out_dir=Path(out_dir), format=Format(format), mode=Mode(mode), check=check)
    for skill in skills:
        text = render_skill_md(skill, format=report.format, mode=report.mode)
        path = skill_path(out_dir, skill)
        if _current(path) == text:
            report.unchanged.append(path)
        elif check:
            report.out_of_date.append(path)
        else:
            try:
                atomic_write_text(path, text)
            except OSError as exc:
                raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc
            report.written.append(path)
    return report
