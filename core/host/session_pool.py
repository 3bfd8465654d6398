"""Sessions a long-lived host keeps open across tool calls: one per skill, reachable by id.

A call names a session id, or a skill, or neither (then the latest session is
meant). A session id not open in this process, say from an earlier server run,
is found in the `SessionStore` and reconnected.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio

from nemo_skills.catalog.registry import Catalog
from nemo_skills.catalog.skill import Skill
from nemo_skills.client.settings import ClientOptions
from nemo_skills.errors import InputError
from nemo_skills.jobs.backends import Backend
from nemo_skills.jobs.session_store import SessionStore
from nemo_skills.jobs.sessions import SessionLookup
from nemo_skills.jobs.skill_session import SkillSession

log = logging.getLogger(__name__)


class PooledSession:
    """An open session and the lock that makes calls on it take turns."""

    def __init__(self, session: SkillSession) -> None:
        self.session = session
        self.lock = anyio.Lock()

    def __repr__(self) -> str:
        return f"PooledSession({self.session!r})"


class SessionPool:
    """Open sessions by id, with each skill's current one and the latest one used."""

    def __init__(
        self,
        backend: Backend,
        catalog: Callable[[], Catalog],
        *,
        store: SessionStore,
        options: ClientOptions,
    ) -> None:
        self.backend = backend
        self.store = store
        self.options = options
        self._catalog = catalog
        self._open: dict[str, PooledSession] = {}
        self._by_skill: dict[str, str] = {}
        self._latest: str | None = None
        # Two calls arriving together for a skill without a session must not open two.
        self._connecting = anyio.Lock()

    def __repr__(self) -> str:
        return f"SessionPool(backend={self.backend.label!r}, open={len(self._open)})"

    def new_session(self, skill: Skill) -> SkillSession:
        """A SkillSession on the pool's backend, not yet connected nor pooled."""
        return SkillSession(skill, self.backend, store=self.store, options=self.options)

    def latest(self) -> PooledSession | None:
        """The session used last, if any is open."""
        return self._open.get(self._latest) if self._latest else None

    def note(self, skill: str, session_id: str) -> None:
        """Make a session a job used (in its worker) the skill's current one and the latest, unopened."""
        self._by_skill[skill] = session_id
        self._latest = session_id

    async def get(self, skill: str | None, session_id: str | None) -> PooledSession:
        """The session a call means: the one named, else the skill's current one, else the latest."""
        async with self._connecting:
            return await self._find_or_connect(skill, session_id)

    async def _find_or_connect(self, skill: str | None, session_id: str | None) -> PooledSession:
        catalog = self._catalog()
        if session_id:
            entry = self._open.get(session_id)
            lookup = SessionLookup(self.store, catalog, self.backend.label, self.backend.cli_flag())
            owner = entry.session.skill.name if entry is not None else lookup.owner(session_id)
            if skill and owner and catalog.get(skill).name != owner:
                raise InputError(f"session {session_id} belongs to {owner}, not {skill}.")
            if entry is not None:
                return entry
            name = skill or owner
            if name is None:
                raise InputError(
                    f"unknown session {session_id!r}.",
                    action="Name its skill too, or start one with run_skill.",
                )
            return await self._connect(catalog.get(name), session_id)
        if skill:
            chosen = catalog.get(skill)
            current = self._by_skill.get(chosen.name)
            if current in self._open:
                return self._open[current]
            return await self._connect(chosen, current)
        latest = self.latest()
        if latest is None and self._latest is not None:
            # Noted from a job, not opened here yet.
            return await self._find_or_connect(None, self._latest)
        if latest is None:
            raise InputError("no session yet.", action="Call run_skill first, or name a skill.")
        return latest

    async def _connect(self, skill: Skill, session_id: str | None) -> PooledSession:
        session = self.new_session(skill)
        try:
            await session.open(session_id)
        except BaseException:
            await session.aclose()
            raise
        entry = PooledSession(session)
        self.track(entry)
        return entry

    def track(self, entry: PooledSession) -> None:
        """Index a session under its current id (a 1002 may have replaced it) and make it the latest."""
        sid = entry.session.session_id
        for key in [k for k, v in self._open.items() if v is entry and k != sid]:
            del self._open[key]
        self._open[sid] = entry
        self._by_skill[entry.session.skill.name] = sid
        self._latest = sid

    async def aclose(self) -> None:
        """Close every open session's connections."""
        opened = list({id(e): e for e in self._open.values()}.values())
        self._open.clear()
        self._by_skill.clear()
        self._latest = None
        for entry in opened:
            try:
                await entry.session.aclose()
            except Exception as exc:  # closing must go on for the others
                log.debug("closing a session failed: %s", exc)
