"""nemo-skills: a runtime, router and CLI for NemoVideo agent skills.

The public API is importable from here; each name is loaded on first use, so
`import nemo_skills` stays cheap for hosts that need only part of it.

    from nemo_skills import route, open_session

    choice = route("a 5-second sunset over a city skyline")
    async with open_session(choice.skill) as session:
        reply = await session.send("a 5-second sunset over a city skyline")
        result = await session.export(Path("sunset.mp4"))

A skill plugin needs one line (docs/plugins.md):

    from nemo_skills import Claim, InputKind, LanguageMode, RouteRequest, Skill, hookimpl
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> module that defines it. Kept in step with __all__ by tests/test_public_api.py.
_EXPORTS: dict[str, str] = {
    # Routing, skills and SKILL.md text.
    "route": "nemo_skills.api",
    "RouteResult": "nemo_skills.catalog.router",
    "list_skills": "nemo_skills.api",
    "get_skill": "nemo_skills.api",
    "Skill": "nemo_skills.catalog.skill",
    "generate_skill_md": "nemo_skills.api",
    # The plugin API: what a skill plugin imports (docs/plugins.md).
    "hookimpl": "nemo_skills.catalog.hookspecs",
    "InputKind": "nemo_skills.files.media",
    "LanguageMode": "nemo_skills.catalog.skill",
    "Claim": "nemo_skills.catalog.claims",
    "RouteRequest": "nemo_skills.catalog.claims",
    # Sessions and the client.
    "open_session": "nemo_skills.api",
    "open_session_sync": "nemo_skills.api",
    "AsyncNemoClient": "nemo_skills.client",
    "NemoClient": "nemo_skills.client",
    "ClientOptions": "nemo_skills.client.settings",
    # Values the client returns.
    "SessionInfo": "nemo_skills.client.models",
    "Credits": "nemo_skills.client.models",
    "SessionState": "nemo_skills.client.models",
    "UploadResult": "nemo_skills.client.models",
    "Reply": "nemo_skills.client.models",
    "RenderProgress": "nemo_skills.client.models",
    "ExportResult": "nemo_skills.client.models",
    "Draft": "nemo_skills.draft",
    # Chat events.
    "ChatEvent": "nemo_skills.client.events",
    "PartialText": "nemo_skills.client.events",
    "TextEvent": "nemo_skills.client.events",
    "ToolCall": "nemo_skills.client.events",
    "ToolResult": "nemo_skills.client.events",
    "StateChange": "nemo_skills.client.events",
    "Heartbeat": "nemo_skills.client.events",
    "StillWorking": "nemo_skills.client.events",
    "StreamError": "nemo_skills.client.events",
    "SessionReplaced": "nemo_skills.client.events",
    "ReplyDone": "nemo_skills.client.events",
    # Tool schemas for hosts.
    "tool_schemas": "nemo_skills.host.tools",
    # Errors.
    "NemoSkillsError": "nemo_skills.errors",
    "InputError": "nemo_skills.errors",
    "NoUsableInputError": "nemo_skills.errors",
    "UnknownSkillError": "nemo_skills.errors",
    "RegistryError": "nemo_skills.errors",
    "UnsupportedFileError": "nemo_skills.errors",
    "FileTooLargeError": "nemo_skills.errors",
    "DocumentNotSupportedError": "nemo_skills.errors",
    "ApiError": "nemo_skills.errors",
    "AuthError": "nemo_skills.errors",
    "MissingClientIdError": "nemo_skills.errors",
    "SessionNotFoundError": "nemo_skills.errors",
    "NoCreditsError": "nemo_skills.errors",
    "PlanTierError": "nemo_skills.errors",
    "RateLimitedError": "nemo_skills.errors",
    "BackendError": "nemo_skills.errors",
    "RenderError": "nemo_skills.errors",
    "RenderFailedError": "nemo_skills.errors",
    "RenderTimeoutError": "nemo_skills.errors",
    "InterruptedByUser": "nemo_skills.errors",
    # The offline backend (needs the [local] extra).
    "LocalBackend": "nemo_skills.local",
}

__all__ = [
    "ApiError",
    "AsyncNemoClient",
    "AuthError",
    "BackendError",
    "ChatEvent",
    "Claim",
    "ClientOptions",
    "Credits",
    "DocumentNotSupportedError",
    "Draft",
    "ExportResult",
    "FileTooLargeError",
    "Heartbeat",
    "InputError",
    "InputKind",
    "InterruptedByUser",
    "LanguageMode",
    "LocalBackend",
    "MissingClientIdError",
    "NemoClient",
    "NemoSkillsError",
    "NoCreditsError",
    "NoUsableInputError",
    "PartialText",
    "PlanTierError",
    "RateLimitedError",
    "RegistryError",
    "RenderError",
    "RenderFailedError",
    "RenderProgress",
    "RenderTimeoutError",
    "Reply",
    "ReplyDone",
    "RouteRequest",
    "RouteResult",
    "SessionInfo",
    "SessionNotFoundError",
    "SessionReplaced",
    "SessionState",
    "Skill",
    "StateChange",
    "StillWorking",
    "StreamError",
    "TextEvent",
    "ToolCall",
    "ToolResult",
    "UnknownSkillError",
    "UnsupportedFileError",
    "UploadResult",
    "__version__",
    "generate_skill_md",
    "get_skill",
    "hookimpl",
    "list_skills",
    "open_session",
    "open_session_sync",
    "route",
    "tool_schemas",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nemo_skills' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Module attributes, public API included."""
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    from nemo_skills.api import (
        generate_skill_md,
        get_skill,
        list_skills,
        open_session,
        open_session_sync,
        route,
    )
    from nemo_skills.catalog.claims import Claim, RouteRequest
    from nemo_skills.catalog.hookspecs import hookimpl
    from nemo_skills.catalog.router import RouteResult
    from nemo_skills.catalog.skill import LanguageMode, Skill
    from nemo_skills.client import AsyncNemoClient, NemoClient
    from nemo_skills.client.events import (
        ChatEvent,
        Heartbeat,
        PartialText,
        ReplyDone,
        SessionReplaced,
        StateChange,
        StillWorking,
        StreamError,
        TextEvent,
        ToolCall,
        ToolResult,
    )
    from nemo_skills.client.models import (
        Credits,
        ExportResult,
        RenderProgress,
        Reply,
        SessionInfo,
        SessionState,
        UploadResult,
    )
    from nemo_skills.client.settings import ClientOptions
    from nemo_skills.draft import Draft
    from nemo_skills.errors import (
        ApiError,
        AuthError,
        BackendError,
        DocumentNotSupportedError,
        FileTooLargeError,
        InputError,
        InterruptedByUser,
        MissingClientIdError,
        NemoSkillsError,
        NoCreditsError,
        NoUsableInputError,
        PlanTierError,
        RateLimitedError,
        RegistryError,
        RenderError,
        RenderFailedError,
        RenderTimeoutError,
        SessionNotFoundError,
        UnknownSkillError,
        UnsupportedFileError,
    )
    from nemo_skills.files.media import InputKind
    from nemo_skills.host.tools import tool_schemas
    from nemo_skills.local import LocalBackend
