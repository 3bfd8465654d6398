"""`nemo-skills mcp --http` started as a real process on a free loopback port, for the HTTP tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def mcp_http_server(backend: str, env: Mapping[str, str]) -> Iterator[str]:
    """Serve MCP over HTTP against `backend` until the block ends; yields the endpoint URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nemo_skills", "mcp", "--backend", backend, "--http", str(port)],
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the HTTP server did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
