"""Uploads: local checks before any byte is sent, and a multipart body streamed from disk.

The body is built by hand as an async generator of chunks with a precomputed
Content-Length, so memory stays flat however large the file is, and progress
is reported as the file's bytes go out.
"""

from __future__ import annotations

import mimetypes
import os
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
from pydantic import BaseModel

from nemo_skills import protocol
from nemo_skills.catalog.skill import Skill
from nemo_skills.errors import InputError
from nemo_skills.files import media
from nemo_skills.files.checks import require_file
from nemo_skills.files.links import check_link

UploadProgressCallback = Callable[[int, int], None]


class UploadPlan(BaseModel):
    """A file that passed the local checks, and how it goes on the wire."""

    path: Path
    size: int
    format: str
    filename: str
    content_type: str


def check_upload(path: str | os.PathLike[str], skill: Skill) -> UploadPlan:
    """Check a file against the accepted formats, the skill's size limit and its own bytes (4001/4002)."""
    p = Path(path)
    check = require_file(p, max_bytes=skill.max_upload_bytes, limit_of=skill.name)
    fmt = media.upload_format(check.extension)
    # require_file refuses documents here, and every other kind it accepts is an upload format.
    assert fmt is not None and check.size is not None
    ctype = mimetypes.guess_type(f"x.{fmt}")[0] or "application/octet-stream"
    return UploadPlan(
        path=p, size=check.size, format=fmt, filename=_safe_filename(p.name), content_type=ctype
    )


def _safe_filename(name: str) -> str:
    # The name goes into a quoted header parameter: no quotes, backslashes or line breaks.
    cleaned = "".join("_" if ch in '"\\\r\n' or ord(ch) < 32 else ch for ch in name)
    return cleaned or "upload"


class MultipartFile:
    """A one-file multipart/form-data body (field `files`), read from disk chunk by chunk."""

    def __init__(
        self, plan: UploadPlan, *, chunk_size: int = 256 * 1024, boundary: str | None = None
    ) -> None:
        self.plan = plan
        self.chunk_size = chunk_size
        self.boundary = boundary or f"nemo-skills-{uuid.uuid4().hex}"
        self._head = (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{protocol.UPLOAD_FIELD}"; filename="{plan.filename}"\r\n'
            f"Content-Type: {plan.content_type}\r\n\r\n"
        ).encode()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        """The request's Content-Type, with the boundary."""
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def content_length(self) -> int:
        """The exact body length, known before sending."""
        return len(self._head) + self.plan.size + len(self._tail)

    def headers(self) -> dict[str, str]:
        """Content-Type and Content-Length of the body."""
        return {"Content-Type": self.content_type, "Content-Length": str(self.content_length)}

    async def stream(self, on_progress: UploadProgressCallback | None = None) -> AsyncIterator[bytes]:
        """The body's bytes; `on_progress(sent, total)` follows the file's bytes."""
        yield self._head
        total = self.plan.size
        sent = 0
        if on_progress is not None:
            on_progress(0, total)
        async with await anyio.open_file(self.plan.path, "rb") as fh:
            while sent < total:
                chunk = await fh.read(min(self.chunk_size, total - sent))
                if not chunk:
                    raise InputError(f"{self.plan.path.name} changed while it was being uploaded.")
                sent += len(chunk)
                yield chunk
                if on_progress is not None:
                    on_progress(sent, total)
        yield self._tail


def check_urls(urls: list[str]) -> list[str]:
    """The links, stripped, each an http(s) URL with a host; InputError names the first bad one."""
    cleaned = [check_link(raw) for raw in urls]
    if not cleaned:
        raise InputError("No links to add.")
    return cleaned
