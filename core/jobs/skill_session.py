"""One skill's session as a job uses it: the client, the remembered session, progress, resumable exports.

`SkillSession` wraps a connected `AsyncNemoClient` with what the CLI, the MCP
server and scripts all need around it: the session is remembered in the
`SessionStore` (so `--continue` works), local checks run before uploads, chat
events become progress events, and an export records its render id before
waiting, so Ctrl-C or a deadline leaves something to resume.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from collections.abc import Callable
from pathlib import Path

from nemo_skills.catalog.registry import Catalog
from nemo_skills.catalog.skill import Skill
from nemo_skills.client import AsyncNemoClient
from nemo_skills.client import events as ev
from nemo_skills.client.export import is_transient
from nemo_skills.client.models import Credits, ExportResult, RenderProgress, Reply, SessionInfo, SessionState
from nemo_skills.client.pace import ConnectionPool
from nemo_skills.client.settings import ClientOptions
from nemo_skills.client.settle import settle_state
from nemo_skills.draft import Draft
from nemo_skills.errors import (
    BackendError,
    InputError,
    InterruptedByUser,
    RateLimitedError,
    RenderFailedError,
    RenderTimeoutError,
    SaveError,
    UnknownRenderError,
)
from nemo_skills.files.edge import mask_credentials
from nemo_skills.jobs.backends import Backend
from nemo_skills.jobs.inputs import PreparedInput, check_media
from nemo_skills.jobs.interrupts import cancel_is_ctrl_c
from nemo_skills.jobs.progress_events import (
    Notice,
    ProgressCallback,
    RenderUpdate,
    ReplyText,
    Stage,
    Transfer,
    ignore,
)
from nemo_skills.jobs.session_store import SessionRecord, SessionStore
from nemo_skills.jobs.sessions import SessionLookup


def resume_command(backend: Backend, session_id: str, render_id: str, output: Path | None) -> str:
    """The command that finishes a render that is still running."""
    parts = ["nemo-skills export"]
    if backend.cli_flag():
        parts.append(backend.cli_flag())
    parts += ["--session", shlex.quote(session_id), "--render", shlex.quote(render_id)]
    if output is not None:
        parts += ["-o", shlex.quote(str(output))]
    return " ".join(parts)


def resume_pending_command(backend: Backend, session_id: str) -> str:
    """The command that downloads a session's finished render once the reason it failed is fixed."""
    return " ".join(
        ["nemo-skills resume", "--session", shlex.quote(session_id), *filter(None, [backend.cli_flag()])]
    )


def lost_session_notice(old: str, new: str) -> Notice:
    """What a user reads when a 1002 replaced their session."""
    return Notice(
        level="warning",
        message=f"Session {old} was not found on the server, so a new session {new} was started; "
        "the previous timeline is gone.",
    )


def session_lookup(store: SessionStore, backend: Backend, catalog: Catalog) -> SessionLookup:
    """The lookup of remembered sessions on a backend (see jobs.sessions)."""
    return SessionLookup(store, catalog, backend.label, backend.cli_flag())


def locate_session(
    store: SessionStore,
    backend: Backend,
    catalog: Catalog,
    *,
    skill: str | None = None,
    session_id: str | None = None,
) -> tuple[Skill, SessionRecord | None]:
    """The skill and remembered session a command means: the one named, else the last one used."""
    return session_lookup(store, backend, catalog).locate(skill=skill, session_id=session_id)


