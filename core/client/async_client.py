"""AsyncNemoClient: the NemoVideo API for one skill (sessions, chat, upload, credits, state, export).

Requests, tokens and retries are requester.py's; protocol logic without I/O is
in base_client.py, envelope.py, adk_events.py, gui_phrases.py and export.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import httpx
from httpx_sse import EventSource

from nemo_skills import protocol
from nemo_skills.catalog.skill import Skill
from nemo_skills.client import envelope as answers
from nemo_skills.client.adk_events import ReplyAccumulator
from nemo_skills.client.base_client import BaseClient, new_render_id
from nemo_skills.client.chat import finish_reply, read_events
from nemo_skills.client.config import ClientConfig, client_keywords
from nemo_skills.client.download import download_file
from nemo_skills.client.envelope import envelope_data, retry_after_seconds
from nemo_skills.client.events import ChatEvent, ReplyDone, SessionReplaced
from nemo_skills.client.export import is_transient, parse_render_status, poll_render, render_id_taken
from nemo_skills.client.models import (
    Credits,
    ExportResult,
    RenderProgress,
    Reply,
    SessionInfo,
    SessionState,
    UploadResult,
)
from nemo_skills.client.requester import Requester
from nemo_skills.client.upload import MultipartFile, UploadProgressCallback, check_upload, check_urls
from nemo_skills.draft import Draft
from nemo_skills.errors import (
    BackendError,
    InputError,
    NothingToExportError,
    SaveError,
    SessionNotFoundError,
)
from nemo_skills.files.edge import check_id

log = logging.getLogger(__name__)

T = TypeVar("T")
RenderCallback = Callable[[RenderProgress], None]
DownloadCallback = Callable[[int, int | None], None]
RenderIdCallback = Callable[[str], None]


def resolve_skill(skill: Skill | str, registry: Path | None = None) -> Skill:
    """A Skill as given, or the served skill of that name with the registry's overrides applied."""
    if isinstance(skill, Skill):
        return skill
    from nemo_skills.catalog.registry import get_catalog

    return get_catalog(registry).get(skill)


