"""A request's files checked against a skill before anything is sent, and its prompt rendered.

The seeds ask for 4001 (format) and 4002 (size) to be caught locally; this is
where that happens. Documents are read here and never uploaded.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from nemo_skills.catalog.registry import Catalog, get_catalog
from nemo_skills.catalog.skill import Skill
from nemo_skills.errors import DocumentNotSupportedError, InputError
from nemo_skills.files.checks import require_file
from nemo_skills.files.documents import read_document
from nemo_skills.files.edge import check_prompt
from nemo_skills.files.links import check_link
from nemo_skills.files.media import InputKind


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


def check_media(path: Path, skill: Skill) -> InputKind:
    """The kind of a file for a skill (a document, or media within its limit), or the error a user reads."""
    kind = require_file(path, max_bytes=skill.max_upload_bytes, limit_of=skill.name, documents=True).kind
    assert kind is not None  # require_file returns usable files only
    if kind is not InputKind.DOCUMENT and not skill.accepts(kind):
        raise InputError(
            f"{skill.name} does not take {kind.value} files ({path.name}); it takes "
            f"{', '.join(k.value for k in skill.inputs)}.",
            action="Pick another skill, or let the router choose: nemo-skills run auto ...",
        )
    return kind


def skills_taking(kind: InputKind, catalog: Catalog | None = None) -> list[str]:
    """The served skills that accept a kind of input, highest priority first."""
    catalog = catalog if catalog is not None else get_catalog()
    return [s.name for s in catalog.skills() if s.accepts(kind)]


def document_readers(catalog: Catalog | None = None) -> list[str]:
    """The served skills that accept documents, highest priority first."""
    return skills_taking(InputKind.DOCUMENT, catalog)


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
    links = list(dict.fromkeys(check_link(u) for u in urls or []))
    if links and not skill.accepts(InputKind.URL):
        takers = skills_taking(InputKind.URL, catalog)
        raise InputError(
            f"{skill.name} takes no links ({links[0]}): it would make a video that ignores it.",
            action=f"Use {' or '.join(takers)} for a video from a link." if takers else None,
        )
    prepared = PreparedInput(text=check_prompt(text).strip(), urls=links)
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
