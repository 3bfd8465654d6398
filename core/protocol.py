"""The NemoVideo wire protocol: paths, headers, codes and formats, in one place.

Both the client and the local backend import these names, so the two cannot
disagree about what the cloud expects.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import IntEnum
from typing import Final

DEFAULT_BASE_URL: Final = "https://mega-api-prod.nemovideo.ai"
ENV_API_BASE: Final = "NEMO_API_BASE"
ENV_TOKEN: Final = "NEMO_TOKEN"
ENV_PLATFORM: Final = "NEMO_SKILLS_PLATFORM"

APP_NAME: Final = "nemo_agent"
USER_ID: Final = "me"

# Paths. Those with a placeholder are built by the helpers below.
PATH_ANON_TOKEN: Final = "/api/auth/anonymous-token"
PATH_CREATE_SESSION: Final = f"/api/tasks/me/with-session/{APP_NAME}"
PATH_RUN_SSE: Final = "/run_sse"
PATH_UPLOAD_PREFIX: Final = f"/api/upload-video/{APP_NAME}/{USER_ID}/"
PATH_CREDITS: Final = "/api/credits/balance/simple"
PATH_STATE_PREFIX: Final = f"/api/state/{APP_NAME}/{USER_ID}/"
PATH_RENDER: Final = "/api/render/proxy/lambda"


def upload_path(session_id: str) -> str:
    """Path of the upload endpoint for a session."""
    return f"{PATH_UPLOAD_PREFIX}{session_id}"


def state_path(session_id: str) -> str:
    """Path of the latest-state endpoint for a session."""
    return f"{PATH_STATE_PREFIX}{session_id}/latest"


def render_status_path(render_id: str) -> str:
    """Path of the render status endpoint for a render job."""
    return f"{PATH_RENDER}/{render_id}"


# Headers.
HEADER_AUTH: Final = "Authorization"
HEADER_CLIENT_ID: Final = "X-Client-Id"
HEADER_SKILL_SOURCE: Final = "X-Skill-Source"
HEADER_SKILL_VERSION: Final = "X-Skill-Version"
HEADER_SKILL_PLATFORM: Final = "X-Skill-Platform"
HEADER_RETRY_AFTER: Final = "Retry-After"
ATTRIBUTION_HEADERS: Final = (HEADER_SKILL_SOURCE, HEADER_SKILL_VERSION, HEADER_SKILL_PLATFORM)
SSE_ACCEPT: Final = "text/event-stream"

# Multipart field name for uploads, and the JSON source type for URL uploads.
UPLOAD_FIELD: Final = "files"
UPLOAD_URL_SOURCE_TYPE: Final = "url"

# Platforms for X-Skill-Platform, detected from where a skill is installed.
PLATFORM_CLAWHUB: Final = "clawhub"
PLATFORM_CURSOR: Final = "cursor"
PLATFORM_UNKNOWN: Final = "unknown"
PLATFORM_INSTALL_DIRS: Final = (("~/.clawhub/", PLATFORM_CLAWHUB), ("~/.cursor/skills/", PLATFORM_CURSOR))

# Anonymous tokens: what the cloud grants per client.
ANON_TOKEN_CREDITS: Final = 100
ANON_TOKEN_TTL_SECONDS: Final = 7 * 24 * 3600

# Time limits the seeds state.
SSE_MAX_SECONDS: Final = 15 * 60
STILL_WORKING_SECONDS: Final = 120.0
RENDER_POLL_MAX_SECONDS: Final = 30.0
RATE_LIMIT_WAIT_SECONDS: Final = 30.0

REGISTRATION_URL: Final = "https://nemovideo.ai/register"


class ErrorCode(IntEnum):
    """Gateway `code` values in the `{"code", "message", "data"}` envelope."""

    SUCCESS = 0
    TOKEN_INVALID = 1001
    SESSION_NOT_FOUND = 1002
    TOKEN_EXPIRED = 1010
    TOKEN_REVOKED = 1011
    NO_CREDITS = 2001
    UNSUPPORTED_FILE = 4001
    FILE_TOO_LARGE = 4002


TOKEN_ERROR_CODES: Final = frozenset(
    {ErrorCode.TOKEN_INVALID, ErrorCode.TOKEN_EXPIRED, ErrorCode.TOKEN_REVOKED}
)

# HTTP statuses with a documented meaning of their own.
HTTP_MISSING_CLIENT_ID: Final = 400
HTTP_UNAUTHORIZED: Final = 401
HTTP_PLAN_TIER: Final = 402
HTTP_RATE_LIMITED: Final = 429
# A render id already used by another session (or for another draft): the client retries with a fresh id.
# The same id sent again for the same session is not a conflict: the render already started is returned.
HTTP_RENDER_ID_TAKEN: Final = 409


class RenderStatus:
    """Render job statuses as the render endpoints report them."""

    PENDING: Final = "pending"
    PROCESSING: Final = "processing"
    COMPLETED: Final = "completed"
    FAILED: Final = "failed"
    TERMINAL: Final = frozenset({COMPLETED, FAILED})


# Upload formats every variant accepts, by media kind.
VIDEO_FORMATS: Final = ("mp4", "mov", "avi", "webm", "mkv")
IMAGE_FORMATS: Final = ("jpg", "png", "gif", "webp")
AUDIO_FORMATS: Final = ("mp3", "wav", "m4a", "aac")
ACCEPTED_UPLOAD_FORMATS: Final = VIDEO_FORMATS + IMAGE_FORMATS + AUDIO_FORMATS
# Extensions that name an accepted format under another spelling.
FORMAT_ALIASES: Final = {"jpeg": "jpg"}
# Documents are read locally and sent as prompt text; they are never uploaded.
DOCUMENT_FORMATS: Final = ("txt", "md", "docx", "pdf")

# Draft JSON short keys and track types.
DRAFT_TRACKS: Final = "t"
DRAFT_TRACK_TYPE: Final = "tt"
DRAFT_SEGMENTS: Final = "sg"
DRAFT_DURATION: Final = "d"
DRAFT_META: Final = "m"
DRAFT_SEGMENT_START: Final = "st"


class TrackType(IntEnum):
    """Values of the draft's `tt` key."""

    VIDEO = 0
    AUDIO = 1
    TEXT = 7


