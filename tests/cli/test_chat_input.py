"""`chat` refuses a bad line with one clear error and goes on with the next."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.clirun import cli_env


def chat(stdin: bytes, backend: Any, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "nemo_skills", "chat", "nemo-video-gen", "--backend", backend.base_url],
        cwd=cwd,
        env=cli_env(NO_COLOR="1"),
        input=stdin,
        capture_output=True,
        timeout=120,
    )


def test_a_line_that_is_not_utf8_is_refused_and_the_session_goes_on(
    tmp_path: Path, local_backend: Any
) -> None:
    done = chat(b"caf\xe9 \xff sunset\nstatus\n", local_backend, tmp_path)
    stderr = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr and "unexpected failure" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        "Error: that line is not valid UTF-8 text (caf\\xe9 \\xff sunset). Save it as UTF-8 and try again."
    ]
    # The next line was still answered: the status of the (empty) session.
    assert "Timeline" in done.stdout.decode()
    assert "Continue with: nemo-skills chat nemo-video-gen --session" in stderr
    assert done.returncode == 0, stderr


def test_binary_bytes_and_an_overlong_line_end_with_the_bad_input_code(
    tmp_path: Path, local_backend: Any
) -> None:
    done = chat(b"a" * 25_000 + b"\n" + bytes(range(1, 256)) + b"\n", local_backend, tmp_path)
    stderr = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr and "unexpected failure" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 2, stderr
    assert "25,000 characters long; at most 20,000" in errors[0]
    assert "not valid UTF-8" in errors[1]
    assert "\x1b" not in stderr and "\x07" not in stderr, "a control character reached the terminal"
    assert done.returncode == 2
