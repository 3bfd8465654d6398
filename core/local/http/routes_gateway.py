"""Gateway endpoints: anonymous token, sessions, credits and state."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse

from nemo_skills import protocol
from nemo_skills.draft import Draft
from nemo_skills.local.http.context import ctx, json_body
from nemo_skills.local.http.responses import gateway_ok
from nemo_skills.local.problems import ApiProblem, bad_request


async def anonymous_token(request: Request) -> JSONResponse:
    """POST /api/auth/anonymous-token: a token with starting credits, one per client id at a time."""
    client_id = request.headers.get(protocol.HEADER_CLIENT_ID, "").strip()
    if not client_id:
        raise ApiProblem(
            400, "missing X-Client-Id header; generate a client id (a UUID) and retry", status=400
        )
    if len(client_id) > 200 or not client_id.isprintable():
        raise ApiProblem(400, "X-Client-Id must be a short printable id such as a UUID", status=400)
    token, rec, account = ctx(request).store.issue_anonymous_token(client_id)
    return gateway_ok(
        {
            "token": token,
            "credits": account.available,
            "expires_in": int(rec.expires_at - time.time()),
            "expires_at": int(rec.expires_at),
            "bind_id": account.bind_id,
        }
    )


async def create_session(request: Request) -> JSONResponse:
    """POST /api/tasks/me/with-session/nemo_agent: a new session with an empty timeline."""
    c = ctx(request)
    account = c.authenticate(request)
    body = await json_body(request, required=False)
    language = body.get("language")
    if language is not None and (not isinstance(language, str) or len(language) > 20):
        raise bad_request("field 'language' must be a short language code such as 'en'")
    task_name = body.get("task_name", "project")
    if not isinstance(task_name, str):
        raise bad_request("field 'task_name' must be a string")
    session = c.store.create_session(account.user_id, language)
    return gateway_ok(
        {
            "task_id": session.task_id,
            "session_id": session.session_id,
            "bind_id": session.bind_id if account.anonymous else None,
            "language": session.language,
        }
    )


async def credits(request: Request) -> JSONResponse:
    """GET /api/credits/balance/simple: available, frozen and total credits."""
    account = ctx(request).authenticate(request)
    return gateway_ok(
        {
            "available": account.available,
            "frozen": account.frozen,
            "total": account.total,
            "anonymous": account.anonymous,
            "bind_id": account.bind_id if account.anonymous else None,
        }
    )


async def state(request: Request) -> JSONResponse:
    """GET /api/state/nemo_agent/me/<sid>/latest: the draft, uploaded media and generated media."""
    c = ctx(request)
    account = c.authenticate(request)
    session = c.store.session(request.path_params["session_id"], account.user_id)
    draft = Draft.parse(session.draft)
    return gateway_ok(
        {
            "session_id": session.session_id,
            "bind_id": session.bind_id,
            "state": {
                "draft": session.draft,
                "video_infos": [m.info() for m in session.media],
                "generated_media": session.generated,
            },
            "timeline": draft.summary(),
            "updated_at": session.updated,
        }
    )


async def health(request: Request) -> JSONResponse:
    """GET /healthz: says this is the local backend and that it does no generative AI."""
    del request
    return gateway_ok({"backend": "local", "agent": "rule-based", "generative": False})
