"""A corpus of routing requests and a digest of the decisions each part of it gets.

The digests in tests/data/route_corpus.sha256 were recorded before routing was made faster, so
tests/catalog/test_router_corpus.py proves the decisions stay identical. To record them again
(only for a deliberate change of policy): `.venv/bin/python -m tests.catalog.route_corpus --record`.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from nemo_skills import route
from nemo_skills.catalog import plugins
from nemo_skills.errors import NemoSkillsError

DIGESTS = Path(__file__).parent.parent / "data" / "route_corpus.sha256"
CHUNK = 500

PHRASES = (
    "video leonardo", "Video-Leonardo", "VIDEO_LEONARDO", "generator by link", "generator-by-link",
    "free generator editor", "Free-Generator-Editor", "nemo video gen", "Nemo Video Gen",
    "ai video maker sora", "AI Video Maker Sora", "sora", "Sora", "SORA", "soraya", "sora2", "leonardo",
    "video", "podcast clipper", "clipper", "", "montage", "music", "transitions", "slide show", "slideshow",
    "trimmed", "bgm", "editing", "https://example.com/why-video-leonardo-is-great", "http://x.org/b).",
    "ftp://example.com/a", "视频", "做一个", "ソラ", "剪辑", "İstanbul sora",
)  # fmt: skip
PREFIXES = ("", "use ", "用", "请用", "make it with ", "先用", "a ", "  ", "EDIT ", "日落", "일몰 ", "_")
SUFFIXES = (
    "", " to make a sunset", "做一个日落视频", "で夕日の動画を編集して", "로 영상을 만들어줘", ", not sora",
    "，不要用video leonardo", " https://example.com/a", "!", "_x",
)  # fmt: skip

JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 60
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 60
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 60
WAV = b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 60
PDF = b"%PDF-1.7\n" + b"\x00" * 60
FILES = {
    "a.jpg": JPG, "b.JPEG": JPG, "c.png": PNG, "clip.mp4": MP4, "clip.MOV": MP4, "m.wav": WAV,
    "doc.pdf": PDF, "notes.md": b"# Notes\nhello", "empty.txt": b"", "setup.exe": b"MZ\x90\x00",
    "fake.jpg": PDF,
}  # fmt: skip
FILE_SETS = (
    ("a.jpg",), ("a.jpg", "b.JPEG"), ("a.jpg", "m.wav"), ("a.jpg", "b.JPEG", "m.wav"), ("clip.mp4",),
    ("clip.MOV", "c.png", "m.wav"), ("doc.pdf",), ("notes.md",), ("m.wav",), ("missing/photo.jpg",),
    ("fake.jpg",), ("setup.exe",), ("empty.txt",), ("folder.jpg",), ("a.jpg", "doc.pdf"), ("fake.jpg", "c.png"),
)  # fmt: skip
URL_SETS = ((), ("https://example.com/u",), ("https://example.com/u", " http://x.org/v "), ("hello world",))
# A registry that reorders, disables and adds keywords, Chinese ones included.
REGISTRY = """\
version: 1
skills:
  nemo-video-gen: {priority: 10}
  generator-by-link: {enabled: false}
  free-generator-editor: {overrides: {route_keywords: ["剪辑", "cut together", "trimmed"]}}
  video-leonardo: {priority: 5, overrides: {route_keywords: ["leonardo", "ソラ"]}}
"""


def texts() -> list[str]:
    """Every prefix, phrase and suffix combined."""
    return [p + phrase + s for p in PREFIXES for phrase in PHRASES for s in SUFFIXES]


def _decision(text: str, files: list[str], urls: tuple[str, ...], tmp: str) -> str:
    try:
        result = route(text, files, urls)
    except NemoSkillsError as exc:
        return f"!{type(exc).__name__}|{exc}".replace(tmp, "<tmp>")
    rows = [(r.skill, r.score, r.reason, r.priority) for r in result.scores]
    return repr((result.skill, result.reason, rows, result.urls, result.warnings)).replace(tmp, "<tmp>")


def decisions(tmp: Path, step: int = 1) -> Iterator[str]:
    """The decision for every step-th request of the corpus, in order, under the current plugins and registry."""
    folder = tmp / "files"
    folder.mkdir(exist_ok=True)
    for name, data in FILES.items():
        (folder / name).write_bytes(data)
    (folder / "folder.jpg").mkdir(exist_ok=True)
    all_texts = texts()
    for text in all_texts[::step]:
        yield _decision(text, [], (), str(tmp))
    for urls in URL_SETS[1:]:
        for text in all_texts[:: 3 * step]:
            yield _decision(text, [], urls, str(tmp))
    for file_set in FILE_SETS:
        for text in all_texts[:: 23 * step]:
            yield _decision(text, [str(folder / f) for f in file_set], (), str(tmp))


def digests(tmp: Path) -> list[str]:
    """One line per chunk of the corpus: its range and the sha256 of its decisions, for each setting."""
    lines: list[str] = []
    for setting in ("builtin", "registry", "third-party"):
        lines.extend(_setting_digests(setting, tmp))
    return lines


def _setting_digests(setting: str, tmp: Path) -> list[str]:
    from tests.plugins import sixth_skill

    registry = tmp / "registry.yaml"
    registry.write_text(REGISTRY, encoding="utf-8")
    if setting == "third-party":
        plugins.register_plugin(sixth_skill, name="sixth_skill")
    old = os.environ.get("NEMO_SKILLS_REGISTRY")
    if setting == "registry":
        os.environ["NEMO_SKILLS_REGISTRY"] = str(registry)
    try:
        # The whole corpus with the built-in plugins; every fifth request under the other settings.
        found = list(decisions(tmp, 1 if setting == "builtin" else 5))
    finally:
        if setting == "third-party":
            plugins.unregister_plugin("sixth_skill")
        if setting == "registry":
            if old is None:
                del os.environ["NEMO_SKILLS_REGISTRY"]
            else:
                os.environ["NEMO_SKILLS_REGISTRY"] = old
    lines = []
    for start in range(0, len(found), CHUNK):
        chunk = found[start : start + CHUNK]
        digest = hashlib.sha256("\n".join(chunk).encode()).hexdigest()
        lines.append(f"{setting} {start}-{start + len(chunk) - 1} {digest}")
    return lines


def main() -> None:
    """Record the digests (only for a deliberate change of routing policy)."""
    if "--record" not in sys.argv:
        sys.exit("usage: python -m tests.catalog.route_corpus --record")
    with tempfile.TemporaryDirectory() as tmp:
        lines = digests(Path(tmp))
    DIGESTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} digests written to {DIGESTS}")


if __name__ == "__main__":
    main()
