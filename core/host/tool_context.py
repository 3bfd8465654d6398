"""What every tool handler works with: the settings, the session store and the open sessions.

`ToolContext` holds a host's state across tool calls (one open session per
skill, reused until it closes) and the export steps two tools share; the
handlers in `nemo_skills.host.handlers` take it as their first argument.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from nemo_skills.catalog.registry import Catalog, get_catalog
from nemo_skills.client.settings import ClientOptions
from nemo_skills.errors import InputError
from nemo_skills.files.atomic import data_dir
from nemo_skills.files.edge import relative_name, shorten
from nemo_skills.files.naming import VIDEO_SUFFIX, OutputExistsError, resolve_output, slugify
from nemo_skills.host.session_pool import SessionPool
from nemo_skills.jobs.backends import Backend
from nemo_skills.jobs.journal import Journal
from nemo_skills.jobs.session_store import SessionStore
from nemo_skills.jobs.skill_session import SkillSession

VIDEOS_DIR = "videos"


class ToolboxSettings(BaseModel):
    """Where the tools send their calls and keep their videos."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    backend: Backend
    registry: Path | None = None
    options: ClientOptions = Field(default_factory=ClientOptions)
    output_dir: Path = Field(
        default_factory=lambda: data_dir() / VIDEOS_DIR,
        description="Folder for MP4s without an explicit output, and for relative output paths.",
    )


def confined_output(folder: Path, output: str, label: str, *, overwrite: bool) -> Path:
    """An MP4 path inside `folder` (links followed); `overwrite` replaces only a file that is an MP4."""
    root = folder.resolve()
    given = Path(output)
    # An absolute path is accepted only inside the folder (a pending render remembers its full path).
    name = given if given.is_absolute() else relative_name(output, "output")
    if given.suffix and given.suffix.lower() != VIDEO_SUFFIX:
        raise InputError(f"output {shorten(output, 60)}: only {VIDEO_SUFFIX} files are written.")
    target = root / name
    if ".." in given.parts or not target.resolve().is_relative_to(root):
        raise InputError(f"output {shorten(output, 60)} leads outside the output folder {root}.")
    try:
        path = resolve_output(target, label, cwd=root, force=overwrite)
    except OutputExistsError as exc:
        raise OutputExistsError(exc.message, action="Pass overwrite: true, or another output.") from exc
    if path.exists() and not (path.is_file() and looks_like_mp4(path)):
        raise InputError(f"output {shorten(output, 60)} exists and is not an MP4; it is never replaced.")
    return path


def looks_like_mp4(path: Path) -> bool:
    """Whether a file starts like an MP4 (an ISO media `ftyp` box)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(12)
    except OSError:
        return False
    return head[4:8] == b"ftyp"


class ToolContext:
    """A host's state across tool calls: settings, session store, and one open session per skill."""

    def __init__(self, settings: ToolboxSettings, *, store: SessionStore | None = None) -> None:
        self.settings = settings
        self.store = store if store is not None else SessionStore()
        self._journal: Journal | None = None
        self.sessions = SessionPool(
            settings.backend, lambda: self.catalog, store=self.store, options=settings.options
        )

    async def aclose(self) -> None:
        """Close every open session's connections."""
        await self.sessions.aclose()

    @property
    def journal(self) -> Journal:
        """The job journal: beside the session store, or in PostgreSQL (NEMO_SKILLS_JOBS_URL)."""
        if self._journal is None:
            self._journal = Journal.beside(self.store.db)
        return self._journal

    @property
    def catalog(self) -> Catalog:
        """The skills served, from the configured registry."""
        return get_catalog(self.settings.registry)

    @staticmethod
    def replaced(session: SkillSession) -> str | None:
        """The lost session this one replaced, if any."""
        return session.info.replaced if session.info is not None else None

    def output_path(self, output: str | None, label: str, *, overwrite: bool = False) -> Path:
        """The MP4 path: the caller's (relative to the output folder), else a fresh name there."""
        folder = self.settings.output_dir
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if output is not None:
            return confined_output(folder, output, label, overwrite=overwrite)
        stem = slugify(label)
        path, n = folder / f"{stem}{VIDEO_SUFFIX}", 2
        while path.exists():
            path, n = folder / f"{stem}-{n}{VIDEO_SUFFIX}", n + 1
        return path
