"""The host tools, answered once for any host: MCP, a function-calling loop, a script.

A `Toolbox` answers tool calls by name with validated arguments, dispatching to
the handler each `ToolSpec` carries, and keeps one open session per skill
across calls, so `chat`, `upload`, `get_state` and `export` continue the
timeline `run_skill` started. Errors are `NemoSkillsError`s carrying the
seeds' messages; the host adapter decides how to show them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from nemo_skills.errors import InputError
from nemo_skills.host.progress_pump import ProgressSender
from nemo_skills.host.tool_context import ToolboxSettings, ToolContext
from nemo_skills.host.tool_results import AnyOutput
from nemo_skills.host.tool_spec import ToolSpec
from nemo_skills.host.tools import TOOLS
from nemo_skills.jobs.session_store import SessionStore

__all__ = ["Toolbox", "ToolboxSettings", "invalid_arguments"]


def invalid_arguments(tool: str, exc: ValidationError) -> InputError:
    """A readable InputError for arguments that do not fit a tool's schema."""
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        problems.append(f"{where}: {err['msg']}")
    return InputError(f"invalid arguments for {tool}: " + "; ".join(problems))


class Toolbox(ToolContext):
    """Answers the host tools; one open session per skill, reused until the toolbox closes."""

    def __init__(
        self,
        settings: ToolboxSettings,
        *,
        store: SessionStore | None = None,
        tools: Iterable[ToolSpec[Any, Any]] = TOOLS,
    ) -> None:
        super().__init__(settings, store=store)
        self.tools: dict[str, ToolSpec[Any, Any]] = {spec.name: spec for spec in tools}

    def __repr__(self) -> str:
        return f"Toolbox(backend={self.settings.backend.label!r})"

    async def __aenter__(self) -> Toolbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def call(
        self, name: str, arguments: Mapping[str, Any] | None = None, *, report: ProgressSender | None = None
    ) -> AnyOutput:
        """Validate the arguments against the tool's model and run its handler; NemoSkillsError on failure."""
        spec = self.tools.get(name)
        if spec is None:
            raise InputError(f"unknown tool {name!r}; tools: {', '.join(self.tools)}")
        try:
            args = spec.args.model_validate(dict(arguments or {}))
        except ValidationError as exc:
            raise invalid_arguments(name, exc) from exc
        out: AnyOutput = await spec.handler(self, args, report)
        return out