class AsyncNemoClient(BaseClient):
    """The NemoVideo API for one skill: auth, sessions, chat, upload, credits, state and export."""

    @client_keywords(ClientConfig)
    def __init__(self, skill: Skill | str, config: ClientConfig) -> None:
        """A client for `skill` (a Skill, or a served skill's name); keywords are ClientConfig's fields."""
        super().__init__(
            resolve_skill(skill, config.registry),
            base_url=config.base_url,
            platform=config.platform,
            options=config.options,
        )
        self.config = config
        self.session: SessionInfo | None = None
        # When this client asked for each render: the first look at one waits until it could have news.
        self._renders_started: dict[str, float] = {}
        # Anonymous tokens are cached per backend; a backend whose URL changes from run to run
        # (the local one, on a free port) passes a stable key instead.
        self._api = Requester(
            self,
            token=config.token,
            token_provider=config.token_provider,
            transport=config.transport,
            http_client=config.http_client,
            config_dir=config.config_dir,
            token_cache_key=config.token_cache_key,
            bind_id=lambda: self.session.bind_id if self.session else None,
            env_token=config.env_token,
        )

    @classmethod
    def from_config(cls, skill: Skill | str, config: ClientConfig) -> AsyncNemoClient:
        """A client built from a ClientConfig already made."""
        return cls(skill, **config.arguments())

    def __repr__(self) -> str:
        return (
            f"AsyncNemoClient(skill={self.skill.name!r}, base_url={self.base_url!r}, "
            f"session_id={self.session_id!r}, token_source={self._api.auth.source.value!r})"
        )

    @property
    def session_id(self) -> str | None:
        """The current session's id, once connected."""
        return self.session.session_id if self.session else None

    @property
    def anonymous(self) -> bool:
        """Whether requests run on an anonymous token (not NEMO_TOKEN or a host's provider)."""
        return self._api.auth.anonymous

    async def __aenter__(self) -> AsyncNemoClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (unless the host passed its own httpx client)."""
        await self._api.aclose()

    # -- sessions ---------------------------------------------------------------------------------

    async def _new_session(self, *, language_hint: str = "", replaced: str | None = None) -> SessionInfo:
        language = self.skill.session_language(language_hint)
        body = await self._api.call(
            "POST", protocol.PATH_CREATE_SESSION, json=protocol.session_body(language)
        )
        made = answers.parse_session(envelope_data(body), replaced=replaced)
        self.session = made.model_copy(update={"created": True})
        return self.session

    async def connect(self, session_id: str | None = None, *, language_hint: str = "") -> SessionInfo:
        """Get a token and open a session: a new one, or `session_id` if the backend still has it."""
        if session_id is None:
            return await self._new_session(language_hint=language_hint)
        self.session = SessionInfo(session_id=check_id(session_id, "session"))
        try:
            await self._state_of(session_id)
        except SessionNotFoundError:
            log.info("session %s is gone; starting a new one", session_id)
            return await self._new_session(language_hint=language_hint, replaced=session_id)
        return self.session

    async def _ensure_session(self, language_hint: str = "") -> str:
        if self.session is None:
            await self._new_session(language_hint=language_hint)
        assert self.session is not None
        return self.session.session_id

    def _require_session(self) -> str:
        if self.session is None:
            raise InputError("Not connected: call connect() first.")
        return self.session.session_id

    async def _in_session(
        self, call: Callable[[str], Awaitable[T]], language_hint: str = ""
    ) -> tuple[T, str | None]:
        """Run a call in the session; when the session is lost (1002), once more in a new one."""
        sid = await self._ensure_session(language_hint)
        try:
            return await call(sid), None
        except SessionNotFoundError:
            info = await self._new_session(language_hint=language_hint, replaced=sid)
            return await call(info.session_id), sid

    # -- chat -------------------------------------------------------------------------------------

    async def chat(self, text: str, *, before: SessionState | None = None) -> AsyncIterator[ChatEvent]:
        """Send a message and yield the reply's events as they arrive; the last one is ReplyDone.

        `before` is the session's state as the caller just read it (or knows it: a new session is
        empty), so it is not read again; what changed is measured against it.

        A lost session (1002) is replaced by a new, empty one before sending, and a
        SessionReplaced event says so: earlier edits are not replayed.
        """
        if not text.strip():
            raise InputError("The message is empty.")
        started = time.monotonic()

        known = (self.session.session_id, before) if self.session is not None and before is not None else None

        async def open_turn(sid: str) -> tuple[SessionState, httpx.Response]:
            # Only the session the caller read: a replacement (1002) is read afresh.
            state = known[1] if known is not None and known[0] == sid else await self._state_of(sid)
            response, _ = await self._api.send(
                "POST",
                protocol.PATH_RUN_SSE,
                json=protocol.chat_body(sid, text),
                headers={"Accept": protocol.SSE_ACCEPT, "Cache-Control": "no-store"},
                stream=True,
                timeout=self.sse_timeout(),
            )
            return state, response

        (start, response), replaced = await self._in_session(open_turn, language_hint=text)
        if replaced is not None:
            yield SessionReplaced(old_session_id=replaced, new_session_id=self._require_session())
        acc = ReplyAccumulator()
        try:
            # aclosing: an abandoned reply must stop its pending read before the response closes.
            async with aclosing(
                read_events(EventSource(response).aiter_sse(), self.options, started)
            ) as events:
                async for event in events:
                    acc.add(event)
                    yield event
        finally:
            await response.aclose()
        reply = await finish_reply(acc, start.draft, self._state_now, self.options, replaced=replaced)
        yield ReplyDone(reply=reply)

    async def send(
        self,
        text: str,
        *,
        on_event: Callable[[ChatEvent], None] | None = None,
        before: SessionState | None = None,
    ) -> Reply:
        """Send a message and return the user-facing reply (events go to `on_event` as they come).

        `before`: the session's state as the caller knows it, not read again (see `chat`).
        """
        reply: Reply | None = None
        async for event in self.chat(text, before=before):
            if on_event is not None:
                on_event(event)
            if isinstance(event, ReplyDone):
                reply = event.reply
        if reply is None:  # pragma: no cover - chat() always ends with ReplyDone or raises
            raise BackendError("The chat ended without a reply.")
        return reply

    # -- upload -----------------------------------------------------------------------------------

    async def upload_file(
        self, path: Path, *, on_progress: UploadProgressCallback | None = None
    ) -> UploadResult:
        """Upload one file, after the local checks (format, size, content); streamed from disk."""
        plan = check_upload(path, self.skill)

        async def call(sid: str) -> UploadResult:
            multipart = MultipartFile(plan, chunk_size=self.options.upload_chunk_size)
            body = await self._api.call(
                "POST",
                protocol.upload_path(sid),
                body=lambda: multipart.stream(on_progress),
                headers=multipart.headers(),
            )
            return answers.parse_upload(envelope_data(body))

        result, replaced = await self._in_session(call)
        if not result.files:
            result.files = [plan.path.name]
        return result.model_copy(update={"session_replaced": replaced})

    async def upload_urls(self, urls: list[str]) -> UploadResult:
        """Add links (a YouTube video, an article) to the session as media."""
        links = check_urls(urls)

        async def call(sid: str) -> UploadResult:
            body = await self._api.call(
                "POST", protocol.upload_path(sid), json=protocol.upload_urls_body(links)
            )
            return answers.parse_upload(envelope_data(body))

        result, replaced = await self._in_session(call)
        if not result.urls:
            result.urls = links
        return result.model_copy(update={"session_replaced": replaced})

    # -- credits and state ------------------------------------------------------------------------

    async def credits(self) -> Credits:
        """The account's credit balance."""
        body = await self._api.call("GET", protocol.PATH_CREDITS)
        return answers.parse_credits(envelope_data(body))

    async def _state_of(self, session_id: str) -> SessionState:
        body = await self._api.call("GET", protocol.state_path(check_id(session_id, "session")))
        return answers.parse_state(envelope_data(body))

    async def _state_now(self) -> SessionState:
        return await self._state_of(self._require_session())

    async def state(self) -> SessionState:
        """The session's latest state: its draft (with `.timeline`) and media."""
        return await self._state_of(await self._ensure_session())

    # -- export -----------------------------------------------------------------------------------

    async def start_export(
        self,
        *,
        render_id: str | None = None,
        on_render_id: RenderIdCallback | None = None,
        draft: Draft | None = None,
    ) -> str:
        """Start rendering the session's draft to MP4; returns the render id it was started under.

        The id is `render_id` when given, else a new one. When the backend answers that an
        id is another session's (HTTP 409) a fresh id is tried, at most
        options.render_id_retries times. `on_render_id` hears each id the client makes
        before it is requested, so a caller that records ids first records the replacement
        too. A request that fails on the way is repeated with the same id (the backend
        takes the same id from the same session as the same render). `draft` is the session's
        draft as the caller just read it (else it is read here).
        """
        sid = await self._ensure_session()
        # The caller's draft, when it has just read the state: a second read could not change the outcome.
        draft = draft if draft is not None else (await self._state_of(sid)).draft
        if not draft.ready_to_export:
            raise NothingToExportError("The timeline is empty, so there is nothing to export yet.")
        # Exactly what the state gave (no filled-in defaults), as the seeds send it.
        wire = draft.model_dump(by_alias=True, exclude_unset=True)

        def fresh() -> str:
            made = new_render_id()
            if on_render_id is not None:
                on_render_id(made)
            return made

        rid = check_id(render_id, "render") if render_id else fresh()
        renamed = repeated = 0
        while True:
            try:
                await self._api.call("POST", protocol.PATH_RENDER, json=protocol.render_body(rid, sid, wire))
                self._renders_started[rid] = time.monotonic()
                return rid
            except BackendError as exc:
                if render_id_taken(exc):
                    if renamed >= self.options.render_id_retries:
                        raise BackendError(
                            f"The backend refused {renamed + 1} render ids as taken; the last was {rid}.",
                            status=exc.status,
                            code=exc.code,
                            action="Try the export again.",
                        ) from exc
                    renamed += 1
                    log.info("render id %s is taken; trying a fresh one", rid)
                    rid = fresh()
                    continue
                if not is_transient(exc) or repeated >= self.options.export_retries:
                    raise
                repeated += 1
                log.info("export request for %s failed (%s); sending it again", rid, exc.message)
                await asyncio.sleep(self.options.export_retry_wait)

    async def render_status(self, render_id: str) -> tuple[RenderProgress, float | None]:
        """One look at a render job, and the wait the server suggests before the next."""
        path = protocol.render_status_path(check_id(render_id, "render"))
        # A status read finishes an item already paid for: under a rate limit it goes before new work.
        response, body = await self._api.send("GET", path, first=True)
        return parse_render_status(render_id, body), retry_after_seconds(response.headers, body)

    async def wait_render(
        self, render_id: str, *, deadline: float | None = None, on_progress: RenderCallback | None = None
    ) -> RenderProgress:
        """Poll a render until it completes; `deadline` is seconds from now (default: options.render_deadline).

        Raises RenderFailedError when the render fails and RenderTimeoutError (with the
        render id, to resume later) when the deadline passes first.
        """
        started = self._renders_started.get(render_id)
        since = time.monotonic() - started if started is not None else None
        return await poll_render(
            render_id,
            lambda: self.render_status(render_id),
            self.options,
            deadline=deadline,
            on_progress=on_progress,
            # One poll budget's worth: what the budget allows on average anyway (poll_max caps it, as tests do).
            first_look=max(0.0, min(self.options.poll_budget, self.options.poll_max) - since)
            if since is not None
            else 0.0,
            started=started,
        )

    async def download(self, url: str, dest: Path, *, on_progress: DownloadCallback | None = None) -> Path:
        """Download a finished file, resuming dropped connections; `dest` appears only when complete."""
        full = self.url(url)
        # The token goes only to the API's own host, never to a storage or CDN link.
        headers = self.headers(await self._api.auth.token()) if self.same_origin(full) else {}
        return await download_file(
            self._api.http,
            full,
            dest,
            headers=headers,
            timeout=self.timeout(),
            check=self._api.check,
            retries=self.options.download_retries,
            retry_wait=self.options.download_retry_wait,
            on_progress=on_progress,
        )

    async def export(
        self,
        dest: Path,
        *,
        deadline: float | None = None,
        render_id: str | None = None,
        on_progress: RenderCallback | None = None,
        on_download: DownloadCallback | None = None,
        on_render_id: RenderIdCallback | None = None,
    ) -> ExportResult:
        """Render the session (or resume `render_id`) and download the MP4 to `dest` (a file or a folder).

        `on_render_id` hears the id of a new render before it is requested (see start_export).
        """
        rid = (
            check_id(render_id, "render") if render_id else await self.start_export(on_render_id=on_render_id)
        )
        done = await self.wait_render(rid, deadline=deadline, on_progress=on_progress)
        assert done.url is not None
        target = dest / f"{rid}.mp4" if dest.is_dir() else dest
        try:
            path = await self.download(done.url, target, on_progress=on_download)
        except OSError as exc:
            # A full disk or an unwritable folder: the render is done on the backend, so keep its id.
            raise SaveError(
                f"Render {rid} is done but {target} could not be written: {exc.strerror or exc}.",
                render_id=rid,
                action="Free some space (or pick another -o), then run `nemo-skills resume` to download it.",
            ) from exc
        return ExportResult(render_id=rid, url=self.url(done.url), path=path, size=path.stat().st_size)
