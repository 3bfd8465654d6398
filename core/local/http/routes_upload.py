"""POST /api/upload-video/nemo_agent/me/<sid>: files (multipart field `files`) or links (JSON)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any
from urllib.parse import urlparse

from starlette.requests import Request
from starlette.responses import JSONResponse

from nemo_skills import errors, protocol
from nemo_skills.files import media
from nemo_skills.local.http.context import AppContext, ctx, json_body
from nemo_skills.local.http.responses import gateway_ok
from nemo_skills.local.problems import ApiProblem, bad_request
from nemo_skills.local.records import MediaRecord
from nemo_skills.local.renderer.probe import ProbeError, probe
from nemo_skills.local.uploads import ReceivedFile, discard_all, receive_files

MAX_URLS = 20


def _unsupported(message: str) -> ApiProblem:
    formats = errors.accepted_formats_text()
    return ApiProblem(
        protocol.ErrorCode.UNSUPPORTED_FILE,
        f"{message}. Supported formats: {formats}.",
        data={"accepted_formats": list(protocol.ACCEPTED_UPLOAD_FORMATS)},
    )


def _check(item: ReceivedFile, limit: int, skill: str) -> str:
    """The accepted format of a received file; 4001/4002 otherwise."""
    name = item.name
    ext = media.extension(name)
    fmt = media.upload_format(ext)
    if fmt is None:
        shown = f".{ext}" if ext else "no extension"
        raise _unsupported(f"{name}: unsupported file type ({shown})")
    if item.too_large:
        mb = limit / (1024 * 1024)
        raise ApiProblem(
            protocol.ErrorCode.FILE_TOO_LARGE,
            f"{name} is larger than {mb:g} MB, the upload limit of {skill}; compress it or trim it to a "
            "shorter clip, then upload again",
            data={"max_bytes": limit, "size": item.size},
        )
    if item.size == 0:
        raise _unsupported(f"{name} is empty")
    if not media.content_matches(ext, item.head):
        kind = media.kind_for_extension(ext)
        what = kind.value if kind else "media"
        actual = media.describe_format(media.sniff(item.head))
        raise _unsupported(f"{name} is named as {what} (.{ext}) but its content is {actual}")
    return fmt


async def _accept(c: AppContext, session_id: str, item: ReceivedFile, fmt: str) -> MediaRecord:
    kind = media.kind_for_extension(fmt)
    assert kind is not None and item.temp is not None
    try:
        info = await asyncio.to_thread(probe, item.temp)
    except ProbeError:
        raise _unsupported(f"{item.name} could not be read as {kind.value}") from None
    media_id = f"media_{uuid.uuid4().hex[:16]}"
    rel = f"uploads/{session_id}/{media_id}.{fmt}"
    item.temp.replace(c.store.data_dir / rel)
    item.temp = None
    return MediaRecord(
        id=media_id,
        name=item.name,
        kind=kind.value,  # type: ignore[arg-type]
        ext=fmt,
        path=rel,
        size=item.size,
        duration_ms=0 if kind is media.InputKind.IMAGE else info.duration_ms,
        width=info.width,
        height=info.height,
        has_audio=info.has_audio,
        uploaded_at=time.time(),
    )


async def _upload_files(request: Request, c: AppContext, session_id: str) -> dict[str, Any]:
    limit, skill = c.upload_limit(request)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit * 50:
        raise ApiProblem(
            protocol.ErrorCode.FILE_TOO_LARGE,
            f"the upload is larger than {limit / (1024 * 1024):g} MB, the upload limit of {skill}",
            data={"max_bytes": limit},
        )
    spool = c.store.uploads_dir / session_id
    files = await receive_files(request, spool, limit)
    records: list[MediaRecord] = []
    try:
        if not files:
            raise bad_request(
                f"no files in the upload; send them in the multipart field {protocol.UPLOAD_FIELD!r}"
            )
        formats = [_check(item, limit, skill) for item in files]
        for item, fmt in zip(files, formats, strict=True):
            records.append(await _accept(c, session_id, item, fmt))
        c.store.add_media(session_id, records)
    except BaseException:
        # All or nothing: a failure removes the files already moved into place, which no record names.
        for record in records:
            path = c.store.media_path(record)
            if path is not None:
                path.unlink(missing_ok=True)
        raise
    finally:
        discard_all(files)
    return {"files": [r.info() for r in records], "urls": []}


def _upload_urls(body: dict[str, Any], c: AppContext, session_id: str) -> dict[str, Any]:
    urls = body.get("urls")
    if not isinstance(urls, list) or not urls:
        raise bad_request("field 'urls' must be a non-empty list of http(s) URLs")
    if len(urls) > MAX_URLS:
        raise bad_request(f"at most {MAX_URLS} URLs per upload")
    source_type = body.get("source_type", protocol.UPLOAD_URL_SOURCE_TYPE)
    if source_type != protocol.UPLOAD_URL_SOURCE_TYPE:
        raise bad_request(f"field 'source_type' must be {protocol.UPLOAD_URL_SOURCE_TYPE!r}")
    records = []
    for url in urls:
        try:
            parsed = urlparse(url) if isinstance(url, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 2000:
            raise bad_request(f"not an http(s) URL: {str(url)[:200]!r}")
        records.append(
            MediaRecord(
                id=f"link_{uuid.uuid4().hex[:16]}",
                name=url,
                kind="link",
                url=url,
                uploaded_at=time.time(),
            )
        )
    c.store.add_media(session_id, records)
    # Nothing is fetched: the local backend is offline. The links are recorded for the agent.
    return {"files": [], "urls": [r.url for r in records], "links": [r.info() for r in records]}


async def upload(request: Request) -> JSONResponse:
    """Record uploaded files or links in a session, after checking format, content and size."""
    c = ctx(request)
    account = c.authenticate(request)
    session_id = request.path_params["session_id"]
    c.store.session(session_id, account.user_id)
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        data = await _upload_files(request, c, session_id)
    elif content_type.startswith("application/json") or not content_type:
        data = _upload_urls(await json_body(request), c, session_id)
    else:
        raise bad_request(
            "send files as multipart/form-data (field 'files') or links as JSON {\"urls\": [...]}"
        )
    return gateway_ok(data)
