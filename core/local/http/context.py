"""What every route of one backend shares: store, settings, faults, agent and render queue."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from nemo_skills import protocol
from nemo_skills.local.agent.turns import TurnRunner
from nemo_skills.local.config import DEFAULT_UPLOAD_LIMIT_MB, BackendSettings
from nemo_skills.local.faults import FaultState
from nemo_skills.local.problems import ApiProblem, bad_request
from nemo_skills.local.records import Account
from nemo_skills.local.renderer.jobs import RenderQueue
from nemo_skills.local.state import Store

MAX_JSON_BYTES = 8 * 1024 * 1024


@dataclass
class AppContext:
    """The shared parts of one running backend."""

    store: Store
    settings: BackendSettings
    faults: FaultState
    renders: RenderQueue
    turns: TurnRunner
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    polls: int = 0
    chats: int = 0

    def next_shape(self) -> str:
        """For status_shape 'alternate': 'top' and 'data' in turn, one per status poll."""
        self.polls += 1
        return "top" if self.polls % 2 else "data"

    def authenticate(self, request: Request) -> Account:
        """The caller's account; 1001 when the token is missing, unknown or expired."""
        return self.store.authenticate(request.headers.get(protocol.HEADER_AUTH))

    def upload_limit(self, request: Request) -> tuple[int, str]:
        """Upload limit in bytes for the skill named by X-Skill-Source, and that skill's name."""
        name = request.headers.get(protocol.HEADER_SKILL_SOURCE, "").strip()
        if name:
            from nemo_skills.catalog.registry import get_catalog
            from nemo_skills.errors import NemoSkillsError

            try:
                skill = get_catalog(self.settings.registry).get(name)
            except NemoSkillsError:
                pass
            else:
                return skill.max_upload_bytes, skill.name
        return DEFAULT_UPLOAD_LIMIT_MB * 1024 * 1024, name or "unknown skill"

    def spawn(self, coro: Any) -> asyncio.Task[None]:
        """Run a background task, keeping a reference so it is not collected mid-way."""
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task


def ctx(request: Request) -> AppContext:
    """The AppContext of the app serving a request."""
    value = request.app.state.ctx
    assert isinstance(value, AppContext)
    return value


async def json_body(request: Request, *, required: bool = True) -> dict[str, Any]:
    """The request's JSON object; a clear 400 for anything else."""
    raw = await request.body()
    if len(raw) > MAX_JSON_BYTES:
        raise bad_request(f"request body is larger than {MAX_JSON_BYTES // (1024 * 1024)} MB")
    if not raw.strip():
        if required:
            raise bad_request("request body is empty; a JSON object was expected")
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad_request(f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise bad_request(f"request body must be a JSON object, not {type(body).__name__}")
    return body


def require_str(body: dict[str, Any], key: str, where: str = "body") -> str:
    """A non-empty string field; 400 naming the field otherwise."""
    value = body.get(key)
    if value is None:
        raise bad_request(f"missing field {key!r} in {where}")
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"field {key!r} in {where} must be a non-empty string")
    return value.strip()


__all__ = ["ApiProblem", "AppContext", "ctx", "json_body", "require_str"]
