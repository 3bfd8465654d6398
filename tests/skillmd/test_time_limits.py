"""Every SKILL.md tells the agent how to outlast its host's time limit without paying twice.

Agent hosts cut a tool call or shell command after 30 s to 2 minutes, while a video takes longer. The cli
mode starts a job and waits for it in bounded steps; the api mode keeps each request short, reads the state
after a cut reply instead of resending it, and polls a render by its id instead of exporting again.
"""

from __future__ import annotations

import re

import pytest

from nemo_skills.catalog.registry import get_catalog
from nemo_skills.errors import ExitCode
from nemo_skills.skillmd.context import HOST_TIME_LIMITS, WAIT_STEP_SECONDS, time_limits_note
from nemo_skills.skillmd.generate import Format, Mode, render_skill_md
from tests.skillmd.test_generate import BUILT_INS, parse

HEADING = "## Long videos and time limits"


def section(name: str, fmt: Format, mode: Mode) -> str:
    """The time-limit section of one skill's SKILL.md body, whitespace collapsed."""
    _, body = parse(render_skill_md(get_catalog().get(name), format=fmt, mode=mode))
    assert body.count(HEADING) == 1
    text = body.split(HEADING, 1)[1].split("\n## ", 1)[0]
    return re.sub(r"\s+", " ", text).strip()


def test_a_wait_step_ends_before_the_shortest_host_limit() -> None:
    assert 0 < WAIT_STEP_SECONDS < min(seconds for _, seconds in HOST_TIME_LIMITS)


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("name", BUILT_INS)
def test_both_modes_open_with_the_hosts_limits(name: str, fmt: Format, mode: Mode) -> None:
    text = section(name, fmt, mode)
    assert text.startswith(time_limits_note())
    assert "OpenClaw after 30 s, MCP clients after 60 s, Claude Code's shell after 2 minutes" in text
    assert all(host in text for host, _ in HOST_TIME_LIMITS)


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("name", BUILT_INS)
def test_cli_mode_starts_the_job_then_waits_in_bounded_steps(name: str, fmt: Format) -> None:
    text = section(name, fmt, Mode.CLI)
    assert f'nemo-skills run {name} "<prompt>" --detach --json' in text
    assert '"job_id": "job_...", "status": "running"' in text
    assert f"nemo-skills wait JOB_ID --timeout {WAIT_STEP_SECONDS} --json" in text
    assert "exits 0 with the same output `run` gives (the MP4 path)" in text
    assert (
        f"Exit code {ExitCode.DEADLINE} means the {WAIT_STEP_SECONDS} s passed first: the job goes on" in text
    )
    assert "nemo-skills jobs --json" in text


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("name", BUILT_INS)
def test_cli_mode_says_a_cut_command_can_be_run_again_without_paying_twice(name: str, fmt: Format) -> None:
    text = section(name, fmt, Mode.CLI)
    assert "gets cut off" in text and "leaves its job running in the background" in text
    assert "Running the exact same command again attaches to that job instead of starting a new one" in text
    assert "never pays twice or renders twice" in text


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("name", BUILT_INS)
def test_api_mode_reads_the_state_after_a_cut_reply_and_never_resends_it(name: str, fmt: Format) -> None:
    text = section(name, fmt, Mode.API)
    assert f"--max-time {WAIT_STEP_SECONDS}" in text
    assert "A generation goes on server-side when its stream is cut" in text
    assert "Never resend a message whose reply was cut or came back empty" in text
    assert "GET /api/state/nemo_agent/me/<sid>/latest" in text.replace("`", "")
    assert "until the draft differs from the one before the message" in text


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("name", BUILT_INS)
def test_api_mode_polls_a_render_by_its_id_instead_of_exporting_again(name: str, fmt: Format) -> None:
    text = section(name, fmt, Mode.API).replace("`", "")
    assert "Poll GET /api/render/proxy/lambda/<id> with that id" in text
    assert "poll the same id again" in text
    assert "Never POST a new export while that render may still be running" in text


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("name", BUILT_INS)
def test_api_mode_names_no_command_it_does_not_use(name: str, fmt: Format) -> None:
    """The api-mode file is self-contained: it drives the HTTP API, so it points at no nemo-skills command."""
    _, body = parse(render_skill_md(get_catalog().get(name), format=fmt, mode=Mode.API))
    assert "nemo-skills" not in body and "--detach" not in body
