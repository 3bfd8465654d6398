"""The two envelopes the backend answers in: the gateway's `{code, message, data}` and the render
endpoints' `{success, data | error}`."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from nemo_skills.local.problems import ApiProblem


def gateway_ok(data: dict[str, Any], message: str = "ok") -> JSONResponse:
    """A gateway success: `{"code": 0, "message": ..., "data": ...}`."""
    return JSONResponse({"code": 0, "message": message, "data": data})


def gateway_error(problem: ApiProblem) -> JSONResponse:
    """A gateway failure with its code, message and data, at its HTTP status."""
    body = {"code": problem.code, "message": problem.message, "data": problem.data}
    return JSONResponse(body, status_code=problem.status, headers=problem.headers)


def render_ok(payload: dict[str, Any]) -> JSONResponse:
    """A render endpoint success: `{"success": true, ...payload}`."""
    return JSONResponse({"success": True, **payload})


def render_error(problem: ApiProblem) -> JSONResponse:
    """A render endpoint failure: `{"success": false, "error": ..., "code": ...}`."""
    body: dict[str, Any] = {"success": False, "error": problem.message, "code": problem.code}
    if problem.data:
        body["data"] = problem.data
    return JSONResponse(body, status_code=problem.status, headers=problem.headers)
