"""How long a contact sheet takes, and how big it is, for videos the local backend renders.

    python benchmarks/bench_contact_sheet.py [--runs 5] [--seconds 5 30 60] [--resolution 1080]

Renders a scene of each length (16:9, captions and a title) with the local renderer, then makes its
3x3 contact sheet `--runs` times and prints the median, min and max seconds, the sheet's size in KB
and pixels, and whether the frames were read in one pass or by seeking.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from nemo_skills.draft import Draft
from nemo_skills.files import previews
from nemo_skills.files.previews import ContactSheet, make_contact_sheet
from nemo_skills.local.renderer.render import render_draft


def _scene(seconds: float) -> Draft:
    ms = round(seconds * 1000)
    scene = {"kind": "scene", "prompt": "a sunset over a city skyline", "colors": ["0xff7e5f", "0x2b1055"]}
    title = {
        "tt": 7,
        "m": {"name": "Title"},
        "sg": [{"st": 0, "d": min(ms, 3000), "m": {"text": "Urban Dreams"}}],
    }
    return Draft.parse(
        {"t": [{"tt": 0, "sg": [{"st": 0, "d": ms, "m": scene}]}, title], "m": {"aspect": "16:9"}}
    )


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, nargs="+", default=[5.0, 30.0, 60.0])
    parser.add_argument("--resolution", type=int, default=1080)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for seconds in args.seconds:
            video = Path(tmp) / f"scene-{seconds:g}s.mp4"
            render_draft(_scene(seconds), lambda _name: None, video, short_side=args.resolution)
            times: list[float] = []
            sheet: ContactSheet | None = None
            for _ in range(args.runs):
                start = time.perf_counter()
                sheet = make_contact_sheet(video, Path(tmp) / "sheet.jpg")
                times.append(time.perf_counter() - start)
            assert sheet is not None
            how = "seeks" if sheet.duration > previews.SEEK_AFTER_SECONDS else "one pass"
            print(
                f"{seconds:g} s at {args.resolution}p: median {statistics.median(times):.2f}s "
                f"(min {min(times):.2f}, max {max(times):.2f}; {how}) -> {sheet.size_bytes / 1000:.0f} KB, "
                f"{sheet.width}x{sheet.height}, {len(sheet.frame_times)} frames, labelled={sheet.labelled}"
            )


if __name__ == "__main__":
    main()
