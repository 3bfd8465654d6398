"""An export that meets trouble: a host's cancel, Ctrl-C, a flaky network while polling, a failed render.

The render goes on server-side whatever happens to the client, so each case
checks what a user (or a host) is left with: the right exception, and the
render id in the session store exactly when resuming it can still work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from nemo_skills import protocol
from nemo_skills.catalog.registry import get_catalog
from nemo_skills.client import AsyncNemoClient, ClientOptions
from nemo_skills.errors import (
    BackendError,
    InterruptedByUser,
    RenderFailedError,
    RenderTimeoutError,
    UnknownRenderError,
)
from nemo_skills.jobs.backends import Backend
from nemo_skills.jobs.interrupts import cancel_means_ctrl_c
from nemo_skills.jobs.progress_events import ProgressEvent, RenderUpdate
from nemo_skills.jobs.session_store import SessionStore
from nemo_skills.jobs.skill_session import SkillSession
from nemo_skills.local import Faults
from tests.client_fakes import FakeGateway, on

FAST = ClientOptions(
    poll_initial=0.02, poll_max=0.05, still_working_interval=60, download_retry_wait=0, settle_interval=0.05
)
SMALL = {"resolution": 144, "fps": 10}
STATUS = protocol.PATH_RENDER + "/"

Factory = Callable[..., Any]


class FlakyStatus(httpx.AsyncBaseTransport):
    """Real loopback HTTP, except that render status requests fail as scripted first.

    Each failure is an exception to raise (a dropped or timed-out connection) or an
    HTTP status to answer; with `forever`, every status request fails.
    """

    def __init__(self, failures: list[Exception | int], *, forever: bool = False) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.failures = failures
        self.forever = forever
        self.failed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        is_status = request.method == "GET" and request.url.path.startswith(STATUS)
        if is_status and (self.forever or self.failed < len(self.failures)):
            failure = self.failures[self.failed % len(self.failures)]
            self.failed += 1
            if isinstance(failure, Exception):
                raise failure
            return httpx.Response(failure, json={"code": failure, "message": "upstream unavailable"})
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def open_session(
    backend: Any, store: SessionStore, *, transport: httpx.AsyncBaseTransport | None = None, **kwargs: Any
) -> SkillSession:
    skill = get_catalog().get("nemo-video-gen")
    server = Backend(label=backend.base_url, base_url=backend.base_url)
    client = AsyncNemoClient(skill, base_url=backend.base_url, options=FAST, transport=transport)
    return SkillSession(skill, server, store=store, client=client, **kwargs)


def pending(store: SessionStore, session: SkillSession) -> str | None:
    record = store.get(session.session_id)
    assert record is not None
    return record.pending_render


# --- cancellation -------------------------------------------------------------------------------


async def test_a_host_timeout_fires_and_the_render_stays_resumable(
    backend_factory: Factory, tmp_path: Path
) -> None:
    backend = backend_factory(faults=Faults(render_delay=0.5, empty_reply_share=0.0), **SMALL)
    store = SessionStore(tmp_path / "sessions.json")
    deadline: asyncio.Timeout | None = None

    def expire_when_rendering(event: ProgressEvent) -> None:
        # The host's timeout runs out while the render is being polled.
        if isinstance(event, RenderUpdate) and deadline is not None:
            deadline.reschedule(asyncio.get_running_loop().time())

    dest = tmp_path / "out" / "video.mp4"
    async with open_session(backend, store, on_progress=expire_when_rendering) as session:
        await session.open()
        await session.send("a 2-second red square")
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(None) as deadline:
                await session.export(dest)
        render_id = pending(store, session)
        assert render_id is not None and render_id.startswith("render_")
        assert not dest.exists()
        deadline = None
        result = await session.export(dest, render_id=render_id)
    assert result.path == dest and dest.stat().st_size > 1000
    assert pending(store, session) is None


async def test_task_cancel_is_a_cancellation_for_a_host_and_ctrl_c_for_the_cli(
    backend_factory: Factory, tmp_path: Path
) -> None:
    backend = backend_factory(faults=Faults(render_delay=0.5, empty_reply_share=0.0), **SMALL)
    store = SessionStore(tmp_path / "sessions.json")
    task: asyncio.Task[Any] | None = None

    def cancel_when_rendering(event: ProgressEvent) -> None:
        if isinstance(event, RenderUpdate) and task is not None:
            task.cancel()

    async with open_session(backend, store, on_progress=cancel_when_rendering) as session:
        await session.open()
        await session.send("a 2-second blue square")

        task = asyncio.create_task(session.export(tmp_path / "a.mp4"))
        with pytest.raises(asyncio.CancelledError):
            await task
        first = pending(store, session)
        assert first is not None

        with cancel_means_ctrl_c():
            # Tasks copy the context they start in, as asyncio.run's main task does.
            task = asyncio.create_task(session.export(tmp_path / "b.mp4"))
        with pytest.raises(InterruptedByUser) as info:
            await task
        second = pending(store, session)
        assert second is not None and second != first
        action = info.value.action or ""
        assert f"--render {second}" in action and f"--session {session.session_id}" in action
    assert list(tmp_path.glob("*.mp4")) == []


# --- transient failures while polling -------------------------------------------------------------


async def test_polling_rides_out_dropped_connections_timeouts_and_5xx() -> None:
    outcomes: list[Exception | httpx.Response] = [
        httpx.ConnectError("connection refused"),
        httpx.ReadError("connection reset by peer"),
        httpx.ReadTimeout("timed out"),
        httpx.Response(503, text="Service Unavailable"),
        httpx.Response(502, json={"code": 502, "message": "bad gateway"}),
        httpx.Response(200, json={"status": "completed", "output": {"url": "/f/a.mp4"}}),
    ]
    gw = FakeGateway()
    polls: list[str] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        if not request.url.path.startswith(STATUS):
            return await gw.handle(request)
        polls.append(request.url.path)
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    options = ClientOptions(poll_initial=0, poll_max=0)
    transport = httpx.MockTransport(handle)
    async with AsyncNemoClient(
        "nemo-video-gen", base_url="http://gw.test", transport=transport, options=options
    ) as c:
        done = await c.wait_render("render_1", deadline=10)
    assert done.status == "completed" and done.url == "/f/a.mp4"
    assert polls == [STATUS + "render_1"] * 6


async def test_a_status_error_that_is_not_transient_still_ends_the_wait_at_once() -> None:
    gw = FakeGateway(
        script=[on(STATUS, httpx.Response(404, json={"code": 404, "message": "no such render"}))]
    )
    async with gw.client() as client:
        with pytest.raises(BackendError, match="no such render"):
            await client.wait_render("render_1", deadline=60)
    assert gw.paths().count(STATUS + "render_1") == 1


async def test_giving_up_on_an_unreachable_status_keeps_the_render_with_the_command_to_resume(
    backend_factory: Factory, tmp_path: Path
) -> None:
    backend = backend_factory(**SMALL)
    store = SessionStore(tmp_path / "sessions.json")
    dest = tmp_path / "video.mp4"
    down = FlakyStatus([httpx.ConnectError("connection refused")], forever=True)
    async with open_session(backend, store, transport=down) as session:
        await session.open()
        await session.send("a 2-second green field")
        with pytest.raises(RenderTimeoutError) as info:
            await session.export(dest, deadline=0.2)
        sid = session.session_id
    error = info.value
    render_id = pending(store, session)
    assert render_id is not None and error.render_id == render_id
    assert down.failed >= 2  # retried, not given up at the first failure
    assert "connection refused" in error.message
    assert f"nemo-skills export --backend {backend.base_url} --session {sid} --render {render_id}" in (
        error.action or ""
    )
    assert not dest.exists()

    async with open_session(backend, store) as session:
        session.attach(sid)
        result = await session.export(dest, render_id=render_id)
    assert result.path == dest and dest.stat().st_size > 1000
    assert pending(store, session) is None


async def test_an_export_completes_through_transient_status_failures(
    backend_factory: Factory, tmp_path: Path
) -> None:
    backend = backend_factory(**SMALL)
    store = SessionStore(tmp_path / "sessions.json")
    flaky = FlakyStatus([httpx.ConnectError("refused"), httpx.ReadTimeout("timed out"), 503, 500])
    async with open_session(backend, store, transport=flaky) as session:
        await session.open()
        await session.send("a 2-second yellow sun")
        result = await session.export(tmp_path / "sun.mp4", deadline=60)
    assert flaky.failed == 4
    assert result.path.stat().st_size > 1000
    assert pending(store, session) is None


async def test_a_render_id_is_not_refused_when_its_status_cannot_be_read_for_a_moment(
    backend_factory: Factory, tmp_path: Path
) -> None:
    backend = backend_factory(faults=Faults(render_delay=0.5, empty_reply_share=0.0), **SMALL)
    store = SessionStore(tmp_path / "sessions.json")
    async with open_session(backend, store) as session:
        await session.open()
        await session.send("a 2-second blue sea")
        with pytest.raises(RenderTimeoutError):
            await session.export(tmp_path / "sea.mp4", deadline=0.05)
        render_id = pending(store, session)
    assert render_id is not None
    flaky = FlakyStatus([503, httpx.ConnectError("refused")])
    async with open_session(backend, store, transport=flaky) as later:
        later.attach(session.session_id)
        await later.confirm_render(render_id)  # 503: not a verdict on the id
        await later.confirm_render(render_id)  # nor a dropped connection
        result = await later.export(tmp_path / "sea.mp4", deadline=60, render_id=render_id)
    assert flaky.failed == 2 and result.render_id == render_id
    assert pending(store, later) is None


async def test_an_unknown_render_id_is_refused_and_not_recorded(
    backend_factory: Factory, tmp_path: Path
) -> None:
    backend = backend_factory(**SMALL)
    store = SessionStore(tmp_path / "sessions.json")
    async with open_session(backend, store) as session:
        await session.open()
        with pytest.raises(UnknownRenderError, match="render_typo is not known"):
            await session.confirm_render("render_typo")
        assert pending(store, session) is None
        # The same check, asked by the export itself: nothing is stored and no file is started.
        with pytest.raises(UnknownRenderError, match="render_typo is not known"):
            await session.export(tmp_path / "typo.mp4", render_id="render_typo", confirm=True)
        assert pending(store, session) is None
        assert list(tmp_path.glob("typo*")) == []


# --- a failed render -----------------------------------------------------------------------------


async def test_a_failed_render_is_not_left_to_resume(backend_factory: Factory, tmp_path: Path) -> None:
    backend = backend_factory(faults=Faults(render_fail=1, empty_reply_share=0.0), **SMALL)
    store = SessionStore(tmp_path / "sessions.json")
    async with open_session(backend, store) as session:
        await session.open()
        await session.send("a 2-second grey sky")
        with pytest.raises(RenderFailedError):
            await session.export(tmp_path / "sky.mp4")
        record = store.get(session.session_id)
        assert record is not None and record.pending_render is None and record.pending_output is None
        # The next export starts a fresh render, which succeeds.
        result = await session.export(tmp_path / "sky.mp4")
    assert result.path.stat().st_size > 1000
