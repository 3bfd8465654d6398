"""Gateway answers → typed values or exceptions, without I/O.

Envelopes: `{"code", "message", "data"}` from the gateway, `{"success", ...}`
from the render endpoints. Error statuses, error codes and bodies that are not
the protocol (HTML pages, truncated JSON) each become one exception of the
tree in errors.py; server text is redacted and shortened before it is shown.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import ValidationError

from nemo_skills import protocol
from nemo_skills.client.models import Credits, SessionInfo, SessionState, UploadedFile, UploadResult
from nemo_skills.draft import Draft
from nemo_skills.errors import (
    AuthError,
    BackendError,
    FileTooLargeError,
    MissingClientIdError,
    NemoSkillsError,
    NoCreditsError,
    PlanTierError,
    RateLimitedError,
    SessionNotFoundError,
    UnsupportedFileError,
)
from nemo_skills.files.edge import redact

# Server text shown to users is cut to this length: an HTML error page is not a message.
MAX_SERVER_TEXT = 300

_MESSAGES: dict[int, str] = {
    protocol.ErrorCode.TOKEN_INVALID: "The backend rejected the access token.",
    protocol.ErrorCode.TOKEN_EXPIRED: "The access token has expired.",
    protocol.ErrorCode.TOKEN_REVOKED: "The access token was revoked.",
    protocol.ErrorCode.SESSION_NOT_FOUND: "The session was not found; its timeline is gone.",
    protocol.ErrorCode.NO_CREDITS: "You have no credits left.",
    protocol.ErrorCode.UNSUPPORTED_FILE: "The backend does not accept this file type.",
    protocol.ErrorCode.FILE_TOO_LARGE: "The file is too large for the backend.",
}


@dataclass(frozen=True)
class CallContext:
    """What error mapping needs to know about the caller; the secrets are only used for redaction."""

    anonymous: bool = True
    bind_id: str | None = None
    token_endpoint: bool = False
    secrets: tuple[str, ...] = field(default=(), repr=False)


def _server_text(value: object, ctx: CallContext) -> str:
    if isinstance(value, dict):
        value = value.get("message") or value.get("detail") or value.get("error") or ""
    if not isinstance(value, str):
        return ""
    text = " ".join(redact(value, ctx.secrets).split())
    return text if len(text) <= MAX_SERVER_TEXT else text[: MAX_SERVER_TEXT - 1] + "…"


def _with_detail(base: str, detail: str) -> str:
    if not detail or detail.rstrip(".").lower() in base.lower():
        return base
    return f"{base} ({detail})"


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def retry_after_seconds(
    headers: httpx.Headers, body: object = None, *, now: float | None = None
) -> float | None:
    """Seconds a server asks us to wait: Retry-After (seconds or HTTP date), else a body hint."""
    raw = headers.get(protocol.HEADER_RETRY_AFTER)
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            try:
                when = parsedate_to_datetime(raw).timestamp()
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None:
                return max(0.0, when - (time.time() if now is None else now))
    if isinstance(body, dict):
        for holder in (body, body.get("data")):
            if isinstance(holder, dict):
                for key in ("retry_after", "retryAfter", "poll_after", "pollAfter"):
                    value = holder.get(key)
                    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
                        return float(value)
    return None


def decode_json(response: httpx.Response, ctx: CallContext) -> Any:
    """The response body as JSON; anything else is a BackendError saying what came instead."""
    raw = response.content
    if not raw.strip():
        if response.status_code == 204:
            return {}
        raise BackendError(
            f"The backend sent an empty answer (HTTP {response.status_code}) to {response.request.url.path}.",
            status=response.status_code,
        )
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        ctype = response.headers.get("content-type", "unknown").split(";")[0] or "unknown"
        what = "an HTML page" if b"<html" in raw[:512].lower() or "html" in ctype else f"{ctype} content"
        truncated = raw.lstrip()[:1] in (b"{", b"[")
        detail = "truncated JSON" if truncated else what
        raise BackendError(
            f"The backend answered {response.request.url.path} with {detail} instead of its JSON protocol "
            f"(HTTP {response.status_code}).",
            status=response.status_code,
        ) from None


def error_for_code(
    code: int, message: str, data: object, ctx: CallContext, status: int | None = None
) -> NemoSkillsError:
    """The exception for a non-zero gateway `code`."""
    default = _MESSAGES.get(code, f"The backend reported error {code}.")
    text = _with_detail(default, message)
    if code in protocol.TOKEN_ERROR_CODES:
        return AuthError(text, code=code, status=status)
    if code == protocol.ErrorCode.SESSION_NOT_FOUND:
        return SessionNotFoundError(text, code=code, status=status)
    if code == protocol.ErrorCode.NO_CREDITS:
        bind = data.get("bind_id") or data.get("bindId") if isinstance(data, dict) else None
        return NoCreditsError(
            text,
            bind_id=bind if isinstance(bind, str) and bind else ctx.bind_id,
            anonymous=ctx.anonymous,
            status=status,
        )
    if code == protocol.ErrorCode.UNSUPPORTED_FILE:
        return UnsupportedFileError(text)
    if code == protocol.ErrorCode.FILE_TOO_LARGE:
        return FileTooLargeError(text)
    return BackendError(text, code=code, status=status)


def error_for_status(response: httpx.Response, body: object, ctx: CallContext) -> NemoSkillsError:
    """The exception for an HTTP error status, using the body when it says more."""
    status = response.status_code
    detail = _server_text(body, ctx)
    if isinstance(body, dict) and "message" in body:
        detail = _server_text(body.get("message"), ctx)
    elif isinstance(body, dict) and "error" in body:
        detail = _server_text(body.get("error"), ctx)
    if status == protocol.HTTP_UNAUTHORIZED:
        return AuthError(_with_detail("The backend rejected the access token.", detail), status=status)
    if status == protocol.HTTP_PLAN_TIER:
        return PlanTierError(
            _with_detail("Export is not available on the current plan (HTTP 402).", detail), status=status
        )
    if status == protocol.HTTP_RATE_LIMITED:
        wait = retry_after_seconds(response.headers, body)
        return RateLimitedError(
            _with_detail("The backend is rate limiting requests.", detail), retry_after=wait
        )
    code = _as_int(body.get("code")) if isinstance(body, dict) else None
    # The gateway reports plain HTTP failures with the status as the code: the status says it all.
    if code and code != status:
        data = body.get("data") if isinstance(body, dict) else None
        return error_for_code(code, detail, data, ctx, status)
    if status == protocol.HTTP_MISSING_CLIENT_ID and ctx.token_endpoint:
        return MissingClientIdError(
            _with_detail("The backend did not accept the client id.", detail), status=status
        )
    return BackendError(
        _with_detail(f"The backend failed on {response.request.url.path} (HTTP {status}).", detail),
        status=status,
    )


def check_response(response: httpx.Response, ctx: CallContext) -> dict[str, Any]:
    """The JSON body of a successful call; HTTP errors and error envelopes raise the mapped exception."""
    if response.status_code >= 400:
        try:
            body: Any = json.loads(response.content) if response.content.strip() else None
        except (ValueError, UnicodeDecodeError):
            body = None
        raise error_for_status(response, body, ctx)
    body = decode_json(response, ctx)
    if not isinstance(body, dict):
        raise BackendError(
            f"The backend answered {response.request.url.path} with JSON that is not an object.",
            status=response.status_code,
        )
    if "code" in body:
        code = _as_int(body["code"])
        if code is None:
            raise BackendError(f"The backend sent a malformed code {body['code']!r}.")
        if code != protocol.ErrorCode.SUCCESS:
            raise error_for_code(code, _server_text(body.get("message"), ctx), body.get("data"), ctx)
    elif body.get("success") is False:
        detail = _server_text(body.get("error") or body.get("message"), ctx)
        raise BackendError(
            _with_detail("The backend reported a failure.", detail), status=response.status_code
        )
    return body


def envelope_data(body: dict[str, Any]) -> dict[str, Any]:
    """The `data` object of an envelope (an empty dict when absent)."""
    data = body.get("data")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BackendError("The backend's answer has a `data` field that is not an object.")
    return data


# --- typed values from the data of gateway answers (no I/O; surprises become BackendError) ---


def _validated(model: type[Any], value: object, what: str) -> Any:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise BackendError(f"The backend sent an unexpected {what}: {where}: {err['msg']}.") from None


def parse_session(data: dict[str, Any], replaced: str | None = None) -> SessionInfo:
    """A new session from the create-session answer."""
    session_id = data.get("session_id") or data.get("sessionId")
    if not isinstance(session_id, str) or not session_id:
        raise BackendError("The backend created a session but sent no session_id.")
    task_id = data.get("task_id") or data.get("taskId")
    bind_id = data.get("bind_id") or data.get("bindId")
    return SessionInfo(
        session_id=session_id,
        task_id=str(task_id) if task_id is not None else None,
        bind_id=str(bind_id) if bind_id else None,
        replaced=replaced,
    )


def parse_credits(data: dict[str, Any]) -> Credits:
    """The credit balance."""
    result: Credits = _validated(Credits, data, "credit balance")
    return result


def parse_state(data: dict[str, Any]) -> SessionState:
    """The session state, from `data.state` (or `data` itself when the backend leaves out `state`)."""
    state = data.get("state", data)
    if state is None:
        return SessionState()
    if not isinstance(state, dict):
        raise BackendError("The backend sent a session state that is not an object.")
    try:
        draft = Draft.parse(state.get("draft"))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise BackendError(f"The backend sent a draft that does not parse: {where}: {err['msg']}.") from None
    media = {
        key: [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
        for key in ("video_infos", "generated_media")
        for value in [state.get(key)]
    }
    return SessionState(draft=draft, **media)


def parse_upload(data: dict[str, Any]) -> UploadResult:
    """What an upload added: names and links, plus everything reported per item."""
    items: list[UploadedFile] = []
    names: list[str] = []
    links: list[str] = []
    for key in ("files", "urls", "items"):
        raw = data.get(key)
        if not isinstance(raw, list):
            continue
        for entry in raw:
            if isinstance(entry, str):
                entry = {"name": entry, "url": entry} if key == "urls" else {"name": entry}
            if not isinstance(entry, dict):
                continue
            entry = {**entry}
            entry.setdefault("name", entry.get("url") or entry.get("filename") or entry.get("id") or "")
            ms = entry.get("duration_ms", entry.get("durationMs"))
            if entry.get("duration") is None and isinstance(ms, int | float) and not isinstance(ms, bool):
                entry["duration"] = ms / 1000
            item: UploadedFile = _validated(UploadedFile, entry, "upload result")
            items.append(item)
            if key == "urls" or (item.url and item.kind in ("url", "link")):
                links.append(item.url or item.name)
            else:
                names.append(item.name)
    return UploadResult(files=names, urls=links, items=items)
