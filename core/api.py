"""The public helpers a host calls: route, list skills, open a session, generate SKILL.md.

Everything here is a thin, typed entry point over the modules that do the work
(router, registry, client, generate), with the registry as an optional argument.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING

from nemo_skills.catalog.registry import get_catalog
from nemo_skills.catalog.router import RouteResult
from nemo_skills.catalog.router import route as _route
from nemo_skills.catalog.skill import Skill
from nemo_skills.client.config import SessionConfig, session_keywords

if TYPE_CHECKING:
    from nemo_skills.client import AsyncNemoClient, NemoClient

PathLike = str | os.PathLike[str]


def route(
    text: str = "",
    files: Sequence[PathLike] = (),
    urls: Sequence[str] = (),
    *,
    registry: PathLike | None = None,
) -> RouteResult:
    """Pick the skill for a request (text, local files, URLs), with the reason and every skill's score."""
    return _route(text, files, urls, catalog=get_catalog(registry))


def list_skills(*, registry: PathLike | None = None) -> list[Skill]:
    """The skills this host serves, highest routing priority first."""
    return get_catalog(registry).skills()


def get_skill(name: str, *, registry: PathLike | None = None) -> Skill:
    """A served skill by name; UnknownSkillError names the served ones."""
    return get_catalog(registry).get(name)


def generate_skill_md(
    skill: Skill | str,
    *,
    format: str = "clawhub",
    mode: str = "api",
    registry: PathLike | None = None,
) -> str:
    """A skill's SKILL.md text: `format` clawhub or agentskills, `mode` api (HTTP by hand) or cli."""
    from nemo_skills.skillmd.generate import render_skill_md

    resolved = skill if isinstance(skill, Skill) else get_skill(skill, registry=registry)
    return render_skill_md(resolved, format=format, mode=mode)


@session_keywords(SessionConfig)
@asynccontextmanager
async def open_session(skill: Skill | str, config: SessionConfig) -> AsyncIterator[AsyncNemoClient]:
    """A connected AsyncNemoClient for a skill (a new session, or `session_id` continued); closed on exit.

    The keywords are SessionConfig's fields: every ClientConfig field (base_url,
    token, transport, options, ...), then session_id and language_hint.
    """
    from nemo_skills.client import AsyncNemoClient

    async with AsyncNemoClient.from_config(skill, config.client_config()) as client:
        await client.connect(config.session_id, language_hint=config.language_hint)
        yield client


@session_keywords(SessionConfig)
@contextmanager
def open_session_sync(skill: Skill | str, config: SessionConfig) -> Iterator[NemoClient]:
    """The synchronous open_session: a connected NemoClient, closed on exit."""
    from nemo_skills.client import NemoClient

    with NemoClient.from_config(skill, config.client_config()) as client:
        client.connect(config.session_id, language_hint=config.language_hint)
        yield client
