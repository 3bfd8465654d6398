"""The client's logic without I/O: attribution headers, URLs, timeouts, retry waits, render ids.

X-Skill-Platform is an explicit setting, else NEMO_SKILLS_PLATFORM, else where the code is installed
(`detect_platform`).

Like httpx's BaseClient: the async client adds only the I/O, and the sync
client drives the async one, so neither face carries protocol logic of its own.
Envelope, error mapping and typed parsing of answers live in envelope.py.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from nemo_skills import protocol
from nemo_skills.catalog.skill import Skill
from nemo_skills.client.settings import ClientOptions
from nemo_skills.errors import RateLimitedError
from nemo_skills.files.links import check_base_url


def install_paths(skill_name: str | None = None) -> tuple[Path, ...]:
    """Where the running code lives: this package, the script being run, and the skill's plugin module."""
    here = Path(__file__).resolve().parent
    paths = [here]
    if sys.argv and sys.argv[0]:
        paths.append(Path(sys.argv[0]).resolve())
    if skill_name:
        paths.extend(_plugin_paths(skill_name))
    return tuple(paths)


def _plugin_paths(skill_name: str) -> list[Path]:
    try:
        from nemo_skills.catalog import plugins
        from nemo_skills.catalog.registry import get_catalog

        catalog = get_catalog()
        if skill_name not in catalog:
            return []
        module = plugins.pm.get_plugin(catalog.plugin_of(skill_name))
    except Exception:  # a registry problem must not break the headers
        return []
    source = getattr(module, "__file__", None)
    return [Path(source).resolve()] if isinstance(source, str) else []


def detect_platform(
    explicit: str | None = None, paths: tuple[Path, ...] | None = None, *, skill_name: str | None = None
) -> str:
    """X-Skill-Platform: the explicit value, else NEMO_SKILLS_PLATFORM, else the install path rule."""
    if explicit:
        return explicit
    env = os.environ.get(protocol.ENV_PLATFORM)
    if env:
        return env
    for path in paths if paths is not None else install_paths(skill_name):
        text = str(path.expanduser())
        for prefix, platform in protocol.PLATFORM_INSTALL_DIRS:
            root = str(Path(prefix).expanduser())
            if text == root or text.startswith(root.rstrip("/") + "/"):
                return platform
    return protocol.PLATFORM_UNKNOWN


# 48 random bits: two clients starting a render in the same millisecond collide once in ~10^14.
RENDER_ID_RANDOM_BYTES = 6


def new_render_id(now: float | None = None) -> str:
    """A client-generated render id, `render_<ms timestamp>_<12 hex>`: the random part keeps clients apart."""
    stamp = int((time.time() if now is None else now) * 1000)
    return f"{protocol.RENDER_ID_PREFIX}{stamp}_{secrets.token_hex(RENDER_ID_RANDOM_BYTES)}"


class BaseClient:
    """What both clients share: the skill, base URL, attribution headers, timeouts and error context."""

    def __init__(
        self,
        skill: Skill,
        *,
        base_url: str | None = None,
        platform: str | None = None,
        options: ClientOptions | None = None,
    ) -> None:
        self.skill = skill
        self.base_url = normalise_base_url(base_url or os.environ.get(protocol.ENV_API_BASE) or "")
        self.platform = detect_platform(platform, skill_name=skill.name)
        self.options = options or ClientOptions()

    def attribution_headers(self) -> dict[str, str]:
        """X-Skill-Source, X-Skill-Version and X-Skill-Platform."""
        return {
            protocol.HEADER_SKILL_SOURCE: self.skill.name,
            protocol.HEADER_SKILL_VERSION: self.skill.version,
            protocol.HEADER_SKILL_PLATFORM: self.platform,
        }

    def headers(self, token: str | None) -> dict[str, str]:
        """Headers of an API request: bearer token (when there is one) and attribution."""
        headers = self.attribution_headers()
        if token:
            headers[protocol.HEADER_AUTH] = f"Bearer {token}"
        return headers

    def url(self, path_or_url: str) -> str:
        """An absolute URL for an API path (absolute URLs pass through)."""
        return (
            urljoin(self.base_url + "/", path_or_url.lstrip("/")) if "://" not in path_or_url else path_or_url
        )

    def same_origin(self, url: str) -> bool:
        """Whether a URL is on the API host, so it may receive the token."""
        a, b = urlsplit(self.url(url)), urlsplit(self.base_url)
        return (a.scheme, a.netloc) == (b.scheme, b.netloc)

    def timeout(self, *, read: float | None = None) -> httpx.Timeout:
        """Connect, read, write and pool timeouts, set separately."""
        o = self.options
        return httpx.Timeout(
            connect=o.connect_timeout, read=read or o.read_timeout, write=o.write_timeout, pool=o.pool_timeout
        )

    def sse_timeout(self) -> httpx.Timeout:
        """Timeouts of a chat stream: the read timeout covers gaps between heartbeats."""
        return self.timeout(read=self.options.sse_read_timeout)

    def rate_limit_wait(self, exc: RateLimitedError) -> float | None:
        """How long to wait before the one retry of a 429, or None when the wait is too long to sit out."""
        wait = exc.retry_after if exc.retry_after is not None else self.options.rate_limit_wait
        return wait if wait <= self.options.rate_limit_max_wait else None


def normalise_base_url(value: str) -> str:
    """The base URL without a trailing slash; the cloud default when empty; http(s) only."""
    return check_base_url(value.strip() or protocol.DEFAULT_BASE_URL)
