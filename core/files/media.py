"""What kind of input a file is: by extension, confirmed by its leading bytes.

No I/O beyond reading the first bytes of a file; used by the router, the
client's upload checks and the local backend alike.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from nemo_skills import protocol

SNIFF_BYTES = 64


class InputKind(StrEnum):
    """Kinds of input a skill can accept."""

    TEXT = "text"
    URL = "url"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"


_KIND_BY_EXT: dict[str, InputKind] = {
    **{ext: InputKind.VIDEO for ext in protocol.VIDEO_FORMATS},
    **{ext: InputKind.IMAGE for ext in (*protocol.IMAGE_FORMATS, *protocol.FORMAT_ALIASES)},
    **{ext: InputKind.AUDIO for ext in protocol.AUDIO_FORMATS},
    **{ext: InputKind.DOCUMENT for ext in protocol.DOCUMENT_FORMATS},
}

# Human names for what a file's bytes say it is, keyed by sniffed format.
_FORMAT_NAMES = {
    "jpg": "a JPEG image",
    "png": "a PNG image",
    "gif": "a GIF image",
    "webp": "a WebP image",
    "mp4": "an MP4/MOV video",
    "avi": "an AVI video",
    "mkv": "a Matroska/WebM video",
    "mp3": "an MP3 audio file",
    "wav": "a WAV audio file",
    "aac": "an AAC audio file",
    "pdf": "a PDF document",
    "zip": "a ZIP archive (DOCX)",
    "text": "plain text",
    "empty": "an empty file",
    "unknown": "an unrecognised binary file",
}

# Which sniffed formats are acceptable for each extension.
_EXT_MATCHES: dict[str, frozenset[str]] = {
    "jpg": frozenset({"jpg"}),
    "jpeg": frozenset({"jpg"}),
    "png": frozenset({"png"}),
    "gif": frozenset({"gif"}),
    "webp": frozenset({"webp"}),
    "mp4": frozenset({"mp4"}),
    "mov": frozenset({"mp4"}),
    "m4a": frozenset({"mp4"}),
    "avi": frozenset({"avi"}),
    "webm": frozenset({"mkv"}),
    "mkv": frozenset({"mkv"}),
    "mp3": frozenset({"mp3"}),
    "wav": frozenset({"wav"}),
    "aac": frozenset({"aac", "mp4"}),
    "pdf": frozenset({"pdf"}),
    "docx": frozenset({"zip"}),
    "txt": frozenset({"text", "empty"}),
    "md": frozenset({"text", "empty"}),
}

# QuickTime files may open with an atom other than `ftyp`.
_QT_ATOMS = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


def extension(name: str | Path) -> str:
    """Lower-case extension of a file name, without the dot ('' when none)."""
    return Path(name).suffix.lower().lstrip(".")


def kind_for_extension(ext: str) -> InputKind | None:
    """Input kind an extension names, or None for an unsupported extension."""
    return _KIND_BY_EXT.get(ext.lower().lstrip("."))


def upload_format(ext: str) -> str | None:
    """The accepted upload format an extension stands for, or None."""
    ext = ext.lower().lstrip(".")
    ext = protocol.FORMAT_ALIASES.get(ext, ext)
    return ext if ext in protocol.ACCEPTED_UPLOAD_FORMATS else None


def sniff(head: bytes) -> str:
    """Name the format the leading bytes of a file show ('unknown' if none)."""
    if not head:
        return "empty"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and len(head) >= 12:
        return {b"WEBP": "webp", b"AVI ": "avi", b"WAVE": "wav"}.get(head[8:12], "unknown")
    if len(head) >= 8 and head[4:8] in _QT_ATOMS:
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "mkv"
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        return "mp3"
    if head.startswith(b"ADIF") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0):
        return "aac"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if _looks_like_text(head):
        return "text"
    return "unknown"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sniffed window is still text.
        return exc.start >= len(head) - 3
    return True


def describe_format(sniffed: str) -> str:
    """Human description of a sniffed format, for error messages."""
    return _FORMAT_NAMES.get(sniffed, _FORMAT_NAMES["unknown"])


def content_matches(ext: str, head: bytes) -> bool:
    """Whether the leading bytes agree with what the extension claims."""
    allowed = _EXT_MATCHES.get(ext.lower().lstrip("."))
    return allowed is not None and sniff(head) in allowed


class FileIssue(StrEnum):
    """Why a local file cannot be used, so a caller can choose the error to raise."""

    MISSING = "missing"
    NOT_A_FILE = "not_a_file"
    UNSUPPORTED = "unsupported"
    UNREADABLE = "unreadable"
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    MISMATCH = "mismatch"


class FileCheck(BaseModel):
    """What a local file is, and why it cannot be used if it cannot."""

    path: str
    extension: str
    kind: InputKind | None
    exists: bool
    size: int | None = None
    problem: str | None = None
    issue: FileIssue | None = None

    @property
    def usable(self) -> bool:
        """True when the file has a supported kind and nothing is wrong with it."""
        return self.kind is not None and self.problem is None


def size_text(size: int) -> str:
    """A byte count in MB with one decimal, as messages show sizes."""
    return f"{size / (1024 * 1024):.1f} MB"


# What Path.exists() takes for "no such file" (anything else, such as a permission error, is raised).
_ABSENT = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})
_file_check: Callable[[dict[str, Any]], FileCheck] = FileCheck.__pydantic_validator__.validate_python


def check_file(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> FileCheck:
    """Classify a local file by extension, confirmed by its bytes when it exists.

    `max_bytes` is an upload limit: it applies to media, not to documents, which
    are read locally and never uploaded. One stat and one read of the first bytes.
    """
    p = path if isinstance(path, Path) else Path(path)  # a Path is immutable: no need to parse it again
    ext = p.suffix.lower().lstrip(".")
    kind = _KIND_BY_EXT.get(ext)
    found: dict[str, Any] = {"path": str(p), "extension": ext, "kind": kind}
    try:
        st = os.stat(p)
    except OSError as exc:
        if exc.errno not in _ABSENT:
            raise
        st = None
    except ValueError:  # a path the OS cannot take (a NUL byte): no such file, as Path.exists() says
        st = None
    found["exists"] = st is not None

    def refuse(issue: FileIssue, problem: str, keep_kind: bool = False) -> FileCheck:
        return _file_check({**found, "issue": issue, "problem": problem, "kind": kind if keep_kind else None})

    if st is None:
        return _file_check({**found, "issue": FileIssue.MISSING})
    if not stat.S_ISREG(st.st_mode):
        return refuse(FileIssue.NOT_A_FILE, f"{p} is not a file")
    size = found["size"] = st.st_size
    if kind is None:
        shown = f".{ext}" if ext else "no extension"
        return refuse(FileIssue.UNSUPPORTED, f"{p.name}: unsupported file type ({shown})")
    if size == 0 and not content_matches(ext, b""):
        return refuse(FileIssue.EMPTY, f"{p.name} is empty", keep_kind=True)
    if max_bytes is not None and size > max_bytes and kind is not InputKind.DOCUMENT:
        limit = f"{max_bytes / (1024 * 1024):g} MB"
        return refuse(
            FileIssue.TOO_LARGE,
            f"{p.name} is {size_text(size)}, over the {limit} upload limit",
            keep_kind=True,
        )
    try:
        with p.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        return refuse(FileIssue.UNREADABLE, f"{p.name}: cannot be read ({exc.strerror or exc})")
    if not content_matches(ext, head):
        return refuse(
            FileIssue.MISMATCH,
            f"{p.name} is named as {kind.value} (.{ext}) but its content is "
            f"{describe_format(sniff(head))}, so it is not {_article(kind)}",
        )
    return _file_check(found)


def _article(kind: InputKind) -> str:
    return f"an {kind.value}" if kind.value[0] in "aeiou" else f"a {kind.value}"
