"""How long SKILL.md generation takes: rendering in memory, and a full write plus --check of every file.

.venv/bin/python benchmarks/bench_generate.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from itertools import product

from nemo_skills.catalog.registry import get_catalog
from nemo_skills.skillmd.generate import Format, Mode, generate, render_skill_md


def main() -> None:
    """Print render and write/check timings for every served skill, format and mode."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    skills = get_catalog().skills()
    combos = list(product(Format, Mode))

    samples = []
    sizes = []
    for _ in range(rounds):
        start = time.perf_counter()
        for skill, (fmt, mode) in product(skills, combos):
            sizes.append(len(render_skill_md(skill, format=fmt, mode=mode).encode()))
        samples.append((time.perf_counter() - start) / (len(skills) * len(combos)))
    print(f"render one SKILL.md: median {statistics.median(samples) * 1e3:.2f} ms over {rounds} rounds")
    print(f"file size: {min(sizes)}-{max(sizes)} bytes")

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        for fmt, mode in combos:
            generate(f"{out}/{fmt}-{mode}", skills, format=fmt, mode=mode)
        written = time.perf_counter() - start
        start = time.perf_counter()
        for fmt, mode in combos:
            assert generate(f"{out}/{fmt}-{mode}", skills, format=fmt, mode=mode, check=True).ok
        checked = time.perf_counter() - start
    files = len(skills) * len(combos)
    print(f"write {files} files: {written * 1e3:.1f} ms; --check them: {checked * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
