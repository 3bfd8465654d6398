"""What cleaning old renders costs a backend start, on a data folder holding many renders.

    .venv/bin/python benchmarks/bench_render_sweep.py               # 100, 1000 and 5000 renders
    .venv/bin/python benchmarks/bench_render_sweep.py --renders 2000 --repeat 7

Every backend start on a folder (each `--backend local` command starts one) tightens the folder's
permissions and sweeps it for renders past the keep window. For each folder size this seeds that many
finished renders (a row in backend.db and a small file each), then prints the median time of:

- a start with `keep_hours=None` (no sweep) and a start with the default 24 hours (a sweep that finds
  nothing old: the usual case), and the difference, beside the floor: the sweep must add less than
  FLOOR_MS_PER_1000 ms per 1000 renders to a start;
- one sweep that expires every render (all of them past the window), beside the same floor.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from nemo_skills.local import LocalBackend
from nemo_skills.local.config import BackendSettings
from nemo_skills.local.faults import Faults, FaultState
from nemo_skills.local.records import RenderJob
from nemo_skills.local.state import Store
from nemo_skills.protocol import RenderStatus

FLOOR_MS_PER_1000 = 250.0
DRAFT = {"tracks": [], "meta": {"ratio": "16:9"}}


def seed(folder: Path, count: int) -> None:
    store = Store(folder, BackendSettings(), FaultState(Faults()))
    now = time.time()
    try:
        for i in range(count):
            rid = f"render_{i:06d}"
            job = RenderJob(
                id=rid, session_id="sess_x", user_id="anon_x", created=now, updated=now, draft=DRAFT
            )
            store.add_render(job)
            (store.renders_dir / f"{rid}.mp4").write_bytes(b"\0" * 256)
            store.update_render(
                rid, status=RenderStatus.COMPLETED, progress=100.0, output=f"{rid}.mp4", file_key=f"k{i:021d}"
            )
    finally:
        store.close()


def start_seconds(folder: Path, keep_hours: float | None) -> float:
    began = time.perf_counter()
    backend = LocalBackend(data_dir=folder, keep_hours=keep_hours).start()
    took = time.perf_counter() - began
    backend.stop()
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    failed = False
    print(f"floor: the sweep adds < {FLOOR_MS_PER_1000:g} ms per 1000 renders")
    for count in args.renders:
        with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
            folder = Path(tmp) / "data"
            seed(folder, count)
            plain, swept = [], []
            for _ in range(args.repeat):
                plain.append(start_seconds(folder, None))
                swept.append(start_seconds(folder, 24.0))
            added_ms = (statistics.median(swept) - statistics.median(plain)) * 1000
            backend = LocalBackend(data_dir=folder).start()
            began = time.perf_counter()
            result = backend.sweep_renders(now=time.time() + 25 * 3600)
            expire_ms = (time.perf_counter() - began) * 1000
            backend.stop()
            assert len(result.expired) == count, len(result.expired)
        floor = FLOOR_MS_PER_1000 * max(count, 1000) / 1000
        ok = added_ms < floor and expire_ms < floor
        failed |= not ok
        print(
            f"{count:>6} renders: start {statistics.median(plain) * 1000:7.1f} ms without a sweep, "
            f"{statistics.median(swept) * 1000:7.1f} ms with one (+{added_ms:6.1f} ms); "
            f"expiring all {expire_ms:7.1f} ms; floor {floor:g} ms  {'ok' if ok else 'OVER'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
