"""Render endpoints (`{success, ...}` envelope) and downloads of finished files with Range support."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from nemo_skills import protocol
from nemo_skills.draft import Draft
from nemo_skills.local.http.context import ctx, json_body, require_str
from nemo_skills.local.http.responses import render_error, render_ok
from nemo_skills.local.job_store import EXPIRED_MESSAGE, new_file_key
from nemo_skills.local.problems import ApiProblem, bad_request, not_found
from nemo_skills.local.records import RenderJob
from nemo_skills.local.renderer.render_plan import SIZES

RENDER_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
FILE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}\.mp4$")
FILE_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CHUNK = 256 * 1024


def _attribution(request: Request) -> None:
    missing = [h for h in protocol.ATTRIBUTION_HEADERS if not request.headers.get(h, "").strip()]
    if missing:
        raise ApiProblem(
            protocol.HTTP_PLAN_TIER,
            f"export blocked: missing attribution header{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            status=protocol.HTTP_PLAN_TIER,
        )
    if ctx(request).settings.plan_blocks_export:
        raise ApiProblem(
            protocol.HTTP_PLAN_TIER,
            "export is not available on the free plan; register or upgrade your plan to unlock export",
            status=protocol.HTTP_PLAN_TIER,
        )


def _output_aspect(body: dict[str, Any], draft: Draft) -> str | None:
    output = body.get("output", {})
    if output is None:
        output = {}
    if not isinstance(output, dict):
        raise bad_request("field 'output' must be an object")
    fmt = output.get("format", "mp4")
    if fmt != "mp4":
        raise bad_request(f"output format {fmt!r} is not supported; the local backend renders mp4")
    aspect = (
        output.get("aspectRatio")
        or output.get("aspect")
        or draft.meta.get("aspect")
        or draft.meta.get("ratio")
    )
    if aspect is not None and str(aspect).replace(" ", "") not in SIZES:
        raise bad_request(f"aspect ratio {aspect!r} is not supported; use one of {', '.join(SIZES)}")
    return str(aspect).replace(" ", "") if aspect else None


async def create_render(request: Request) -> JSONResponse:
    """POST /api/render/proxy/lambda: queue a render of the given draft (free: no credits)."""
    c = ctx(request)
    try:
        account = c.authenticate(request)
        _attribution(request)
        body = await json_body(request)
        render_id = require_str(body, "id")
        if not RENDER_ID.match(render_id):
            raise bad_request("field 'id' may hold only letters, digits, '_' and '-' (at most 80)")
        session_id = require_str(body, "sessionId")
        c.store.session(session_id, account.user_id)
        if "draft" not in body:
            raise bad_request("missing field 'draft' (the session's draft from the state endpoint)")
        try:
            draft = Draft.parse(body["draft"])
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "draft"
            raise bad_request(f"field 'draft' is not a valid draft: {where}: {first['msg']}") from None
        if not draft.ready_to_export:
            raise bad_request("the draft has no segments yet; add a scene, images or clips before exporting")
        aspect = _output_aspect(body, draft)
        now = time.time()
        job, created = c.store.add_render(
            RenderJob(
                id=render_id,
                session_id=session_id,
                user_id=account.user_id,
                created=now,
                updated=now,
                draft=draft.dump(),
                aspect=aspect,
            )
        )
    except ApiProblem as problem:
        return render_error(problem)
    if created:
        c.renders.submit(render_id)
    return render_ok({"data": {"id": job.id, "status": job.status, "progress": job.progress}})


def _status_payload(request: Request, job: RenderJob, shape: str) -> dict[str, Any]:
    url = None
    if job.status == protocol.RenderStatus.COMPLETED and job.output and job.file_key:
        url = str(request.base_url).rstrip("/") + f"/files/{job.file_key}/{job.output}"
    if shape == "data":
        data: dict[str, Any] = {"id": job.id, "status": job.status, "progress": job.progress}
        if url:
            data["outputUrl"] = url
            data["size"] = job.size
        if job.error:
            data["error"] = job.error
        return {"data": data}
    payload: dict[str, Any] = {"id": job.id, "status": job.status, "progress": job.progress}
    if url:
        payload["output"] = {"url": url, "format": "mp4", "size": job.size, **job.meta}
    if job.error:
        payload["error_message"] = job.error
    return payload


async def render_status(request: Request) -> JSONResponse:
    """GET /api/render/proxy/lambda/<id>: status, progress (0-100) and, once completed, the URL."""
    c = ctx(request)
    try:
        account = c.authenticate(request)
        render_id = request.path_params["render_id"]
        job = c.store.render(render_id) if RENDER_ID.match(render_id) else None
        if job is None or job.user_id != account.user_id:
            raise not_found(f"render {render_id!r} not found")
    except ApiProblem as problem:
        return render_error(problem)
    if job.status not in protocol.RenderStatus.TERMINAL and c.renders.adopt(render_id):
        # The backend that ran it stopped or died: this one renders it again from the stored draft.
        job = c.store.render(render_id) or job
    if job.status == protocol.RenderStatus.COMPLETED and job.output and not job.file_key:
        # Finished before download URLs had a random part: it gets one now.
        c.store.update_render(render_id, file_key=new_file_key())
        job = c.store.render(render_id) or job
    shape: str = c.settings.status_shape
    if shape == "alternate":
        shape = c.next_shape()
    return render_ok(_status_payload(request, job, shape))


def _parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """(start, end) inclusive for one byte range, None to send it whole, 'bad' when unsatisfiable."""
    match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
    if not match or "," in header:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        if length == 0:
            return "bad"
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return "bad"
    return start, end


class _FileBody:
    """Sends a byte span of a file; with `drop_after`, closes the connection after that many bytes."""

    def __init__(
        self, path: Any, start: int, length: int, status: int, headers: dict[str, str], drop_after: int | None
    ):
        self.path, self.start, self.length, self.status = path, start, length, status
        self.headers = headers
        self.drop_after = drop_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()]
        await send({"type": "http.response.start", "status": self.status, "headers": raw})
        if scope.get("method") == "HEAD":
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        sent = 0
        with open(self.path, "rb") as fh:
            fh.seek(self.start)
            while sent < self.length:
                want = min(CHUNK, self.length - sent)
                if self.drop_after is not None:
                    if sent >= self.drop_after:
                        return  # the server closes the connection with the body incomplete
                    want = min(want, self.drop_after - sent)
                chunk = fh.read(want)
                if not chunk:
                    break
                try:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                except OSError:
                    return
                sent += len(chunk)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _refused(message: str, status: int = 404) -> JSONResponse:
    """A download refused, in the gateway envelope."""
    return JSONResponse({"code": status, "message": message, "data": {}}, status_code=status)


def _served_file(request: Request) -> tuple[RenderJob, Path] | JSONResponse:
    """The job and file a download URL names, or the answer refusing it."""
    c = ctx(request)
    key, name = request.path_params["key"], request.path_params["name"]
    job = c.store.render(name[: -len(".mp4")]) if FILE_NAME.match(name) and FILE_KEY.match(key) else None
    # Compared in constant time: the key is what makes the URL unguessable.
    if job is None or not job.file_key or not secrets.compare_digest(job.file_key, key):
        return _refused("file not found")
    user = c.store.token_user(request.headers.get(protocol.HEADER_AUTH))
    if user is not None and user != job.user_id:
        return _refused("this file belongs to another user's session", status=403)
    path = c.store.renders_dir / job.output if job.output else None
    if job.expired or path is None or not path.is_file():
        return _refused(EXPIRED_MESSAGE, status=410)
    return job, path


async def download(request: Request) -> Response | _FileBody:
    """GET /files/<key>/<render_id>.mp4: the rendered file, with Range support (206 / 416).

    The key is minted with the render and handed out only in its owner's status replies;
    a bearer token of another user is refused even with the right URL.
    """
    served = _served_file(request)
    if isinstance(served, Response):
        return served
    job, path = served
    c = ctx(request)
    size = path.stat().st_size
    headers = {"Accept-Ranges": "bytes", "Content-Type": "video/mp4", "Cache-Control": "no-store"}
    wanted = _parse_range(request.headers.get("range", ""), size)
    if wanted == "bad":
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    drop = None
    if request.method == "GET":
        drop = c.faults.take_download_drop()
        # A download keeps the file for another keep window (see the renderer's expiry).
        c.store.update_render(job.id, accessed=time.time())
    if wanted is None:
        headers["Content-Length"] = str(size)
        return _FileBody(path, 0, size, 200, headers, drop)
    assert isinstance(wanted, tuple)
    start, end = wanted
    headers["Content-Length"] = str(end - start + 1)
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return _FileBody(path, start, end - start + 1, 206, headers, drop)
