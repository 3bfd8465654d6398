"""A throwaway PostgreSQL server for tests, started from the distribution's binaries.

The cluster lives in a fresh temporary folder, listens on 127.0.0.1 only (on a free port, with its unix
socket in the same folder) and trades durability for speed. Its superuser is ``nemo`` with a random
password, and every connection, local or TCP, must give it. ``initdb`` refuses to run as root, so as root
the server runs as the ``postgres`` system user.

    with Postgres() as server:
        url = server.create_database("jobs_test")
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import quote

SUPERUSER = "nemo"
SYSTEM_USER = "postgres"  # runs the server when the tests run as root
START_TIMEOUT = 30.0  # seconds for initdb and start together
_DEBIAN_BINS = Path("/usr/lib/postgresql")
_SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
}


def _version_key(folder: Path) -> tuple[int, ...]:
    """Sort key for a version folder such as ``15`` or ``9.6``; names that are not versions sort first."""
    parts = re.findall(r"\d+", folder.name)
    return tuple(int(part) for part in parts) if parts else (-1,)


def bin_dir() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl``: Debian's newest ``/usr/lib/postgresql/*/bin``, else the
    folder of the ``pg_ctl`` on PATH."""
    if _DEBIAN_BINS.is_dir():
        versions = sorted(
            (folder for folder in _DEBIAN_BINS.iterdir() if (folder / "bin" / "initdb").is_file()),
            key=_version_key,
        )
        if versions:
            return versions[-1] / "bin"
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is not None:
        folder = Path(pg_ctl).resolve().parent
        if (folder / "initdb").is_file():
            return folder
    return None


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _switch_user_command() -> list[str] | None:
    """How root runs a command as the ``postgres`` user: ``runuser``, else ``su``; None if neither."""
    runuser = shutil.which("runuser", path=_SBIN_PATH)
    if runuser is not None:
        return [runuser, "-u", SYSTEM_USER, "--"]
    su = shutil.which("su", path=_SBIN_PATH)
    if su is not None:
        return [su, SYSTEM_USER, "-s", "/bin/sh", "-c"]
    return None


