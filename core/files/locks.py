"""Exclusive advisory locks on a file, across processes: the one OS-specific place for them.

POSIX takes `flock` on the file; Windows locks its first byte with `msvcrt.locking`. Either way
the lock belongs to an open file descriptor, so a process that dies (a crash, `kill -9`) leaves
no stale lock behind. A file system that offers no locks at all (some network mounts) is used
without one: the lock guards against a rare race, not against corruption, and refusing to run
there would be worse.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_FILE_MODE = 0o600
# How often a waiter looks again where it cannot block (an event loop, Windows).
POLL_SECONDS = 0.02

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EDEADLOCK):  # another process holds it
                return False
            raise
        return True

    def _lock(fd: int) -> None:
        # LK_LOCK gives up after 10 s; a waiter here waits as long as the holder needs.
        while not _try_lock(fd):
            time.sleep(POLL_SECONDS)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _open(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return os.open(path, os.O_RDWR | os.O_CREAT, LOCK_FILE_MODE)


def _release(fd: int, locked: bool) -> None:
    try:
        if locked:
            with contextlib.suppress(OSError):
                _unlock(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold the lock on `path` (created owner-only if missing), waiting for another process to let go."""
    fd = _open(path)
    locked = False
    try:
        try:
            _lock(fd)
            locked = True
        except OSError as exc:
            log.debug("%s not locked: %s", path, exc)
        yield
    finally:
        _release(fd, locked)


@contextlib.asynccontextmanager
async def file_lock_async(path: Path) -> AsyncIterator[None]:
    """`file_lock` for an event loop: the lock is polled, never waited for, since its holder may be
    a task on this very loop."""
    fd = _open(path)
    locked = False
    try:
        while True:
            try:
                locked = _try_lock(fd)
            except OSError as exc:
                log.debug("%s not locked: %s", path, exc)
                break
            if locked:
                break
            await asyncio.sleep(POLL_SECONDS)
        yield
    finally:
        _release(fd, locked)


@contextlib.contextmanager
def try_file_lock(path: Path) -> Iterator[bool]:
    """Take the lock on `path` if nobody holds it, without waiting; yields whether it was taken.

    A process that holds it for its whole life (a worker pool) marks itself as running: the lock goes
    with the process, however it ends.
    """
    fd = _open(path)
    locked = False
    try:
        try:
            locked = _try_lock(fd)
        except OSError as exc:
            log.debug("%s not locked: %s", path, exc)
        yield locked
    finally:
        _release(fd, locked)


def lock_held(path: Path) -> bool:
    """Whether another process holds the lock on `path` now (a file nobody ever locked: no)."""
    if not path.exists():
        return False
    with try_file_lock(path) as taken:
        return not taken
