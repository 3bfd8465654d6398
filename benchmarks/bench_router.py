"""In-process routing beside its floor: decisions per second of the public `nemo_skills.route`.

.venv/bin/python benchmarks/bench_router.py [--decisions N] [--rounds R] [--check]

Text-only requests (plain prompts, a named skill, Sora, a link, mixed Chinese and Latin text) go through
`nemo_skills.route` as a host calls it. The floor is what such a decision needs at least: the text folded
to words by one regex, a dict look-up per word and one regex search. A request with a photo is measured
beside reading the photo's first bytes, which is all the router may read of a file. Prints decisions/s,
the ratio to each floor (median of back-to-back pairs over R rounds) and the goal of 50,000/s for text.
With --check, first routes the corpus of tests/catalog/route_corpus.py (text, links, files, mixed scripts,
a reordering registry, a third-party plugin) and compares every decision with the digests recorded before
routing was made faster.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from nemo_skills import route

TEXTS = [
    "a 5-second sunset over a city skyline",
    "use video leonardo to make a sunset",
    "a Sora-style clip of waves",
    "summarise https://example.com/blog-post as a video",
    "用video leonardo做一个日落视频",
    "make a montage of a city at night with lo-fi music",
]
GOAL = 50_000
_WORDS = re.compile(r"[\W_]+")
_LINK = re.compile(r"https?://\S+")
_NAMES = {"leonardo": "video-leonardo", "sora": "ai-video-maker-sora", "link": "generator-by-link"}


def floor_text(text: str) -> str:
    """A few regex and dict look-ups: what any text decision costs at least."""
    for word in _WORDS.split(text.lower()):
        if word in _NAMES:
            return _NAMES[word]
    return "generator-by-link" if _LINK.search(text) else "nemo-video-gen"


def rate(decide: Callable[[int], object], n: int) -> float:
    """Seconds per decision over n decisions."""
    start = time.perf_counter()
    for i in range(n):
        decide(i)
    return (time.perf_counter() - start) / n


def compare(
    name: str, ours: Callable[[int], object], floor: Callable[[int], object], n: int, rounds: int
) -> None:
    """Print one row: our decisions/s, the floor's, and the median ratio of their times."""
    ours_s, floor_s = [], []
    for _ in range(rounds):
        floor_s.append(rate(floor, n))
        ours_s.append(rate(ours, n))
    ratio = statistics.median(o / f for o, f in zip(ours_s, floor_s, strict=True))
    best = min(ours_s)
    print(
        f"  {name:<22} {1 / best:>9,.0f}/s ({best * 1e6:5.1f} µs)   floor {1 / min(floor_s):>10,.0f}/s   {ratio:6.1f}x"
    )


def check() -> None:
    """Route the test corpus and compare its decisions with the recorded digests; exit 1 on any change."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.catalog import route_corpus

    recorded = route_corpus.DIGESTS.read_text(encoding="utf-8").splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        found = route_corpus.digests(Path(tmp))
    count = sum(int(line.split()[1].split("-")[1]) - int(line.split()[1].split("-")[0]) + 1 for line in found)
    changed = [line.rsplit(" ", 1)[0] for line, old in zip(found, recorded, strict=False) if line != old]
    if changed or len(found) != len(recorded):
        print(f"corpus: {count:,} decisions; CHANGED in {', '.join(changed) or 'the number of chunks'}")
        sys.exit(1)
    print(f"corpus: {count:,} decisions, every one identical to the recorded decision")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--check", action="store_true", help="first check the decisions against the corpus")
    args = parser.parse_args()
    if args.check:
        check()
    route(TEXTS[0])  # plugins, registry and catalog load once, as in a long-running host
    n, k = args.decisions, len(TEXTS)
    print(f"nemo_skills.route, {n} decisions a round, {args.rounds} rounds (best figure; ratio: median)")
    compare("text", lambda i: route(TEXTS[i % k]), lambda i: floor_text(TEXTS[i % k]), n, args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "photo.jpg"
        photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(200_000))

        def head(_: int) -> bytes:
            with photo.open("rb") as f:
                return f.read(64)

        compare("text + a photo", lambda i: route("animate this", [photo]), head, n // 3, args.rounds)
    print(f"  goal: at least {GOAL:,}/s for text; with files, bounded by reading their first bytes")


if __name__ == "__main__":
    main()
