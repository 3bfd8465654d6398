"""Cancel: a queued job never starts, a running one stops within seconds and nothing more is sent for it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nemo_skills.jobs.journal import Journal
from nemo_skills.local.request_log import CHAT_TURN, RENDER_START
from tests.clirun import nemo, only_json
from tests.jobs.test_unknown_reply import logged_backend

REQUEST = "a 2-second clip of a lighthouse"


def detach(backend: Any, tmp_path: Path, text: str = REQUEST, **env: str) -> str:
    started = nemo("run", "nemo-video-gen", text, "--backend", backend.base_url, "-o", f"{abs(hash(text))}.mp4",
                   "--detach", "--json", cwd=tmp_path, **env)  # fmt: skip
    assert started.returncode == 0, started.stderr
    return str(only_json(started.stdout)["job_id"])


def until(check: Callable[[], bool], what: str) -> None:
    for _ in range(1500):
        if check():
            return
        time.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


def test_a_job_cancelled_mid_generation_stops_and_sends_nothing_more(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = logged_backend(backend_factory, tmp_path, chat_delay=3.0)
    job_id = detach(backend, tmp_path)
    until(lambda: backend.chat_requests == 1, "the request with the backend")
    cancelled = nemo("cancel", job_id, "--json", cwd=tmp_path)
    assert cancelled.returncode == 0, cancelled.stderr
    outcome = only_json(cancelled.stdout)["jobs"][0]
    assert outcome["cancelled"] is True and outcome["state"] == "cancelled"
    assert "not recalled" in outcome["message"] and "credits it spent stay spent" in outcome["message"]
    began = time.monotonic()
    until(lambda: not Journal().running(Journal().get(job_id)), "the pool letting go")  # type: ignore[arg-type]
    assert time.monotonic() - began < 5
    time.sleep(4)  # the generation ends on the backend meanwhile: no render may follow it
    assert backend.request_counts()[RENDER_START] == 0

    waited = nemo("wait", job_id, "--json", cwd=tmp_path)
    assert waited.returncode == 11, waited.stderr
    assert only_json(waited.stdout)["error"]["code"] == "cancelled"
    listed = nemo("jobs", "--state", "cancelled", "--json", cwd=tmp_path)
    assert [j["job_id"] for j in only_json(listed.stdout)["jobs"]] == [job_id]

    resumed = nemo("resume", job_id, "--json", cwd=tmp_path)
    assert resumed.returncode == 11 and "was cancelled" in resumed.stderr
    assert backend.chat_requests == 1

    again = detach(backend, tmp_path)  # the same request later is a new job
    assert again != job_id
    assert nemo("wait", again, cwd=tmp_path).returncode == 0
    assert backend.request_counts()[CHAT_TURN] == 2


def test_a_queued_job_never_starts_and_afresh_starts_it_over(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = logged_backend(backend_factory, tmp_path, chat_delay=2.0)
    first = detach(backend, tmp_path, "a 2-second clip of a harbour", NEMO_SKILLS_WORKERS="1")
    second = detach(backend, tmp_path, "a 2-second clip of a bridge", NEMO_SKILLS_WORKERS="1")
    assert only_json(nemo("cancel", second, "--json", cwd=tmp_path).stdout)["jobs"][0]["was"] == "queued"
    assert nemo("wait", first, cwd=tmp_path).returncode == 0
    assert backend.chat_requests == 1

    finished = nemo("cancel", first, cwd=tmp_path)
    assert finished.returncode == 0 and "had already finished (done): nothing changed" in finished.stdout
    afresh = nemo("resume", second, "--afresh", "--json", cwd=tmp_path)
    assert afresh.returncode == 0, afresh.stderr
    assert backend.chat_requests == 2


def test_cancelling_an_unknown_job_is_bad_input(tmp_path: Path) -> None:
    result = nemo("cancel", "job_000000000000", "--json", cwd=tmp_path)
    assert result.returncode == 2
    assert only_json(result.stdout)["error"]["code"] == "bad_input"
    assert result.stderr.count("Error:") == 1


async def test_cancel_through_mcp(tmp_path: Path, backend_factory: Callable[..., Any]) -> None:
    from tests.host.test_mcp import assert_tool_error, mcp_session

    backend = logged_backend(backend_factory, tmp_path, chat_delay=3.0)
    async with mcp_session(backend.base_url, "--output-dir", str(tmp_path)) as session:
        started = (
            await session.call_tool("run_skill", {"prompt": REQUEST, "wait_seconds": 0.5})
        ).structured_content
        assert started is not None and started["status"] == "running"
        until(lambda: backend.chat_requests == 1, "the request with the backend")
        answer = await session.call_tool("cancel_job", {"job_id": started["job_id"]})
        out = answer.structured_content
        assert out is not None and out["cancelled"] is True and out["state"] == "cancelled"
        assert "credits it spent stay spent" in out["message"]
        assert_tool_error(await session.call_tool("wait_job", {"job_id": started["job_id"]}), "cancelled")
        listed = (await session.call_tool("list_jobs", {})).structured_content
        assert listed is not None and listed["jobs"][0]["state"] == "cancelled"
        again = await session.call_tool("cancel_job", {"job_id": started["job_id"]})
        assert again.structured_content is not None and again.structured_content["cancelled"] is False
        unknown = await session.call_tool("cancel_job", {"job_id": "job_000000000000"})
        assert_tool_error(unknown, "bad_input")
    time.sleep(3.5)  # the generation ends on the backend: nothing may follow it
    assert backend.request_counts()[RENDER_START] == 0


def test_a_batch_s_remaining_items_are_cancelled_together(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    from tests.clirun import start

    backend = logged_backend(backend_factory, tmp_path, chat_delay=2.0)
    lines = "".join(f'{{"text": "a 2-second clip number {n}"}}\n' for n in range(4))
    (tmp_path / "batch.jsonl").write_text(lines, encoding="utf-8")
    batch = start("run", "auto", "--batch", "batch.jsonl", "-o", "out", "--concurrency", "1", "--backend",
                  backend.base_url, "--json", cwd=tmp_path)  # fmt: skip
    until(lambda: backend.chat_requests == 1, "the first item with the backend")
    batch_id = Journal().list(limit=1)[0].batch_id
    assert batch_id is not None
    cancelled = nemo("cancel", "--batch", batch_id, "--json", cwd=tmp_path)
    assert cancelled.returncode == 0, cancelled.stderr
    assert len(only_json(cancelled.stdout)["jobs"]) == 4
    _, err = batch.communicate(timeout=60)
    assert batch.returncode == 11, err
    states = {job.state for job in Journal().list() if job.batch_id == batch_id}
    assert states == {"cancelled"}
    assert backend.chat_requests == 1 and backend.request_counts()[RENDER_START] == 0
