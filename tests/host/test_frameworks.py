"""Agent frameworks, each with its own MCP client at its defaults, get a job id and then the video.

openai-agents and google-adk give every tool call 5 s; pydantic-ai (300 s) and fastmcp (no limit) give
more. None of them is known to the server by the name it sends, so a call that leaves `wait_seconds` out
is answered within 4 s: the first run_skill hands back a job id, and wait_job calls bring the MP4. The
backend here takes ~6 s to generate and ~3 s to render, so no single 5-s call could have had the video.

Each framework runs in its own virtualenv (`scripts/host-frameworks setup` makes .venv-hosts), driven by
tests/host/frameworks/<driver>.py with a scripted model: no model API is called, and the drivers refuse
any connection beyond loopback. The tests skip when that virtualenv is missing, and per framework when
it does not import there.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nemo_skills.local import Faults
from nemo_skills.local.renderer.probe import probe
from tests.host.test_mcp import server_env
from tests.jobs.test_interrupted_jobs import renders_made

ROOT = Path(__file__).resolve().parents[2]
HOSTS_VENV = Path(os.environ.get("NEMO_HOST_FRAMEWORKS") or ROOT / ".venv-hosts")
# framework: (driver module in tests/host/frameworks, what must import for it)
FRAMEWORKS = {
    "openai-agents": ("openai_agents", "agents.mcp"),
    "google-adk": ("google_adk", "google.adk.tools.mcp_tool"),
    "pydantic-ai": ("pydantic_ai", "pydantic_ai.mcp, fastmcp"),
    "fastmcp": ("fastmcp_client", "fastmcp"),
}
# The frameworks whose client cuts a call after 5 s by default.
FIVE_SECOND_CLIENTS = ["openai-agents", "google-adk"]
CLIENT_LIMIT = 5.0
# Model providers' keys are left out: nothing here may reach a model.
KEYS = ("OPENAI_API_KEY", "GOOGLE_API_KEY", "GEMINI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_CLOUD_PROJECT")


def hosts_python() -> Path:
    python = HOSTS_VENV / "bin" / "python"
    if not python.is_file():
        pytest.skip(f"no frameworks' virtualenv at {HOSTS_VENV}: run scripts/host-frameworks setup")
    return python


@functools.cache
def import_error(modules: str) -> str | None:
    """Why `import modules` fails in the frameworks' virtualenv, or None."""
    done = subprocess.run(
        [str(hosts_python()), "-c", f"import nemo_skills, mcp, {modules}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=driver_env(),
        cwd=ROOT,
    )
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit code {done.returncode}"


def driver_env() -> dict[str, str]:
    """The test's isolated folders and fast client timings, without model keys or tracing exporters."""
    env = server_env(OPENAI_AGENTS_DISABLE_TRACING="1", PYTHONDONTWRITEBYTECODE="1")
    for key in KEYS:
        env.pop(key, None)
    return env


def run_driver(framework: str, backend_url: str, output_dir: Path, *server_options: str) -> dict[str, Any]:
    """Run the framework's driver; the JSON line it printed."""
    module, modules = FRAMEWORKS[framework]
    python = hosts_python()
    error = import_error(modules)
    if error is not None:
        pytest.skip(f"{framework} does not import in {HOSTS_VENV}: {error}")
    command = [str(python), "-m", f"tests.host.frameworks.{module}", backend_url, str(output_dir)]
    done = subprocess.run(
        [*command, *server_options], capture_output=True, text=True, timeout=180, env=driver_env(), cwd=ROOT
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0 and lines, (
        f"{framework} driver failed ({done.returncode}):\n{done.stderr[-3000:]}"
    )
    out: dict[str, Any] = json.loads(lines[-1])
    assert out["framework"] == framework
    assert out["outbound"] == [], "the framework tried to reach beyond this machine"
    return out


def slow_backend(backend_factory: Callable[..., Any], tmp_path: Path) -> Any:
    """~6 s of generation and ~3 s of render: more than one 5-s call can wait."""
    return backend_factory(
        data_dir=tmp_path / "backend",
        resolution=144,
        fps=12,
        faults=Faults(chat_delay=6.0, render_delay=3.0, empty_reply_share=0.0),
    )


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
def test_the_framework_gets_a_job_id_then_the_video_with_its_default_client(
    framework: str, tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = slow_backend(backend_factory, tmp_path)
    out = run_driver(framework, backend.base_url, tmp_path / "videos")
    assert out["cut"] == [], "a call came back as an error (a client's time limit?)"
    assert out["job_id_first_call"] and out["first_status"] == "running", out
    assert out["calls"][0] == "run_skill" and out["calls"][1:] == ["wait_job"] * (len(out["calls"]) - 1)
    assert len(out["calls"]) >= 2, out
    # What the server received: calls without wait_seconds, each answered well within 5 s.
    served = out["server_calls"]
    assert [c["tool"] for c in served] == out["calls"]
    assert all("wait_seconds" not in c["arguments"] for c in served)
    assert not any(c["cancelled"] or c["error"] for c in served), served
    assert max(c["seconds"] for c in served) < CLIENT_LIMIT, served
    assert out["client"] and out["client"]["name"], "the server saw no clientInfo"
    assert out["status"] == "completed", out
    path = Path(out["path"])
    assert path.suffix == ".mp4" and path.is_file() and path.parent == tmp_path / "videos"
    assert probe(path).duration > 1.5
    assert backend.chat_requests == 1
    assert renders_made(backend) == 1


@pytest.mark.parametrize("framework", FIVE_SECOND_CLIENTS)
def test_the_default_client_really_cuts_a_call_after_five_seconds(
    framework: str, tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    # The control: told to wait 8 s a call, the server answers too late for these clients' defaults.
    backend = slow_backend(backend_factory, tmp_path)
    out = run_driver(framework, backend.base_url, tmp_path / "videos", "--wait-seconds", "8")
    assert out["calls"] == ["run_skill"] and len(out["cut"]) == 1, out
    assert not out["job_id_first_call"] and out["path"] is None
    [served] = out["server_calls"]
    assert served["cancelled"] and CLIENT_LIMIT - 0.5 < served["seconds"] < CLIENT_LIMIT + 1.5, served
    # The job goes on without the client, to its video: one chat turn, one render.
    from nemo_skills.jobs.journal import Journal

    deadline = time.monotonic() + 60
    while not ((jobs := Journal().list()) and all(job.finished for job in jobs)):
        assert time.monotonic() < deadline, f"the job did not finish: {jobs}"
        time.sleep(0.5)
    assert [job.state for job in jobs] == ["done"] and Path(jobs[0].output or "").is_file()
    assert backend.chat_requests == 1
    assert renders_made(backend) == 1
