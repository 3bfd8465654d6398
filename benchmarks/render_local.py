"""Median render time of the local backend's main kinds of export, at 1080p.

    python benchmarks/render_local.py [--runs 3] [--resolution 1080]

Prints one line per kind: median seconds, min, max, and the output's probed size
and duration. Renders run through the same code the server uses (render_draft),
plus one end-to-end run over loopback HTTP (prompt -> chat -> export -> download).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from nemo_skills import protocol
from nemo_skills.draft import Draft
from nemo_skills.local import LocalBackend
from nemo_skills.local.records import MediaRecord
from nemo_skills.local.renderer.probe import MediaInfo, probe
from nemo_skills.local.renderer.render import render_draft
from nemo_skills.local.samples import make_samples


def _media(samples: dict[str, Path]) -> dict[str, tuple[Path, MediaRecord]]:
    found = {}
    for name, path in samples.items():
        info = probe(path)
        kind = "image" if path.suffix in (".jpg", ".png") else "audio" if not info.has_video else "video"
        found[name] = (
            path,
            MediaRecord.model_validate(
                {
                    "id": name,
                    "name": name,
                    "kind": kind,
                    "duration_ms": info.duration_ms,
                    "has_audio": info.has_audio,
                }
            ),
        )
    return found


def _drafts() -> dict[str, Draft]:
    scene = {"kind": "scene", "prompt": "a sunset over a city skyline", "colors": ["0xff7e5f", "0x2b1055"]}
    title = {"tt": 7, "m": {"name": "Title"}, "sg": [{"st": 0, "d": 3000, "m": {"text": "Urban Dreams"}}]}
    slides = [
        {"st": i * 2000, "d": 2000, "m": {"src": n}} for i, n in enumerate(["photo.jpg", "photo2.png"] * 2)
    ]
    clips = [
        {"st": i * 2000, "d": 2000, "m": {"src": n}} for i, n in enumerate(["clip.mp4", "clip2.mp4"] * 2)
    ]
    music = {"tt": 1, "sg": [{"st": 0, "d": 8000, "m": {"src": "music.mp3", "volume": 0.35}}]}
    return {
        "scene 5s 16:9 (gradient + caption + title)": Draft.parse(
            {"t": [{"tt": 0, "sg": [{"st": 0, "d": 5000, "m": scene}]}, title], "m": {"aspect": "16:9"}}
        ),
        "scene 5s 9:16": Draft.parse(
            {"t": [{"tt": 0, "sg": [{"st": 0, "d": 5000, "m": scene}]}], "m": {"aspect": "9:16"}}
        ),
        "slides 4 images x 2s 16:9": Draft.parse({"t": [{"tt": 0, "sg": slides}], "m": {"aspect": "16:9"}}),
        "animated image 5s 16:9 (slow zoom)": Draft.parse(
            {
                "t": [
                    {"tt": 0, "sg": [{"st": 0, "d": 5000, "m": {"src": "photo.jpg", "motion": "zoom_in"}}]}
                ],
                "m": {"aspect": "16:9"},
            }
        ),
        "slides 4 images x 2s 16:9, crossfades": Draft.parse(
            {"t": [{"tt": 0, "sg": slides}], "m": {"aspect": "16:9", "transition": "crossfade"}}
        ),
        "clips 4 x 2s + music 16:9": Draft.parse(
            {"t": [{"tt": 0, "sg": clips}, music], "m": {"aspect": "16:9"}}
        ),
    }


def _time(fn: Callable[[], Any], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def _end_to_end(resolution: int) -> MediaInfo:
    with LocalBackend(resolution=resolution) as backend, tempfile.TemporaryDirectory() as tmp:
        http = httpx.Client(base_url=backend.base_url, timeout=120)
        token = http.post(
            protocol.PATH_ANON_TOKEN, headers={protocol.HEADER_CLIENT_ID: str(uuid.uuid4())}
        ).json()
        headers = {
            protocol.HEADER_AUTH: f"Bearer {token['data']['token']}",
            protocol.HEADER_SKILL_SOURCE: "nemo-video-gen",
            protocol.HEADER_SKILL_VERSION: "1.0.0",
            protocol.HEADER_SKILL_PLATFORM: "unknown",
        }
        sid = http.post(
            protocol.PATH_CREATE_SESSION, headers=headers, json=protocol.session_body("en")
        ).json()
        sid = sid["data"]["session_id"]
        http.post(
            protocol.PATH_RUN_SSE,
            headers=headers,
            json=protocol.chat_body(sid, "a 5-second sunset over a city skyline"),
        )
        draft = http.get(protocol.state_path(sid), headers=headers).json()["data"]["state"]["draft"]
        http.post(
            protocol.PATH_RENDER, headers=headers, json=protocol.render_body("render_bench", sid, draft)
        )
        while True:
            body = http.get(protocol.render_status_path("render_bench"), headers=headers).json()
            if body["status"] in protocol.RenderStatus.TERMINAL:
                break
            time.sleep(0.05)
        out = Path(tmp) / "out.mp4"
        out.write_bytes(http.get(body["output"]["url"]).content)
        return probe(out)


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--resolution", type=int, default=1080)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        media = _media(make_samples(Path(tmp) / "samples"))
        for label, draft in _drafts().items():
            out = Path(tmp) / "out.mp4"
            times = _time(
                lambda d=draft, o=out: render_draft(d, media.get, o, short_side=args.resolution), args.runs
            )
            info = probe(out)
            print(
                f"{label:<45} median {statistics.median(times):6.2f}s  (min {min(times):.2f}, max {max(times):.2f}; "
                f"{info.width}x{info.height}, {info.duration:.2f}s, audio={info.has_audio})"
            )
    times: list[float] = []
    info = None
    for _ in range(args.runs):
        start = time.perf_counter()
        info = _end_to_end(args.resolution)
        times.append(time.perf_counter() - start)
    assert info is not None
    print(
        f"{'end to end over HTTP: prompt -> MP4 (5s scene)':<45} median {statistics.median(times):6.2f}s  "
        f"(min {min(times):.2f}, max {max(times):.2f}; {info.width}x{info.height}, {info.duration:.2f}s)"
    )


if __name__ == "__main__":
    main()
