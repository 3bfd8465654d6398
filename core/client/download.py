"""A resumable download: streamed to a temporary file, resumed with Range, renamed when complete."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from nemo_skills.errors import BackendError

log = logging.getLogger(__name__)

DownloadProgress = Callable[[int, int | None], None]
CheckResponse = Callable[[httpx.Response], object]

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


@dataclass
class _Progress:
    have: int = 0
    total: int | None = None


class _Dropped(Exception):
    """The body ended early; the download resumes."""


def part_path(dest: Path) -> Path:
    """The temporary file a download is written to before it is renamed into place."""
    return dest.with_name(f".{dest.name}.part")


async def download_file(
    http: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    headers: dict[str, str],
    timeout: httpx.Timeout,
    check: CheckResponse,
    retries: int = 5,
    retry_wait: float = 0.5,
    on_progress: DownloadProgress | None = None,
) -> Path:
    """Download `url` to `dest`, resuming after dropped connections; `dest` appears only when complete."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(dest)
    part.unlink(missing_ok=True)
    got = _Progress()
    failures = 0
    try:
        while True:
            try:
                await _fetch(http, url, part, got, headers, timeout, check, on_progress)
                break
            except (httpx.TransportError, _Dropped) as exc:
                failures += 1
                if failures > retries:
                    raise BackendError(
                        f"The download of {dest.name} kept breaking off ({failures} attempts, "
                        f"{got.have} of {got.total if got.total is not None else '?'} bytes)."
                    ) from exc
                log.info("download dropped at %d bytes; resuming (%d/%d)", got.have, failures, retries)
                await asyncio.sleep(retry_wait)
        size = part.stat().st_size
        if got.total is not None and size != got.total:
            raise BackendError(
                f"The download of {dest.name} is {size} bytes; the server announced {got.total}."
            )
        os.replace(part, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
    return dest


async def _fetch(
    http: httpx.AsyncClient,
    url: str,
    part: Path,
    got: _Progress,
    headers: dict[str, str],
    timeout: httpx.Timeout,
    check: CheckResponse,
    on_progress: DownloadProgress | None,
) -> None:
    request_headers = dict(headers)
    if got.have:
        request_headers["Range"] = f"bytes={got.have}-"
    async with http.stream("GET", url, headers=request_headers, timeout=timeout) as resp:
        if resp.status_code == 416 and got.total is not None and got.have == got.total:
            return
        if resp.status_code == 206:
            match = _CONTENT_RANGE.match(resp.headers.get("content-range", ""))
            if match is None or int(match.group(1)) != got.have:
                raise BackendError("The server resumed the download at the wrong place.")
            if match.group(3) != "*":
                got.total = int(match.group(3))
        elif resp.status_code == 200:
            # A server that ignores Range sends the whole file again: start over.
            got.have = 0
            length = resp.headers.get("content-length")
            got.total = int(length) if length and length.isdigit() else None
        else:
            await resp.aread()
            check(resp)
            raise BackendError(f"The download failed (HTTP {resp.status_code}).", status=resp.status_code)
        with part.open("ab" if got.have else "wb") as fh:
            try:
                async for chunk in resp.aiter_bytes():
                    fh.write(chunk)
                    got.have += len(chunk)
                    if on_progress is not None:
                        on_progress(got.have, got.total)
            finally:
                fh.flush()
                os.fsync(fh.fileno())
    if got.total is not None and got.have < got.total:
        raise _Dropped(f"{got.have} of {got.total} bytes")
