"""Finished jobs are forgotten after a documented age; an unfinished job never is."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from nemo_skills.jobs.journal import KEEP_DAYS, JobSpec, Journal
from tests.clirun import nemo, only_json


def aged(journal: Journal, text: str, state: str, days: float) -> str:
    job = journal.add(JobSpec(skill="nemo-video-gen", text=text, backend="local"), owner=None)
    job = journal.update(job, state=state)
    with journal.db.transaction() as conn:  # as if last changed `days` ago
        record = job.model_copy(update={"updated": time.time() - days * 86400})
        conn.execute("UPDATE jobs SET updated = ?, record = ? WHERE job_id = ?",
                     (record.updated, record.model_dump_json(), job.job_id))  # fmt: skip
    return job.job_id


def test_jobs_prune_forgets_old_finished_jobs_and_keeps_unfinished_ones(tmp_path: Path) -> None:
    journal = Journal()
    old_done = aged(journal, "an old video", "done", 10)
    old_running = aged(journal, "an old job still rendering", "rendering", 10)
    new_done = aged(journal, "a new video", "done", 1)
    pruned = nemo("jobs", "--prune", "--older-than", "5", "--json", cwd=tmp_path)
    assert pruned.returncode == 0, pruned.stderr
    assert only_json(pruned.stdout)["pruned"] == 1
    assert journal.get(old_done) is None
    assert journal.get(old_running) is not None and journal.get(new_done) is not None


def test_finished_jobs_past_the_kept_age_go_by_themselves() -> None:
    journal = Journal()
    ancient = aged(journal, "a video from long ago", "failed", KEEP_DAYS + 1)
    unfinished = aged(journal, "a job interrupted long ago", "sent", KEEP_DAYS + 1)
    journal.add(JobSpec(skill="nemo-video-gen", text="today", backend="local"))
    assert journal.get(ancient) is None and journal.get(unfinished) is not None


def test_resuming_a_batch_s_jobs_writes_its_gallery_again(tmp_path: Path, backend_factory: Any) -> None:
    from nemo_skills.local import Faults

    backend = backend_factory(data_dir=tmp_path / "b", resolution=144, fps=12,
                              faults=Faults(empty_reply_share=0.0, render_delay=2.0))  # fmt: skip
    lines = "".join(f'{{"text": "a 2-second clip number {n}", "output": "clip{n}.mp4"}}\n' for n in range(2))
    (tmp_path / "batch.jsonl").write_text(lines, encoding="utf-8")
    cut = nemo("run", "auto", "--batch", "batch.jsonl", "-o", "out", "--deadline", "0.3", "--backend",
               backend.base_url, "--json", cwd=tmp_path)  # fmt: skip
    assert cut.returncode != 0
    gallery = tmp_path / "out" / "index.html"
    assert "clip0.mp4" not in gallery.read_text(encoding="utf-8")
    jobs = [item["job_id"] for item in only_json(cut.stdout)["items"]]
    resumed = nemo("resume", *jobs, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    page = gallery.read_text(encoding="utf-8")
    assert 'src="clip0.mp4"' in page or "clip0.mp4" in page
    assert "clip1.mp4" in page
