"""Run the `nemo-skills` CLI as a subprocess, the way a user or a script does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

# Client waits shrunk so a test never sits out a production-length pause.
FAST_CLIENT = {
    "poll_initial": 0.05,
    "poll_max": 0.2,
    "rate_limit_wait": 0.1,
    "download_retry_wait": 0.05,
    "settle_interval": 0.05,
    "pending_reply_poll": 0.1,
    "job_poll": 0.05,
}


def cli_env(**extra: str) -> dict[str, str]:
    """os.environ (with the isolated config and data folders of the test) plus fast client waits."""
    env = dict(os.environ)
    env["NEMO_SKILLS_CLIENT_OPTIONS"] = json.dumps(FAST_CLIENT)
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("NO_COLOR", None)
    env.update(extra)
    return env


def nemo(
    *args: str | Path, cwd: Path, stdin: str | None = None, timeout: float = 120, **env: str
) -> subprocess.CompletedProcess[str]:
    """`nemo-skills ARGS...` in `cwd`; stdout, stderr and the exit code come back."""
    return subprocess.run(
        [sys.executable, "-m", "nemo_skills", *map(str, args)],
        cwd=cwd,
        env=cli_env(**env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start(*args: str | Path, cwd: Path, **env: str) -> subprocess.Popen[str]:
    """`nemo-skills ARGS...` started in the background, stderr piped line by line."""
    return subprocess.Popen(
        [sys.executable, "-m", "nemo_skills", *map(str, args)],
        cwd=cwd,
        env=cli_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def only_json(stdout: str) -> dict[str, Any]:
    """The one JSON object stdout must hold, and nothing else."""
    text = stdout.strip()
    assert text.startswith("{") and text.endswith("}"), f"stdout is not one JSON object: {stdout!r}"
    value = json.loads(text)
    assert isinstance(value, dict)
    return value


def pools_gone(timeout: float = 30) -> None:
    """Wait until no worker pool of the test's data folder runs (the next command starts a fresh one,
    with its own environment)."""
    import time

    from nemo_skills.files.atomic import data_dir
    from nemo_skills.files.locks import lock_held

    ends = time.monotonic() + timeout
    while any(lock_held(lock) for lock in (data_dir() / "workers").glob("pool-*.lock")):
        assert time.monotonic() < ends, "a worker pool never exited"
        time.sleep(0.05)
