"""`nemo-skills serve-local` as a user runs it: a separate process, its URL on stdout, Ctrl-C to stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nemo_skills.cli import cli
from tests.local.helpers import Api

SERVE = [sys.executable, "-c", "from nemo_skills.cli import main; main()", "serve-local"]


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [*SERVE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ}
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    return proc, url


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_local_prints_its_url_serves_and_exits_0_on_signal(sig: signal.Signals, tmp_path: Path) -> None:
    proc, url = _start(
        "--data-dir", str(tmp_path / "data"), "--rate-limit", "1", "--rate-limit-paths", "/api/credits"
    )
    try:
        assert url.startswith("http://127.0.0.1:")
        api = Api.connect(url)
        assert "sunset" in api.reply("a 5-second sunset")
        assert api.http.get("/api/credits/balance/simple", headers=api.headers).status_code == 429
    finally:
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "rule-based" in err and "Traceback" not in err
    assert (tmp_path / "data" / "backend.db").is_file()


def test_a_busy_port_is_bad_input_with_the_way_out() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([*SERVE, "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"Error: cannot serve on 127.0.0.1:{port}: Address already in use. "
        "Pick another --port, or --port 0 for a free one. (see: nemo-skills serve-local --help)"
    ]


def test_serve_local_refuses_non_loopback_hosts() -> None:
    result = CliRunner().invoke(cli, ["serve-local", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "loopback" in result.output


def test_serve_local_rejects_bad_fault_values() -> None:
    result = CliRunner().invoke(cli, ["serve-local", "--empty-reply-share", "2"])
    assert result.exit_code == 2 and "--empty-reply-share" in result.output


def test_help_lists_every_fault_flag() -> None:
    from nemo_skills.local.faults import Faults

    result = CliRunner().invoke(cli, ["serve-local", "--help"])
    for name in Faults.model_fields:
        assert "--" + name.replace("_", "-") in result.output


def test_without_the_local_extra_it_says_what_to_install() -> None:
    import os
    import subprocess
    import sys

    # Blocking the import stands in for an install without the [local] extra.
    code = "import sys; sys.modules['uvicorn'] = None\nfrom nemo_skills.cli import main\nmain(sys.argv[1:])\n"
    for args in (["serve-local"], ["run", "auto", "a sunset", "--backend", "local", "--no-export"]):
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            env=os.environ.copy(),
            timeout=60,
        )
        assert done.returncode == 2, (args, done.stderr)
        assert 'pip install "nemo-skills[local]"' in done.stderr
        assert "Traceback" not in done.stderr
