"""NemoClient: the async client driven from synchronous code, on a private event-loop thread.

Every method is the async client's method run through an anyio blocking
portal, so the two faces cannot drift apart. Callbacks (on_event, on_progress)
run on the portal's thread.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from anyio.from_thread import BlockingPortal, start_blocking_portal

from nemo_skills.catalog.skill import Skill
from nemo_skills.client.async_client import (
    AsyncNemoClient,
    DownloadCallback,
    RenderCallback,
    RenderIdCallback,
)
from nemo_skills.client.config import ClientConfig, client_keywords
from nemo_skills.client.events import ChatEvent
from nemo_skills.client.models import (
    Credits,
    ExportResult,
    RenderProgress,
    Reply,
    SessionInfo,
    SessionState,
    UploadResult,
)
from nemo_skills.client.upload import UploadProgressCallback
from nemo_skills.draft import Draft

T = TypeVar("T")


async def _next(events: AsyncIterator[ChatEvent]) -> tuple[bool, ChatEvent | None]:
    # StopAsyncIteration cannot cross the portal's future; report the end as a value.
    try:
        return True, await anext(events)
    except StopAsyncIteration:
        return False, None


def _shut_down(portal: BlockingPortal, client: AsyncNemoClient, stack: ExitStack) -> None:
    try:
        portal.call(client.aclose)
    finally:
        stack.close()


class NemoClient:
    """The NemoVideo API for one skill, synchronously; the same methods as AsyncNemoClient."""

    @client_keywords(ClientConfig)
    def __init__(self, skill: Skill | str, config: ClientConfig) -> None:
        """A client for `skill` (a Skill, or a served skill's name); keywords are ClientConfig's fields."""
        self._stack = ExitStack()
        self._portal = self._stack.enter_context(start_blocking_portal())
        try:
            self._client = AsyncNemoClient.from_config(skill, config)
        except BaseException:
            self._stack.close()
            raise
        # A script that never calls close() must still exit: the portal is stopped when the
        # client is collected, or at interpreter exit, while its thread can still answer.
        self._finalizer = weakref.finalize(self, _shut_down, self._portal, self._client, self._stack)

    @classmethod
    def from_config(cls, skill: Skill | str, config: ClientConfig) -> NemoClient:
        """A client built from a ClientConfig already made."""
        return cls(skill, **config.arguments())

    def __repr__(self) -> str:
        return "NemoClient" + repr(self._client).removeprefix("AsyncNemoClient")

    def _run(self, func: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        return self._portal.call(lambda: func(*args, **kwargs))

    @property
    def async_client(self) -> AsyncNemoClient:
        """The async client underneath (its coroutines must run on this client's portal)."""
        return self._client

    @property
    def config(self) -> ClientConfig:
        """The arguments the client was built with."""
        return self._client.config

    @property
    def skill(self) -> Skill:
        """The active skill."""
        return self._client.skill

    @property
    def base_url(self) -> str:
        """The API base URL."""
        return self._client.base_url

    @property
    def session(self) -> SessionInfo | None:
        """The current session, once connected."""
        return self._client.session

    @property
    def session_id(self) -> str | None:
        """The current session's id, once connected."""
        return self._client.session_id

    @property
    def anonymous(self) -> bool:
        """Whether requests run on an anonymous token."""
        return self._client.anonymous

    def __enter__(self) -> NemoClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool and stop the event-loop thread."""
        self._finalizer()

    def connect(self, session_id: str | None = None, *, language_hint: str = "") -> SessionInfo:
        """Get a token and open a session: a new one, or `session_id` if the backend still has it."""
        return self._run(self._client.connect, session_id, language_hint=language_hint)

    def chat(self, text: str, *, before: SessionState | None = None) -> Iterator[ChatEvent]:
        """Send a message and yield the reply's events; the last one is ReplyDone."""
        events = self._client.chat(text, before=before)
        try:
            while True:
                more, event = self._run(_next, events)
                if not more:
                    return
                assert event is not None
                yield event
        finally:
            self._run(events.aclose)  # type: ignore[attr-defined]

    def send(
        self,
        text: str,
        *,
        on_event: Callable[[ChatEvent], None] | None = None,
        before: SessionState | None = None,
    ) -> Reply:
        """Send a message and return the user-facing reply."""
        return self._run(self._client.send, text, on_event=on_event, before=before)

    def upload_file(self, path: Path, *, on_progress: UploadProgressCallback | None = None) -> UploadResult:
        """Upload one file after the local checks, streamed from disk."""
        return self._run(self._client.upload_file, path, on_progress=on_progress)

    def upload_urls(self, urls: list[str]) -> UploadResult:
        """Add links to the session as media."""
        return self._run(self._client.upload_urls, urls)

    def credits(self) -> Credits:
        """The account's credit balance."""
        return self._run(self._client.credits)

    def state(self) -> SessionState:
        """The session's latest state."""
        return self._run(self._client.state)

    def start_export(
        self,
        *,
        render_id: str | None = None,
        on_render_id: RenderIdCallback | None = None,
        draft: Draft | None = None,
    ) -> str:
        """Start rendering the session's draft; returns the render id it was started under (see the async client)."""
        return self._run(
            self._client.start_export, render_id=render_id, on_render_id=on_render_id, draft=draft
        )

    def render_status(self, render_id: str) -> tuple[RenderProgress, float | None]:
        """One look at a render job, and the wait the server suggests before the next."""
        return self._run(self._client.render_status, render_id)

    def wait_render(
        self, render_id: str, *, deadline: float | None = None, on_progress: RenderCallback | None = None
    ) -> RenderProgress:
        """Poll a render until it completes (RenderTimeoutError carries the id when the deadline passes)."""
        return self._run(self._client.wait_render, render_id, deadline=deadline, on_progress=on_progress)

    def download(self, url: str, dest: Path, *, on_progress: DownloadCallback | None = None) -> Path:
        """Download a finished file, resuming dropped connections."""
        return self._run(self._client.download, url, dest, on_progress=on_progress)

    def export(
        self,
        dest: Path,
        *,
        deadline: float | None = None,
        render_id: str | None = None,
        on_progress: RenderCallback | None = None,
        on_download: DownloadCallback | None = None,
        on_render_id: RenderIdCallback | None = None,
    ) -> ExportResult:
        """Render the session (or resume `render_id`) and download the MP4 to `dest`."""
        return self._run(
            self._client.export,
            dest,
            deadline=deadline,
            render_id=render_id,
            on_progress=on_progress,
            on_download=on_download,
            on_render_id=on_render_id,
        )
