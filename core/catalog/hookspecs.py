"""Hook specifications: what a nemo-skills plugin can provide."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from nemo_skills.catalog.claims import Claim, RouteRequest
    from nemo_skills.catalog.skill import Skill

hookspec = pluggy.HookspecMarker("nemo_skills")
hookimpl = pluggy.HookimplMarker("nemo_skills")


@hookspec
def register_skills(register: Callable[[Skill], None]) -> None:
    """Register skill variants by calling register(skill) once for each."""


@hookspec
def route_input(request: RouteRequest, skills: dict[str, Skill]) -> list[Claim] | Claim | None:
    """Score an input for the skills it suits; return claims, or None to abstain."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the nemo-skills click group passed as cli."""
