"""A request's files checked against a skill before anything is sent, and its prompt rendered.

The seeds ask for 4001 (format) and 4002 (size) to be caught locally; this is
where that happens. Documents are read here and never uploaded.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from nemo_skills.catalog.registry import Catalog, get_catalog
from nemo_skills.catalog.skill import Skill
from nemo_skills.errors import (
    DocumentNotSupportedError,
    FileTooLargeError,
    InputError,
    UnsupportedFileError,
)
from nemo_skills.files.documents import read_document
from nemo_skills.files.media import InputKind, check_file


class DocumentText(BaseModel):
    """A document read locally: its file name and its text."""

    name: str
    text: str


class PreparedInput(BaseModel):
    """A request ready to send: media to upload, documents read, URLs and the user's text."""

    text: str = ""
    media: list[Path] = Field(default_factory=list)
    documents: list[DocumentText] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list)

    @property
    def document(self) -> str:
        """All document text, one after another."""
        if len(self.documents) == 1:
            return self.documents[0].text
        return "\n\n".join(f"--- {d.name} ---\n{d.text}" for d in self.documents)

    @property
    def document_name(self) -> str:
        """The document file names, comma separated."""
        return ", ".join(d.name for d in self.documents)


def _size_text(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def check_media(path: Path, skill: Skill) -> InputKind:
    """The kind of a media file for a skill, or the 4001/4002-style error a user reads."""
    check = check_file(path)
    if not check.exists:
        raise InputError(f"{path}: no such file.")
    if check.kind is None or check.problem:
        raise UnsupportedFileError(f"{check.problem or f'{path.name}: unsupported file type'}.")
    kind = check.kind
    if kind is InputKind.DOCUMENT:
        return kind
    if not skill.accepts(kind):
        raise InputError(
            f"{skill.name} does not take {kind.value} files ({path.name}); it takes "
            f"{', '.join(k.value for k in skill.inputs)}.",
            action="Pick another skill, or let the router choose: nemo-skills run auto ...",
        )
    size = check.size or 0
    if size > skill.max_upload_bytes:
        raise FileTooLargeError(
            f"{path.name} is {_size_text(size)}; {skill.name} uploads files up to {skill.max_upload_mb} MB."
        )
    return kind


def document_readers(catalog: Catalog | None = None) -> list[str]:
    """The served skills that accept documents, highest priority first."""
    catalog = catalog if catalog is not None else get_catalog()
    return [s.name for s in catalog.skills() if s.accepts(InputKind.DOCUMENT)]


def prepare_input(
    skill: Skill,
    text: str = "",
    files: list[Path] | None = None,
    urls: list[str] | None = None,
    *,
    catalog: Catalog | None = None,
) -> PreparedInput:
    """Check every file for the skill and read documents; nothing is sent.

    `catalog` (by default the configured one) names the skills to suggest for a document.
    """
    prepared = PreparedInput(text=text.strip(), urls=list(dict.fromkeys(urls or [])))
    for path in files or []:
        kind = check_media(Path(path), skill)
        if kind is InputKind.DOCUMENT:
            if not skill.accepts(InputKind.DOCUMENT):
                raise DocumentNotSupportedError(
                    f"{skill.name} does not read documents ({Path(path).name}).",
                    readers=document_readers(catalog),
                    file=Path(path).name,
                )
            prepared.documents.append(DocumentText(name=Path(path).name, text=read_document(path)))
        else:
            prepared.media.append(Path(path))
    if not (prepared.text or prepared.media or prepared.documents or prepared.urls):
        raise InputError("nothing to send: give a prompt, --file or --url.")
    return prepared


def build_prompt(skill: Skill, prepared: PreparedInput, uploaded: list[str]) -> str:
    """The chat message: the skill's template with the same variables for every skill."""
    return skill.render_prompt(
        text=prepared.text,
        files=uploaded,
        urls=prepared.urls,
        document=prepared.document if prepared.documents else "",
        document_name=prepared.document_name,
    ).strip()