class SkillSession:
    """A skill's session on a backend, remembered between runs."""

    def __init__(
        self,
        skill: Skill,
        backend: Backend,
        *,
        store: SessionStore | None = None,
        options: ClientOptions | None = None,
        on_progress: ProgressCallback | None = None,
        client: AsyncNemoClient | None = None,
        pool: ConnectionPool | None = None,
    ) -> None:
        self.skill = skill
        self.backend = backend
        self.store = store if store is not None else SessionStore()
        self.on_progress: ProgressCallback = on_progress or ignore
        self.client = client or AsyncNemoClient(
            skill,
            base_url=backend.base_url,
            options=options,
            token_cache_key=backend.token_key,
            env_token=backend.env_token,
            http_client=pool.http if pool is not None else None,
        )
        self.info: SessionInfo | None = None
        self.title: str | None = None

    def __repr__(self) -> str:
        # Not self.session_id: a repr must not raise before the session is open.
        sid = self.info.session_id if self.info else self.client.session_id
        return f"SkillSession(skill={self.skill.name!r}, backend={self.backend.label!r}, session={sid!r})"

    async def __aenter__(self) -> SkillSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self.client.aclose()

    @property
    def session_id(self) -> str:
        """The current session id (after `open`)."""
        sid = self.info.session_id if self.info else self.client.session_id
        if not sid:
            raise InputError("no session is open")
        return sid

    def record(self) -> SessionRecord | None:
        """The stored record of the current session."""
        return self.store.get(self.session_id)

    # --- connecting -----------------------------------------------------------------

    def find_session(self, session_id: str | None, continue_last: bool) -> str | None:
        """The session to reuse: the one named, the last of this skill (with `continue_last`), or None."""
        lookup = SessionLookup(self.store, None, self.backend.label, self.backend.cli_flag())
        return lookup.to_continue(self.skill, session_id, continue_last)

    async def open(
        self, session_id: str | None = None, *, continue_last: bool = False, language_hint: str = ""
    ) -> SessionInfo:
        """Connect: a token, then the named, the last or a new session; the session is remembered."""
        wanted = self.find_session(session_id, continue_last)
        self.on_progress(Stage(stage="connect", message=f"Connecting to {self._where()}"))
        info = await self.client.connect(wanted, language_hint=language_hint)
        self.info = info
        if info.replaced:
            self.on_progress(lost_session_notice(info.replaced, info.session_id))
        elif wanted and info.session_id != wanted:
            self.on_progress(lost_session_notice(wanted, info.session_id))
        previous = self.store.get(info.session_id)
        self.title = previous.title if previous is not None else None
        self._remember()
        return info

    def attach(self, session_id: str) -> SessionInfo:
        """Use an existing session as is, without creating one if it is gone.

        For steps that only make sense on the session's own timeline (state,
        export): a lost session then fails with SessionNotFoundError instead of
        being silently replaced by an empty one.
        """
        self.info = SessionInfo(session_id=session_id)
        self.client.session = self.info
        previous = self.store.get(session_id)
        self.title = previous.title if previous is not None else None
        return self.info

    def _where(self) -> str:
        return "the local backend" if self.backend.is_local else mask_credentials(self.backend.base_url)

    def _remember(self, **update: object) -> None:
        sid = self.session_id

        def change(record: SessionRecord | None) -> SessionRecord:
            record = record or SessionRecord(
                skill=self.skill.name, session_id=sid, base_url=self.backend.label
            )
            title = {"title": self.title} if self.title and not record.title else {}
            return record.model_copy(update={**title, **update})

        # One locked read-modify-write: another run's change to the record is not lost.
        self.store.modify(sid, change)

    def _track_replacement(self, replaced: str | None) -> None:
        if replaced and self.client.session_id and replaced != self.client.session_id:
            self.on_progress(lost_session_notice(replaced, self.client.session_id))
            self.info = SessionInfo(
                session_id=self.client.session_id,
                task_id=None,
                bind_id=self.info.bind_id if self.info else None,
                replaced=replaced,
            )
            self._remember()

    # --- uploading ------------------------------------------------------------------

    async def upload(self, prepared: PreparedInput) -> list[str]:
        """Upload the request's media and URLs; returns the names to mention in the prompt."""
        names: list[str] = []
        for path in prepared.media:
            names.extend(await self.upload_file(path))
        if prepared.urls:
            self.on_progress(Stage(stage="upload", message=f"Adding {len(prepared.urls)} link(s)"))
            result = await self.client.upload_urls(prepared.urls)
            self._track_replacement(result.session_replaced)
        return names

    async def upload_file(self, path: Path) -> list[str]:
        """Upload one local file (checked first); returns the names the backend gave it."""
        check_media(path, self.skill)
        self.on_progress(Stage(stage="upload", message=f"Uploading {path.name}"))

        def progress(done: int, total: int) -> None:
            self.on_progress(Transfer(kind="upload", name=path.name, done=done, total=total))

        result = await self.client.upload_file(path, on_progress=progress)
        self._track_replacement(result.session_replaced)
        return result.files or [path.name]

    # --- chatting -------------------------------------------------------------------

    async def send(self, text: str, *, before: SessionState | None = None) -> Reply:
        """Send one message; the reply streams as progress events and comes back whole.

        `before`: the session's state as the caller knows it (not read again).
        """
        if self.title is None:
            # The title names the session's videos and is shown: a link's credentials stay out of it.
            self.title = mask_credentials(text.strip().splitlines()[0][:200]) if text.strip() else None
            if self.title:
                self._remember(title=self.title)
        self.on_progress(Stage(stage="chat", message="Waiting for the reply"))
        reply = await self.client.send(text, on_event=self._on_chat_event, before=before)
        self._track_replacement(reply.session_replaced)
        self._remember()
        return reply

    def _on_chat_event(self, event: ev.ChatEvent) -> None:
        if isinstance(event, ev.PartialText):
            self.on_progress(ReplyText(text=event.text, partial=True))
        elif isinstance(event, ev.TextEvent):
            self.on_progress(ReplyText(text=event.text, partial=False))
        elif isinstance(event, ev.StillWorking):
            self.on_progress(event)
        elif isinstance(event, ev.SessionReplaced):
            self.on_progress(lost_session_notice(event.old_session_id, event.new_session_id))
        elif isinstance(event, ev.StreamError):
            self.on_progress(Notice(level="warning", message=f"The reply stream reported: {event.message}"))

    # --- reading --------------------------------------------------------------------

    async def credits(self) -> Credits:
        """The account's credit balance."""
        return await self.client.credits()

    async def state(self) -> SessionState:
        """The session's latest state (timeline draft and media)."""
        return await self.client.state()

    async def settled_state(self) -> SessionState:
        """The state once the draft stops changing (see client.settle), to judge an interrupted request."""
        return await settle_state(self.client.state, self.client.options)

    # --- exporting ------------------------------------------------------------------

    async def start_render(
        self,
        render_id: str,
        *,
        on_render_id: Callable[[str], None] | None = None,
        draft: Draft | None = None,
    ) -> str:
        """Ask for a render under an id the caller has already recorded; returns the id in use.

        When the backend refuses the id (another session's), `on_render_id` hears the replacement
        before it is requested, so the caller records it first. `draft`: the timeline as the caller
        just read it (else it is read again).
        """
        self.on_progress(Stage(stage="render", message="Starting the export"))
        started = await self.client.start_export(render_id=render_id, on_render_id=on_render_id, draft=draft)
        self._remember(pending_render=started)
        return started

    async def render_known(self, render_id: str) -> bool:
        """Whether the backend knows a render id (False when the request for it never arrived)."""
        try:
            await self.client.render_status(render_id)
        except BackendError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    async def confirm_render(self, render_id: str) -> None:
        """UnknownRenderError unless the backend knows `render_id`: asked before an export waits on one.

        `export(confirm=True)` asks it first; a caller that hands the export to a job (the MCP
        server) asks it alone. A render id a user typed is refused before it is stored as the
        session's pending render. When it is already the pending one (its render has since been
        removed), that record is cleared, so a later `resume` does not ask for it again. A status
        request that fails on the way (connection, 5xx, 429) proves nothing: the export's own wait
        rides it out.
        """
        try:
            if await self.render_known(render_id):
                return
        except (BackendError, RateLimitedError) as exc:
            if is_transient(exc):
                return
            raise
        sid = self.session_id
        record = self.record()
        if record is not None and record.pending_render == render_id:
            self._remember(pending_render=None, pending_output=None)
            message = (
                f"render {render_id} is no longer known to the backend; "
                f"session {sid}'s unfinished render was cleared."
            )
        else:
            message = f"render {render_id} is not known to the backend; nothing was stored."
        error = UnknownRenderError(
            message, action="Start a new render of the session: export without a render id."
        )
        error.session_id = sid
        raise error

    async def export(
        self,
        dest: Path,
        *,
        deadline: float | None = None,
        render_id: str | None = None,
        confirm: bool = False,
    ) -> ExportResult:
        """Render and download to `dest`; the render id is kept until the file is in place.

        With `render_id`, waits for that render (started earlier) instead of starting one;
        with `confirm` too (an id a user gave), the backend must know it first, else
        UnknownRenderError before anything is stored (see `confirm_render`).
        The deadline raises RenderTimeoutError, whose action is the command that finishes
        the render. A cancellation stays a cancellation (a host's timeout must fire), except
        under `cancel_means_ctrl_c` (the CLI), where it is InterruptedByUser with that
        command. Either way the render id stays in the store and no file is left under `dest`.
        """
        sid = self.session_id
        if render_id is not None and confirm:
            await self.confirm_render(render_id)
        if render_id is None:
            self.on_progress(Stage(stage="render", message="Starting the export"))
            render_id = await self.client.start_export()
        else:
            # Also the path of a render this run just started: "waiting", not "resuming", fits both.
            self.on_progress(Stage(stage="render", message=f"Waiting for render {render_id}"))
        self._remember(pending_render=render_id, pending_output=str(dest))
        started = time.monotonic()

        def on_render(p: RenderProgress) -> None:
            self.on_progress(RenderUpdate(render_id=p.render_id, status=p.status, progress=p.progress))

        downloading = False

        def on_download(done: int, total: int | None) -> None:
            nonlocal downloading
            if not downloading:
                downloading = True
                self.on_progress(Stage(stage="download", message=f"Downloading {dest.name}"))
            self.on_progress(Transfer(kind="download", name=dest.name, done=done, total=total))

        command = resume_command(self.backend, sid, render_id, dest)
        try:
            result = await self.client.export(
                dest,
                deadline=deadline,
                render_id=render_id,
                on_progress=on_render,
                on_download=on_download,
            )
        except RenderTimeoutError as exc:
            waited = time.monotonic() - started
            unreachable = exc.__cause__ if isinstance(exc.__cause__, BackendError) else None
            if unreachable is not None:
                message = (
                    f"Render {render_id} could not be checked before the deadline ({waited:.1f} s): "
                    f"{unreachable.message} It may still be running."
                )
            elif deadline is not None:
                message = (
                    f"Render {render_id} is still running after {waited:.1f} s (deadline {deadline:g} s)."
                )
            else:
                message = f"Render {render_id} is still running after {waited:.0f} s."
            raise RenderTimeoutError(
                message, render_id=render_id, action=f"Finish it with: {command}"
            ) from exc
        except SaveError as exc:
            # The render is done; only the file is missing, so the id stays pending for `resume`.
            unsaved = SaveError(
                exc.message,
                render_id=render_id,
                action=f"Free some space (or make the folder writable), then run "
                f"`{resume_pending_command(self.backend, sid)}` to download it.",
            )
            unsaved.session_id = sid
            raise unsaved from exc
        except RenderFailedError:
            # A failed render stays failed: resuming it would only fail again.
            self._remember(pending_render=None, pending_output=None)
            raise
        except (asyncio.CancelledError, KeyboardInterrupt) as exc:
            if not cancel_is_ctrl_c():
                raise
            raise InterruptedByUser(
                f"Interrupted. Render {render_id} is still running.", action=f"Finish it with: {command}"
            ) from exc
        self._remember(pending_render=None, pending_output=None, last_output=str(result.path))
        self.on_progress(Stage(stage="done", message=f"Saved {result.path}"))
        return result