def available() -> str | None:
    """None when a throwaway server can be started here, else why not (a reason for ``pytest.skip``)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed"
    if bin_dir() is None:
        return "PostgreSQL's server binaries (initdb, pg_ctl) are not installed"
    if _running_as_root():
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            return f"running as root, and there is no {SYSTEM_USER!r} user to run PostgreSQL as"
        if _switch_user_command() is None:
            return (
                f"running as root, and neither runuser nor su is there to run PostgreSQL as {SYSTEM_USER!r}"
            )
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Postgres:
    """One throwaway PostgreSQL cluster: ``start()`` it (or use ``with``), then ``url()`` and
    ``create_database()``; ``stop()`` ends the server and deletes its folder."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.user = SUPERUSER
        self.password = secrets.token_urlsafe(18)
        self.startup_seconds = 0.0  # how long the last start() took, initdb included
        self._bin: Path | None = None
        self._tmp: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    # --- life cycle ----------------------------------------------------------------------------------------

    def start(self) -> Self:
        """Create the cluster and start the server; return once it accepts connections.

        Raises RuntimeError, with the end of the server's log, when it does not come up within
        ``START_TIMEOUT`` seconds."""
        if self._tmp is not None:
            raise RuntimeError("this PostgreSQL server is already started")
        reason = available()
        if reason is not None:
            raise RuntimeError(f"cannot start PostgreSQL: {reason}")
        self._bin = bin_dir()
        began = time.monotonic()
        deadline = began + START_TIMEOUT
        self._tmp = Path(tempfile.mkdtemp(prefix="nemo-pg-"))
        try:
            self._initdb(deadline)
            for attempt in range(3):  # another process may take the free port before the server binds it
                self.port = free_port()
                if self._launch(deadline, last_try=attempt == 2):
                    break
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        """Stop the server at once (``pg_ctl stop -m immediate``) and delete its folder; safe to repeat."""
        if self._tmp is None:
            return
        try:
            self._halt()
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- use -----------------------------------------------------------------------------------------------

    def url(self, db: str = "postgres", password: str | None = None) -> str:
        """``postgresql://USER:PASS@127.0.0.1:PORT/DB``, with the server's password or the one given."""
        secret = self.password if password is None else password
        return (
            f"postgresql://{quote(self.user, safe='')}:{quote(secret, safe='')}@{self.host}:{self.port}/{db}"
        )

    def create_database(self, name: str) -> str:
        """Create an empty database ``name`` and return its URL."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, closing any connections still open to it."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    # --- internals -----------------------------------------------------------------------------------------

    def _initdb(self, deadline: float) -> None:
        assert self._tmp is not None
        pwfile = self._tmp / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        self._tmp.chmod(0o700)
        if _running_as_root():  # the folder and the password file go to the user initdb runs as
            account = pwd.getpwnam(SYSTEM_USER)
            for path in (self._tmp, pwfile):
                os.chown(path, account.pw_uid, account.pw_gid)
        data = self._tmp / "data"
        command = [
            "initdb",
            "-D",
            str(data),
            "-U",
            self.user,
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        ]
        result = self._run_as_server(command, _remaining(deadline))
        pwfile.unlink()
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed (exit {result.returncode}):\n{_tail(result.stdout)}")
        settings = {**_SETTINGS, "unix_socket_directories": f"'{self._tmp}'"}
        with (data / "postgresql.conf").open("a") as conf:
            conf.write("\n# throwaway test server\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def _launch(self, deadline: float, last_try: bool) -> bool:
        """Start the server on ``self.port`` and wait until it answers there (``pg_isready``).

        Returns False when the port was taken meanwhile and another may be tried. The server runs as a child
        of this process (not daemonized by ``pg_ctl start``), so its exit is seen at once and it is reaped
        even where PID 1 reaps no orphans."""
        assert self._bin is not None and self._tmp is not None
        log = self._tmp / "server.log"
        command = ["postgres", "-D", str(self._tmp / "data"), "-p", str(self.port)]
        with log.open("w") as log_file:
            self._process = subprocess.Popen(
                self._as_server(command),
                cwd=self._tmp,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C reaches pytest alone, which then stops the server
            )
        ready = [str(self._bin / "pg_isready"), "-q", "-h", self.host, "-p", str(self.port), "-t", "2"]
        while True:
            exit_code = self._process.poll()
            if exit_code is not None:
                self._process = None
                log_text = log.read_text(errors="replace")
                if not last_try and "could not bind" in log_text and _remaining(deadline) > 1:
                    return False
                raise RuntimeError(
                    f"PostgreSQL exited while starting (exit {exit_code}):\n"
                    f"--- server log ---\n{_tail(log_text)}"
                )
            status = subprocess.run(ready, check=False, timeout=10).returncode
            if status == 0:
                return True
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"PostgreSQL on {self.host}:{self.port} did not accept connections within "
                    f"{START_TIMEOUT:g} s (pg_isready exit {status}):\n--- server log ---\n"
                    f"{_tail(log.read_text(errors='replace'))}"
                )
            time.sleep(0.05)

    def _halt(self) -> None:
        """End the server process, if one runs: ``pg_ctl stop -m immediate``; a kill if that fails."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        assert self._tmp is not None
        data = self._tmp / "data"
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self._run_as_server(
                    ["pg_ctl", "-D", str(data), "stop", "-m", "immediate", "-w", "-t", "10"], 15
                )
        else:  # still starting, before pg_ctl can find it: the same immediate shutdown, by hand
            _signal(_server_pid(process), signal.SIGQUIT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _signal(_server_pid(process), signal.SIGKILL)
            process.kill()
            process.wait(timeout=10)

    def _as_server(self, command: list[str]) -> list[str]:
        """The argv running a PostgreSQL program from the bin folder as the server's user."""
        assert self._bin is not None
        argv = [str(self._bin / command[0]), *command[1:]]
        if not _running_as_root():
            return argv
        switch = _switch_user_command()
        assert switch is not None
        if switch[-1] == "-c":  # su takes one shell command line
            return [*switch, "exec " + shlex.join(argv)]
        return [*switch, *argv]

    def _run_as_server(self, command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL program from the bin folder as the server's user and wait; output is captured."""
        assert self._tmp is not None
        # cwd: the server's user may not be allowed into the tests' working folder.
        return subprocess.run(
            self._as_server(command),
            cwd=self._tmp,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            timeout=max(timeout, 1),
        )


def _server_pid(process: subprocess.Popen[bytes]) -> int | None:
    """The postmaster's pid: the process itself, or its child when it was started through runuser or su."""
    if not _running_as_root():
        return process.pid
    try:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None


def _signal(pid: int | None, signum: signal.Signals) -> None:
    if pid is not None:
        with contextlib.suppress(OSError):
            os.kill(pid, signum)


def _remaining(deadline: float) -> float:
    return max(deadline - time.monotonic(), 0.0)


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
