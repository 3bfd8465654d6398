"""The errors the local backend answers with, independent of how they are put on the wire."""

from __future__ import annotations

from typing import Any

from nemo_skills.protocol import ErrorCode

# Gateway `code` values for plain HTTP failures, which the cloud reports with the HTTP status as code.
CODE_BAD_REQUEST = 400
CODE_NOT_FOUND = 404
CODE_METHOD_NOT_ALLOWED = 405
CODE_CONFLICT = 409
CODE_INTERNAL = 500


class ApiProblem(Exception):
    """An error answer: protocol `code`, HTTP status, a clear message and optional data."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        status: int = 200,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.data = data or {}
        self.headers = headers or {}


def bad_request(message: str) -> ApiProblem:
    """HTTP 400 for a body or parameter that makes no sense."""
    return ApiProblem(CODE_BAD_REQUEST, message, status=400)


def not_found(message: str) -> ApiProblem:
    """HTTP 404 for something that does not exist."""
    return ApiProblem(CODE_NOT_FOUND, message, status=404)


def token_problem(message: str, *, http_401: bool) -> ApiProblem:
    """1001: a missing, unknown or expired token."""
    return ApiProblem(ErrorCode.TOKEN_INVALID, message, status=401 if http_401 else 200)


def session_problem(session_id: str) -> ApiProblem:
    """1002: a session this user does not have (never had, or lost)."""
    return ApiProblem(
        ErrorCode.SESSION_NOT_FOUND,
        f"session {session_id!r} not found; create a new session",
        data={"session_id": session_id},
    )
