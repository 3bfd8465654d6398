"""The public helpers a host calls: route, list skills, open a session, generate SKILL.md.

Everything here is a thin, typed entry point over the modules that do the work
(router, registry, client, generate), with the registry as an optional argument.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, Unpack

from nemo_skills.catalog.registry import get_catalog
from nemo_skills.catalog.router import RouteResult
from nemo_skills.catalog.skill import Skill
from nemo_skills.client.settings import ClientOptions

if TYPE_CHECKING:
    import httpx

    from nemo_skills.client import AsyncNemoClient, NemoClient
    from nemo_skills.client.auth import TokenProvider

PathLike = str | os.PathLike[str]


def route(
    text: str = "",
    files: Sequence[PathLike] = (),
    urls: Sequence[str] = (),
    *,
    registry: PathLike | None = None,
) -> RouteResult:
    """Pick the skill for a request (text, local files, URLs), with the reason and every skill's score."""
    from nemo_skills.catalog.router import route as _route

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


class ClientArgs(TypedDict, total=False):
    """What a host may pass to open_session / open_session_sync (forwarded to the client)."""

    base_url: str | None
    token: str | None
    token_provider: TokenProvider | None
    platform: str | None
    transport: httpx.AsyncBaseTransport | None
    http_client: httpx.AsyncClient | None
    config_dir: Path | None
    registry: Path | None
    options: ClientOptions | None


@asynccontextmanager
async def open_session(
    skill: Skill | str,
    *,
    session_id: str | None = None,
    language_hint: str = "",
    **client_args: Unpack[ClientArgs],
) -> AsyncIterator[AsyncNemoClient]:
    """A connected AsyncNemoClient for a skill (a new session, or `session_id` continued); closed on exit.

    `client_args` go to AsyncNemoClient: base_url, token, token_provider (a
    callable, sync or async, returning a token), platform, transport or
    http_client (the host's own httpx objects), config_dir, registry, options.
    """
    from nemo_skills.client import AsyncNemoClient

    async with AsyncNemoClient(skill, **client_args) as client:
        await client.connect(session_id, language_hint=language_hint)
        yield client


@contextmanager
def open_session_sync(
    skill: Skill | str,
    *,
    session_id: str | None = None,
    language_hint: str = "",
    **client_args: Unpack[ClientArgs],
) -> Iterator[NemoClient]:
    """The synchronous open_session: a connected NemoClient, closed on exit."""
    from nemo_skills.client import NemoClient

    with NemoClient(skill, **client_args) as client:
        client.connect(session_id, language_hint=language_hint)
        yield client
