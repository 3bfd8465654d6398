"""Receiving uploads: multipart streamed straight to disk with a size cap, and safe file names."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from nemo_skills import protocol
from nemo_skills.files.media import SNIFF_BYTES
from nemo_skills.local.private import private_dir
from nemo_skills.local.problems import bad_request

MAX_NAME_CHARS = 120
# Past the limit, the rest of the body is read and discarded up to this many bytes, so the client
# gets the 4002 answer instead of a broken pipe; a body larger still is cut off.
DRAIN_LIMIT = 64 * 1024 * 1024

# A file part is spooled to `uploads/<session>/.upload-<random>.part` until it is checked and moved into place.
PART_PREFIX = ".upload-"
PART_SUFFIX = ".part"

# The spooled parts of requests this process is still handling. The cleaning of stale parts skips them
# however slow the upload; another process's parts are protected by their recent modification time.
_in_use: set[Path] = set()
_in_use_lock = threading.Lock()


def parts_in_use() -> frozenset[Path]:
    """The temporary upload files this process is writing or has yet to move into place."""
    with _in_use_lock:
        return frozenset(_in_use)


def safe_name(raw: str) -> str:
    """A file name with no folders, control characters or leading dots; never empty."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    name = name.strip().lstrip(".").strip()
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        name = (
            (stem[: MAX_NAME_CHARS - len(ext) - 1] + dot + ext)
            if dot and len(ext) <= 8
            else name[:MAX_NAME_CHARS]
        )
    return name or "upload"


@dataclass
class ReceivedFile:
    """One file part of a multipart upload, as received."""

    raw_name: str
    temp: Path | None = None
    size: int = 0
    head: bytes = b""
    too_large: bool = False
    handle: IO[bytes] | None = field(default=None, repr=False)
    spooled: Path | None = field(default=None, repr=False)  # the temporary file, even once moved

    @property
    def name(self) -> str:
        """The sanitised file name."""
        return safe_name(self.raw_name)


@dataclass
class _PartState:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    field_name: bytes = b""
    field_value: bytes = b""
    current: ReceivedFile | None = None
    ignored_bytes: int = 0


async def receive_files(request: Request, spool_dir: Path, limit: int) -> list[ReceivedFile]:
    """Stream the `files` parts of a multipart body into spool_dir; parts over `limit` are flagged, not kept."""
    content_type = request.headers.get("content-type", "")
    _ctype, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise bad_request("multipart upload without a boundary in Content-Type")
    private_dir(spool_dir)
    files: list[ReceivedFile] = []
    st = _PartState()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        st.field_name += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        st.field_value += data[start:end]

    def on_header_end() -> None:
        st.headers[st.field_name.lower()] = st.field_value
        st.field_name = st.field_value = b""

    def on_headers_finished() -> None:
        _disp, opts = parse_options_header(st.headers.get(b"content-disposition", b""))
        name = opts.get(b"name", b"").decode("utf-8", "replace")
        filename = opts.get(b"filename")
        if name == protocol.UPLOAD_FIELD and filename is not None:
            item = ReceivedFile(raw_name=filename.decode("utf-8", "replace"))
            fd, tmp = tempfile.mkstemp(dir=spool_dir, prefix=PART_PREFIX, suffix=PART_SUFFIX)
            item.temp = item.spooled = Path(tmp)
            with _in_use_lock:
                _in_use.add(item.spooled)
            item.handle = os.fdopen(fd, "wb")
            files.append(item)
            st.current = item
        else:
            st.current = None

    def on_part_data(data: bytes, start: int, end: int) -> None:
        item = st.current
        chunk = data[start:end]
        if item is None:
            st.ignored_bytes += len(chunk)
            if st.ignored_bytes > 1024 * 1024:
                raise ValueError("a non-file form field is larger than 1 MB")
            return
        item.size += len(chunk)
        if len(item.head) < SNIFF_BYTES:
            item.head += chunk[: SNIFF_BYTES - len(item.head)]
        if item.size > limit:
            if not item.too_large:
                item.too_large = True
                _discard(item)
            return
        if item.handle is not None:
            item.handle.write(chunk)

    def on_part_end() -> None:
        if st.current is not None and st.current.handle is not None:
            st.current.handle.close()
            st.current.handle = None
        st.current = None
        st.headers = {}

    parser = MultipartParser(
        boundary,
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            parser.write(chunk)
            if any(f.too_large for f in files) and received > limit + DRAIN_LIMIT:
                break
        parser.finalize()
    except ValueError as exc:
        discard_all(files)
        raise bad_request(f"malformed multipart upload: {exc}") from None
    except ClientDisconnect:
        # Nobody is left to answer; the spooled parts must not outlive the request.
        discard_all(files)
        raise bad_request("the upload was cut off: the client disconnected") from None
    except BaseException:
        discard_all(files)
        raise
    finally:
        for item in files:
            if item.handle is not None:
                item.handle.close()
                item.handle = None
    return files


def _discard(item: ReceivedFile) -> None:
    if item.handle is not None:
        item.handle.close()
        item.handle = None
    if item.temp is not None:
        with contextlib.suppress(OSError):
            item.temp.unlink()
        item.temp = None


def discard_all(files: list[ReceivedFile]) -> None:
    """Delete the spooled data of every received file; the request is done with them."""
    for item in files:
        _discard(item)
        if item.spooled is not None:
            with _in_use_lock:
                _in_use.discard(item.spooled)
