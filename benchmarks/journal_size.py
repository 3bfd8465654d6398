"""The job journal's size after many finished jobs, and what a new job costs to record.

    .venv/bin/python benchmarks/journal_size.py [--jobs 10000] [--events 30]

Records `--jobs` jobs in a fresh journal, each taken to done with `--events` progress events and a result,
as the worker pool does, then prints the file's size beside the number of jobs kept (finished jobs past
MAX_JOBS_KEPT, or older than KEEP_DAYS, are forgotten as new ones are recorded; unfinished ones never are).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nemo-journal-") as folder:
        os.environ["NEMO_SKILLS_DATA_DIR"] = folder
        from nemo_skills.jobs.journal import KEEP_DAYS, MAX_JOBS_KEPT, JobSpec, Journal
        from nemo_skills.jobs.results import RunResult

        journal = Journal(Path(folder) / "nemo-skills.db")
        add_times: list[float] = []
        began = time.perf_counter()
        for n in range(args.jobs):
            spec = JobSpec(
                skill="nemo-video-gen", text=f"a 5-second clip number {n} of a city", backend="local"
            )
            started = time.perf_counter()
            job = journal.add(spec, owner=None)
            add_times.append(time.perf_counter() - started)
            for k in range(args.events):
                journal.post(job.job_id, f'{{"kind": "render", "render_id": "r{n}", "status": "running", '
                             f'"progress": {k / args.events:.2f}}}')  # fmt: skip
            result = RunResult(job_id=job.job_id, skill="nemo-video-gen", session_id=f"s{n}", backend="local",
                               text="Done! I generated a 5-second scene.", timeline="Timeline (1 track)",
                               output=Path(f"/videos/{n}.mp4"), size=250_000)  # fmt: skip
            journal.update(job, state="done", output=str(result.output), result=result)
        elapsed = time.perf_counter() - began
        journal.db.close()
        db = Path(folder) / "nemo-skills.db"
        size = sum(p.stat().st_size for p in db.parent.glob("nemo-skills.db*"))
        kept = len(Journal(db).list())
        print(
            f"{args.jobs} jobs recorded and finished, {args.events} progress events each, in {elapsed:.1f} s"
        )
        print(
            f"  jobs kept                 {kept:>10}   floor: at most {MAX_JOBS_KEPT} finished ({KEEP_DAYS:g} days)"
        )
        print(
            f"  journal on disk (MB)      {size / 1e6:>10.1f}   ({size / max(kept, 1) / 1000:.1f} kB a kept job)"
        )
        print(f"  recording a job, median   {statistics.median(add_times) * 1000:>8.2f} ms")
        print(f"  recording a job, p99      {sorted(add_times)[int(len(add_times) * 0.99)] * 1000:>8.2f} ms")


if __name__ == "__main__":
    main()