def session_body(language: str | None) -> dict[str, str]:
    """JSON body that creates a session; `language` is omitted when None."""
    body = {"task_name": "project"}
    if language is not None:
        body["language"] = language
    return body


def chat_body(session_id: str, text: str) -> dict[str, object]:
    """JSON body of a `/run_sse` request (Google ADK's API-server shape)."""
    return {
        "app_name": APP_NAME,
        "user_id": USER_ID,
        "session_id": session_id,
        "new_message": {"role": "user", "parts": [{"text": text}]},
    }


def render_body(render_id: str, session_id: str, draft: object) -> dict[str, object]:
    """JSON body that starts an export render."""
    return {
        "id": render_id,
        "sessionId": session_id,
        "draft": draft,
        "output": {"format": "mp4", "quality": "high"},
    }


# Render ids are generated by the client: the prefix, a millisecond timestamp and a random part.
RENDER_ID_PREFIX: Final = "render_"


def upload_urls_body(urls: list[str]) -> dict[str, object]:
    """JSON body that adds links (not files) to a session."""
    return {"urls": list(urls), "source_type": UPLOAD_URL_SOURCE_TYPE}


# The lines a client's chat message carries besides the user's words, which the
# backend's agent reads back: the uploaded files to use, and a document's text.
FILES_LINE_LABEL: Final = "Use the uploaded files"
DOCUMENT_LABEL: Final = "Document"
# A person may type the shorter "uploaded file(s): ..." too; the agent reads it the same way.
_FILES_LINE = re.compile(rf"(?:{re.escape(FILES_LINE_LABEL)}|uploaded files?)\s*:\s*(.+)", re.I)
_DOCUMENT_HEADER = rf"^{re.escape(DOCUMENT_LABEL)} \(([^)\n]*)\):[ \t]*\n"
# A document block runs to the files line after it, or to the end of the message.
_DOCUMENT_BLOCK = re.compile(_DOCUMENT_HEADER + rf"(.*?)(?=^{re.escape(FILES_LINE_LABEL)}:|\Z)", re.M | re.S)


def files_line(names: Sequence[str]) -> str:
    """The line asking the agent to use uploaded files ("" when there are none)."""
    return f"{FILES_LINE_LABEL}: {', '.join(names)}." if names else ""


def document_block(name: str, text: str) -> str:
    """A document's text under a header naming it ("" when there is no text)."""
    return f"{DOCUMENT_LABEL} ({name}):\n{text}" if text else ""


def read_files_line(message: str) -> tuple[str, list[str]]:
    """The message without its files lines, and the file names the first one gives."""
    match = _FILES_LINE.search(message)
    names = [n.strip() for n in re.split(r",\s*", match.group(1).strip().rstrip("."))] if match else []
    return _FILES_LINE.sub("", message), [n for n in names if n]


def split_document_block(message: str) -> tuple[str, str]:
    """The message without its document block, and that block ("" when there is none)."""
    match = _DOCUMENT_BLOCK.search(message)
    if match is None:
        return message, ""
    return message[: match.start()] + message[match.end() :], match.group(0)


def read_document_block(message: str) -> tuple[str, str] | None:
    """The name and text of the first document block in a message, if there is one."""
    match = _DOCUMENT_BLOCK.search(message)
    return (match.group(1), match.group(2)) if match else None
