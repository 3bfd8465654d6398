"""A batch goes at the pace the backend allows: 429s slow it down instead of ending it, and each item asks
only what can change its outcome."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nemo_skills.local import Faults
from nemo_skills.local.request_log import CHAT_TURN, RENDER_START, STATE, read_request_log
from tests.clirun import nemo, only_json


def batch_file(folder: Path, n: int) -> Path:
    path = folder / "batch.jsonl"
    path.write_text("".join(json.dumps({"text": f"a 1-second clip of tide {i}"}) + "\n" for i in range(n)))
    return path


def logged_backend(backend_factory: Callable[..., Any], tmp_path: Path, **faults: Any) -> Any:
    return backend_factory(
        data_dir=tmp_path / "backend",
        resolution=144,
        fps=12,
        request_log=tmp_path / "requests.jsonl",
        faults=Faults(empty_reply_share=0.0, **faults),
    )


def test_a_rate_limited_batch_slows_down_and_makes_every_video_once(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = logged_backend(backend_factory, tmp_path, rate_limit_rps=8, rate_limit_burst=2)
    args = ("run", "nemo-video-gen", "--batch", batch_file(tmp_path, 6), "-o", "out", "--concurrency", "6",
            "--backend", backend.base_url)  # fmt: skip
    done = nemo(*args, "--json", "--progress", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert only_json(done.stdout)["succeeded"] == 6
    assert len(list((tmp_path / "out").glob("*.mp4"))) == 6
    requests = read_request_log(tmp_path / "requests.jsonl")
    assert any(r.status == 429 for r in requests), "the backend never limited: the test shows nothing"
    answered = backend.request_counts(status=200)
    assert answered[CHAT_TURN] == 6 and answered[RENDER_START] == 6  # nothing paid or rendered twice
    assert "The backend asked to slow down (HTTP 429" in done.stderr


def test_each_item_reads_the_state_at_most_once(tmp_path: Path, backend_factory: Callable[..., Any]) -> None:
    backend = logged_backend(backend_factory, tmp_path)
    done = nemo("run", "nemo-video-gen", "--batch", batch_file(tmp_path, 3), "-o", "out",
                "--backend", backend.base_url, "--json", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    counts = backend.request_counts()
    # A new session is empty (nothing to read before), and after the reply the turn's stateDelta (or one
    # read) serves the timeline and the export.
    assert counts[STATE] <= 3
    api = sum(n for key, n in counts.items() if "/files/" not in key and "anonymous-token" not in key)
    assert api <= 8 * 3, counts
