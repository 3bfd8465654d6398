"""Typed values from the data of gateway answers, without I/O; surprises become BackendError."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from nemo_skills.client.models import Credits, SessionInfo, SessionState, UploadedFile, UploadResult
from nemo_skills.draft import Draft
from nemo_skills.errors import BackendError


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
