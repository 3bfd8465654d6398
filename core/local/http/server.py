"""LocalBackend: the local backend served by uvicorn on a background thread, on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from nemo_skills.errors import InputError
from nemo_skills.local.config import BackendSettings
from nemo_skills.local.faults import Faults, FaultState
from nemo_skills.local.request_log import count_requests, open_request_log

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
START_TIMEOUT = 15.0


MISSING_EXTRA_HINT = 'The local backend needs the "local" extra: pip install "nemo-skills[local]"'


class LocalBackend:
    """An offline NemoVideo backend on a free loopback port; a context manager, or start()/stop().

    With no `data_dir` it keeps its data in a temporary folder it removes on stop;
    with one, it persists there and picks up where a previous run left off, and any
    number of backends may share that folder at once. With `stable_port` (and port 0),
    the first port chosen for the folder is remembered and used again on every start.
    `clock` tells the time to the cleaning of old renders and unfinished uploads (`keep_hours`,
    `upload_part_hours`, `expiry_interval`).
    Other keyword arguments are BackendSettings fields (heartbeat_interval,
    step_delay, starting_credits, registered_tokens, plan_blocks_export,
    status_shape, auth_http_401, resolution, request_log, ...).
    """

    def __init__(
        self,
        data_dir: Path | str | None = None,
        faults: Faults | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        stable_port: bool = False,
        clock: Callable[[], float] = time.time,
        **settings: Any,
    ) -> None:
        if host not in LOOPBACK_HOSTS:
            raise ValueError(
                f"the local backend serves loopback only ({', '.join(LOOPBACK_HOSTS)}), not {host!r}"
            )
        self.settings = BackendSettings(faults=faults or Faults(), **settings)
        self.host = host
        self.port = port
        self.stable_port = stable_port
        self.clock = clock
        self._explicit_dir = Path(data_dir) if data_dir is not None else None
        self.data_dir: Path | None = self._explicit_dir
        self._thread: threading.Thread | None = None
        self._server: Any = None
        self._context: Any = None
        self._expiry: Any = None
        self._error: BaseException | None = None
        self.base_url = ""

    @property
    def faults(self) -> Faults:
        """The fault switches this backend was started with."""
        return self.settings.faults

    def __repr__(self) -> str:
        return f"LocalBackend(base_url={self.base_url!r}, data_dir={str(self.data_dir)!r})"

    def start(self) -> LocalBackend:
        """Bind a port, start serving on a background thread, and wait until requests are answered."""
        if self._thread is not None:
            return self
        try:
            import uvicorn

            from nemo_skills.local.http.app import create_app
        except ImportError as exc:
            raise InputError(f"the local backend cannot start: {exc}", action=MISSING_EXTRA_HINT) from None
        from nemo_skills.local.agent.turns import TurnRunner
        from nemo_skills.local.http.context import AppContext
        from nemo_skills.local.renderer.expiry import RenderExpiry
        from nemo_skills.local.renderer.jobs import RenderQueue
        from nemo_skills.local.state import Store

        self._check_request_log()
        if self._explicit_dir is None:
            self.data_dir = Path(tempfile.mkdtemp(prefix="nemo-local-"))
        assert self.data_dir is not None
        fault_state = FaultState(self.settings.faults)
        store = Store(self.data_dir, self.settings, fault_state)
        renders = RenderQueue(store, self.settings, fault_state)
        expiry = RenderExpiry(
            store,
            self.settings.keep_hours,
            self.settings.expiry_interval,
            self.clock,
            part_hours=self.settings.upload_part_hours,
        )
        expiry.sweep_safely()
        context = AppContext(
            store=store,
            settings=self.settings,
            faults=fault_state,
            renders=renders,
            turns=TurnRunner(store, self.settings, fault_state),
        )
        remember = self.stable_port and self.port == 0 and self._explicit_dir is not None
        remembered = store.remembered_port() if remember else None
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, remembered or self.port))
        except OSError as exc:
            sock.close()
            renders.shutdown()
            store.close()
            self._remove_temp_dir()
            if remembered is None:
                raise
            raise InputError(
                f"port {remembered}, remembered for {self.data_dir}, is busy ({exc.strerror or exc}): "
                "stop the server using it, or pass --port to serve this folder on another port"
            ) from None
        sock.listen(128)
        self.port = sock.getsockname()[1]
        if remember and remembered is None:
            store.remember_port(self.port)
        shown = f"[{self.host}]" if family == socket.AF_INET6 else self.host
        self.base_url = f"http://{shown}:{self.port}"
        config = uvicorn.Config(
            create_app(context, self.host),
            log_level="warning",
            access_log=False,
            http="h11",
            ws="none",
            lifespan="off",
            loop="asyncio",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        self._server, self._context, self._expiry = server, context, expiry

        def serve() -> None:
            try:
                asyncio.run(server.serve(sockets=[sock]))
            except BaseException as exc:
                self._error = exc
            finally:
                sock.close()

        self._thread = threading.Thread(target=serve, name=f"nemo-local-{self.port}", daemon=True)
        self._thread.start()
        renders.resume_unfinished()
        expiry.start()
        waited = threading.Event()
        for _ in range(int(START_TIMEOUT / 0.01)):
            if server.started or not self._thread.is_alive():
                break
            waited.wait(0.01)
        if not server.started:
            self.stop()
            raise RuntimeError(f"the local backend did not start: {self._error!r}")
        return self

    def stop(self) -> None:
        """Stop serving and rendering, hand unfinished renders back; remove a temporary data folder."""
        thread, server, context = self._thread, self._server, self._context
        self._thread = None
        if self._expiry is not None:
            self._expiry.stop()
            self._expiry = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=10)
        if context is not None:
            context.renders.shutdown()
            context.store.close()
        self._remove_temp_dir()

    def _check_request_log(self) -> None:
        log_path = self.settings.request_log
        if log_path is None:
            return
        try:
            os.close(open_request_log(log_path))
        except OSError as exc:
            raise InputError(
                f"cannot write the request log {log_path}: {exc.strerror or exc}",
                action="Give a request log file in a folder that exists and that you can write to.",
            ) from None

    def _remove_temp_dir(self) -> None:
        if self._explicit_dir is None and self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> LocalBackend:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # Controls for tests and demos: faults on demand, besides the switches.

    def lose_session(self, session_id: str) -> bool:
        """Forget a session now, as if it expired on the cloud; True if it existed."""
        return bool(self._require().store.lose_session(session_id))

    @property
    def chat_requests(self) -> int:
        """How many chat turns (POST /run_sse) this backend has started."""
        return int(self._require().chats)

    def request_counts(self, *, status: int | None = None) -> Counter[str]:
        """count_requests of this backend's request log (with every other backend writing to the same file).

        Keys are "METHOD path-pattern", e.g. "POST /run_sse"; RuntimeError when no request_log was given.
        """
        if self.settings.request_log is None:
            raise RuntimeError("this backend keeps no request log; start it with request_log=<file>")
        return count_requests(self.settings.request_log, status=status)

    def sweep_renders(self, now: float | None = None) -> Any:
        """Clean old renders now (as if the time were `now`), as the periodic sweep does; what it removed."""
        return self._require_expiry().sweep(now)

    def _require_expiry(self) -> Any:
        if self._expiry is None:
            raise RuntimeError("the local backend is not running; call start() first")
        return self._expiry

    def render_job(self, render_id: str) -> Any:
        """The stored RenderJob for an id, or None."""
        return self._require().store.render(render_id)

    def _require(self) -> Any:
        if self._context is None:
            raise RuntimeError("the local backend is not running; call start() first")
        return self._context
