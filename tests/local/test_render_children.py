"""A killed backend process leaves no render child running behind it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="parent-death signals are Linux's"
)

# Stands for a backend mid-render: a worker thread starts a long child and waits for it, as render workers do.
BACKEND = """
import sys, threading
from nemo_skills.local.renderer.children import spawn

def worker():
    child = spawn([sys.executable, "-c", "import time; time.sleep(120)"])
    print(child.pid, flush=True)
    child.wait()

threading.Thread(target=worker).start()
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waiting for init to reap it counts as gone.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_render_child_dies_with_its_killed_backend() -> None:
    backend = subprocess.Popen([sys.executable, "-c", BACKEND], stdout=subprocess.PIPE, text=True)
    assert backend.stdout is not None
    child = int(backend.stdout.readline())
    try:
        assert _alive(child)
        backend.send_signal(signal.SIGKILL)
        backend.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _alive(child), "the child outlived the backend that started it"
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)
        backend.kill()
