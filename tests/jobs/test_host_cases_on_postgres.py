"""The host cases of one machine (a cut command, kill -9 and rerun, the same command twice, a worker killed
mid-generation, a cut stream) hold the same with jobs in PostgreSQL, run by the engine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.jobs import test_detached_jobs as detached
from tests.jobs import test_unknown_reply as unknown

CASES: list[Callable[[Path, Callable[..., Any]], None]] = [
    detached.test_detach_returns_the_job_and_wait_fetches_the_video,
    detached.test_a_run_killed_mid_generation_is_joined_by_the_same_command,
    detached.test_the_same_command_twice_makes_one_video,
    detached.test_ctrl_c_leaves_the_job_to_its_worker,
    unknown.test_a_cut_stream_waits_for_the_generation_instead_of_resending,
    unknown.test_a_worker_killed_mid_generation_is_followed_by_one_that_waits_for_it,
]


@pytest.mark.parametrize("case", CASES, ids=[case.__name__.removeprefix("test_") for case in CASES])
def test_on_postgres(
    case: Callable[[Path, Callable[..., Any]], None],
    tmp_path: Path,
    backend_factory: Callable[..., Any],
    jobs_db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEMO_SKILLS_JOBS_URL", jobs_db_url)
    # A killed pool's jobs are taken up after 2 s without its heartbeat, not 30.
    monkeypatch.setenv("NEMO_SKILLS_POOL_STALLED", "2")
    case(tmp_path, backend_factory)
