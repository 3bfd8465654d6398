"""Which session a command, a tool call or a job means, and what it left unfinished.

One service answers for the CLI (`run --continue`, `state`, `export`, `resume`, `chat`), the MCP tools and
the Python API: the session named, else the last one used on the backend (of a skill, when given); the
skill a session belongs to; and the render and output an interrupted export left to finish.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from nemo_skills.catalog.registry import Catalog
from nemo_skills.catalog.skill import Skill
from nemo_skills.errors import InputError
from nemo_skills.jobs.session_store import SessionRecord, SessionStore

AUTO = "auto"


class PendingExport(BaseModel):
    """What an export should finish: a render already started (or None for a new one) and where to save it."""

    model_config = ConfigDict(frozen=True)

    render_id: str | None
    output: Path | None
    replace: bool = False


class SessionLookup:
    """Remembered sessions on one backend, as commands and tools refer to them."""

    def __init__(
        self, store: SessionStore, catalog: Catalog | None, backend: str, cli_flag: str = ""
    ) -> None:
        self.store = store
        self._catalog = catalog
        self.backend = backend
        self.cli_flag = cli_flag

    @property
    def catalog(self) -> Catalog:
        """The skills served here (loaded on first need: continuing a known skill's session needs none)."""
        if self._catalog is None:
            from nemo_skills.catalog.registry import get_catalog

            self._catalog = get_catalog()
        return self._catalog

    def __repr__(self) -> str:
        return f"SessionLookup(backend={self.backend!r})"

    def _start_hint(self, skill: str | None) -> str:
        return f'Start one with: nemo-skills run {skill or AUTO} "..." {self.cli_flag}'.rstrip()

    def last(self, skill: str | None = None) -> SessionRecord | None:
        """The session used last on this backend (of `skill`, when given)."""
        return self.store.last(skill, self.backend)

    def owner(self, session_id: str) -> str | None:
        """The skill a remembered session belongs to, when this host serves it."""
        record = self.store.get(session_id)
        return record.skill if record is not None and record.skill in self.catalog else None

    def skill_of_request(self, requested: str, session_id: str | None, continue_last: bool) -> Skill | None:
        """For `auto` continuing a session: that session's skill (None when the router must choose)."""
        if requested.strip().lower() != AUTO or not (session_id or continue_last):
            return None
        name = self.owner(session_id) if session_id else None
        if not session_id:
            last = self.last()
            name = last.skill if last is not None and last.skill in self.catalog else None
        return self.catalog.get(name) if name else None

    def to_continue(self, skill: Skill, session_id: str | None, continue_last: bool) -> str | None:
        """The session a run continues: the one named, the skill's last (with `continue_last`), or None."""
        if session_id:
            return session_id
        if not continue_last:
            return None
        last = self.last(skill.name)
        if last is None:
            where = "" if not self.cli_flag else f" on {self.backend}"
            raise InputError(
                f"no earlier session of {skill.name}{where} to continue.", action=self._start_hint(skill.name)
            )
        return last.session_id

    def locate(
        self, *, skill: str | None = None, session_id: str | None = None
    ) -> tuple[Skill, SessionRecord | None]:
        """The skill and remembered session a command means: the one named, else the last one used.

        With `session_id`, the skill is the one stored with it (or `skill`, or the highest-priority
        skill when the session is not remembered here). Without it, the most recent session on this
        backend (of `skill`, when given); InputError when there is none.
        """
        if session_id:
            record = self.store.get(session_id)
            owner = record.skill if record is not None else None
            if skill and owner and self.catalog.get(skill).name != owner:
                raise InputError(f"session {session_id} belongs to {owner}, not {skill}.")
            name = skill or owner
            return (self.catalog.get(name) if name else self.catalog.skills()[0]), record
        chosen = self.catalog.get(skill) if skill else None
        record = self.last(chosen.name if chosen else None)
        if record is None:
            of = f" of {skill}" if skill else ""
            raise InputError(f"no session{of} on {self.backend} yet.", action=self._start_hint(skill))
        return (chosen or self.catalog.get(record.skill)), record

    @staticmethod
    def pending(
        record: SessionRecord | None,
        *,
        render_id: str | None = None,
        output: Path | None = None,
        resume_pending: bool = False,
    ) -> PendingExport:
        """What an export of a session should finish, and where the file goes.

        `resume_pending` takes the render an interrupted export left (InputError when there is none).
        A render that is the session's pending one goes where that export was headed, unless `output`
        names another place; the half-made file there is ours to replace.
        """
        if resume_pending:
            if record is None or not record.pending_render:
                sid = record.session_id if record is not None else "this session"
                raise InputError(f"session {sid} has no unfinished render.")
            render_id = record.pending_render
        if (
            output is None
            and render_id is not None
            and record is not None
            and record.pending_output
            and render_id == record.pending_render
        ):
            return PendingExport(render_id=render_id, output=Path(record.pending_output), replace=True)
        return PendingExport(render_id=render_id, output=output)
