"""Child processes that end with the process that started them, so a killed backend leaves no ffmpeg running."""

from __future__ import annotations

import ctypes
import ctypes.util
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

_PR_SET_PDEATHSIG = 1


def _pdeathsig_setter() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGKILL the child when its parent dies; None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        # Loaded before any fork: the hook must only call into memory that is already mapped.
        prctl = ctypes.CDLL(name, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def set_pdeathsig() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    return set_pdeathsig


_SET_PDEATHSIG = _pdeathsig_setter()


def spawn(args: Sequence[str], *, cwd: Path | None = None, **kwargs: Any) -> subprocess.Popen[str]:
    """Start a text-mode child that is killed with this process (on Linux), not left running on its own.

    Linux sends the signal when the *thread* that started the child ends, so call this from the thread
    that waits for the child, as the render workers do.
    """
    return subprocess.Popen(list(args), cwd=cwd, text=True, preexec_fn=_SET_PDEATHSIG, **kwargs)
