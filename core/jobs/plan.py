"""What a job will do, settled before anything is sent: its skill (and why), its input, its output.

Everything a user can get wrong is checked here: the skill, each file (format, size, documents), the
output path. A new job records its plan in the journal, so a resumed job follows the same plan.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from nemo_skills.catalog.registry import Catalog, get_catalog
from nemo_skills.catalog.router import route
from nemo_skills.catalog.skill import Skill
from nemo_skills.files.checks import require_file
from nemo_skills.files.naming import resolve_output
from nemo_skills.jobs.backends import CLOUD
from nemo_skills.jobs.inputs import PreparedInput, check_media, prepare_input
from nemo_skills.jobs.journal import Job, JobSpec, Journal
from nemo_skills.jobs.session_store import SessionStore
from nemo_skills.jobs.sessions import SessionLookup

AUTO = "auto"


class RunRequest(BaseModel):
    """One job: what to send to which skill, where, and what to do with the result."""

    skill: str = Field(default=AUTO, description="Skill name, or 'auto' to let the router pick.")
    text: str = ""
    files: list[Path] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list)
    output: Path | None = Field(
        default=None, description="MP4 path or folder; default: a name from the prompt."
    )
    export: bool = Field(default=True, description="Render and download the MP4 after the reply.")
    force: bool = Field(default=False, description="Replace an existing output file.")
    backend: str = Field(default=CLOUD, description="'local', 'cloud' or a server URL.")
    session_id: str | None = None
    continue_last: bool = Field(default=False, description="Continue the last session of the skill.")
    deadline: float | None = Field(default=None, gt=0, description="Seconds to wait for the render.")
    cwd: Path | None = Field(default=None, description="Folder for automatic output names (default: cwd).")
    max_credits: float | None = Field(
        default=None, ge=0, description="A budget: refuse to start when the expected cost would pass it."
    )
    send: bool = Field(default=True, description="Send the request; False only exports the session.")
    render_id: str | None = Field(default=None, description="With send=False: a render started earlier.")
    position: int | None = Field(
        default=None, description="1-based place in a batch: the same request twice in a batch is two jobs."
    )


def pick_skill(
    name: str, text: str, files: Sequence[Path], urls: Sequence[str], catalog: Catalog
) -> tuple[Skill, str | None]:
    """The skill for a request and, when the router chose it, why."""
    if name.strip().lower() != AUTO:
        return catalog.get(name), None
    choice = route(text, files, urls, catalog=catalog)
    return catalog.get(choice.skill), choice.reason


def choose_skill(spec: JobSpec, catalog: Catalog, store: SessionStore) -> tuple[Skill, str | None]:
    """The skill of a job: `auto` continuing a session keeps that session's skill; else as pick_skill."""
    lookup = SessionLookup(store, catalog, spec.backend)
    kept = lookup.skill_of_request(spec.skill, spec.session_id, spec.continue_last)
    if kept is not None:
        return kept, None
    return pick_skill(spec.skill, spec.text, [Path(f) for f in spec.files], spec.urls, catalog)


def job_spec(request: RunRequest, backend_label_: str, catalog: Catalog | None = None) -> JobSpec:
    """The journal's view of a request: files made absolute, the output as the user named it.

    Each file is checked (a regular file, of an accepted kind, within the skill's limit) before its bytes
    are read for the request's key: a FIFO, a device or a huge file is refused at once, nothing read.
    """
    base = request.cwd or Path.cwd()
    for path in request.files:
        check_before_reading(path if path.is_absolute() else base / path, request.skill, catalog)
    return JobSpec(
        skill=request.skill,
        text=request.text,
        files=[str(f if f.is_absolute() else (base / f)) for f in request.files],
        urls=list(request.urls),
        output=str(
            request.output
            if request.output is None or request.output.is_absolute()
            else base / request.output
        )
        if request.output is not None
        else None,
        export=request.export,
        backend=backend_label_,
        session_id=request.session_id,
        continue_last=request.continue_last,
        contents=[file_digest(f if f.is_absolute() else base / f) for f in request.files],
        send=request.send,
        render_id=request.render_id,
        position=request.position,
    )


def check_before_reading(path: Path, skill_name: str, catalog: Catalog | None = None) -> None:
    """The error a user reads for a file no skill could take: the named skill's limit, or for `auto` the
    largest any served skill takes. One stat and a few leading bytes; never the whole file."""
    catalog = catalog if catalog is not None else get_catalog()
    if skill_name.strip().lower() != AUTO and skill_name in catalog:
        check_media(path, catalog.get(skill_name))
        return
    largest = max(catalog.skills(), key=lambda skill: skill.max_upload_bytes, default=None)
    if largest is not None:
        require_file(
            path, max_bytes=largest.max_upload_bytes, limit_of=f"{largest.name}, the largest", documents=True
        )


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes ('' when it cannot be read: checking the file says why, later)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def name_source(prepared: PreparedInput) -> str:
    """What an automatic output name is made from: the text, else the first document or file."""
    if prepared.text:
        return prepared.text
    if prepared.documents:
        return Path(prepared.documents[0].name).stem
    if prepared.media:
        return prepared.media[0].stem
    return ""


def read_input(skill: Skill, spec: JobSpec, catalog: Catalog) -> PreparedInput:
    """A job's input checked and read for its skill (an export job sends nothing, so has none)."""
    if not spec.send:
        return PreparedInput()
    return prepare_input(skill, spec.text, [Path(f) for f in spec.files], spec.urls, catalog=catalog)


class JobPlan(BaseModel):
    """What a new job will do, settled before anything is sent: its skill (and why), input and output."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    skill: Skill
    reason: str | None
    prepared: PreparedInput
    output: Path | None


def plan_job(
    spec: JobSpec,
    catalog: Catalog,
    store: SessionStore,
    *,
    cwd: Path | None,
    force: bool,
    taken: set[Path] | None = None,
    name_output: bool = True,
) -> JobPlan:
    """Check a request without sending anything (skill, files, output name); raises what a user reads.

    `name_output` False leaves the output to the caller (a host names files in its own folder).
    """
    skill, reason = choose_skill(spec, catalog, store)
    prepared = read_input(skill, spec, catalog)
    output = None
    if spec.export and name_output:
        output = resolve_output(
            Path(spec.output) if spec.output else None,
            name_source(prepared),
            cwd=cwd,
            force=force,
            fallback=skill.name,
            taken=taken,
        )
    return JobPlan(skill=skill, reason=reason, prepared=prepared, output=output)


def record_plan(journal: Journal, job: Job, plan: JobPlan) -> Job:
    """Keep a plan's skill, reason and output with the job, so a resume follows the same plan."""
    return journal.update(
        job, skill=plan.skill.name, reason=plan.reason, output=str(plan.output) if plan.output else None
    )


def job_stores(
    catalog: Catalog | None, store: SessionStore | None, journal: Journal | None
) -> tuple[Catalog, SessionStore, Journal]:
    """The catalog, session store and journal a run uses: those given, else the defaults (one database)."""
    catalog = catalog if catalog is not None else get_catalog()
    store = store if store is not None else SessionStore()
    return catalog, store, journal if journal is not None else Journal.beside(store.db)
