"""Where a finished video goes: a safe file name from the prompt, never an accidental overwrite."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from nemo_skills.errors import InputError
from nemo_skills.errors import OutputExistsError as OutputExistsError
from nemo_skills.files.edge import check_name, mask_credentials

MAX_SLUG_CHARS = 60
DEFAULT_STEM = "video"
VIDEO_SUFFIX = ".mp4"

# Names Windows refuses whatever the extension; a video named "con.mp4" would not open there.
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)


def slugify(text: str, *, max_chars: int = MAX_SLUG_CHARS) -> str:
    """ASCII-folded, lower-case, hyphen-separated words of a text, cut at a word boundary."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", folded.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_chars:
            if not slug:
                slug = word[:max_chars]
            break
        slug = candidate
    if not slug or slug in _RESERVED:
        return DEFAULT_STEM if not slug else f"{slug}-video"
    return slug


def default_output_name(prompt: str, *, fallback: str = DEFAULT_STEM) -> str:
    """A file name for the video a prompt makes, e.g. 'a-5-second-sunset.mp4'."""
    # A file name is shown and listed: a link's user and password never become part of one.
    slug = slugify(mask_credentials(prompt))
    if slug == DEFAULT_STEM and fallback:
        slug = slugify(fallback)
    return slug + VIDEO_SUFFIX


def resolve_output(
    output: Path | None,
    prompt: str,
    *,
    cwd: Path | None = None,
    force: bool = False,
    fallback: str = DEFAULT_STEM,
    taken: set[Path] | None = None,
) -> Path:
    """The absolute path to write: OUT, or a name from the prompt in `cwd`; refuses to overwrite.

    `taken` holds paths already promised to earlier items of a batch: an automatic
    name then gets a numeric suffix rather than clobbering a sibling. An existing
    file is only replaced with `force`.
    """
    base = cwd if cwd is not None else Path.cwd()
    if output is not None:
        check_name(str(output), "the output name")
        path = Path(output).expanduser()
        path = path if path.is_absolute() else base / path
        automatic = path.is_dir()
        if automatic:
            path = path / default_output_name(prompt, fallback=fallback)
        elif not path.suffix:
            path = path.with_suffix(VIDEO_SUFFIX)
    else:
        path = base / default_output_name(prompt, fallback=fallback)
        automatic = True
    taken = taken if taken is not None else set()
    if automatic:
        stem, n = path.stem, 2
        while path in taken:
            path = path.with_name(f"{stem}-{n}{VIDEO_SUFFIX}")
            n += 1
    if path in taken:
        raise InputError(f"{path.name} is the output of two requests; give each its own -o/output.")
    if path.exists() and not force:
        raise OutputExistsError(
            f"{path} already exists; not overwriting it.",
            action="Pass --force to replace it, or -o to choose another file name.",
        )
    if not path.parent.is_dir():
        raise InputError(f"cannot write {path}: folder {path.parent} does not exist.")
    # Found now, not after the render: the download would fail with nowhere to go.
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise InputError(f"cannot write {path}: folder {path.parent} is not writable.")
    return path
