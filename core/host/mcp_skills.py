"""The MCP skills extension (`io.modelcontextprotocol/skills`): `skills/list` and `skills/get`.

Follows SEP-2640 as published in modelcontextprotocol/ext-skills, specification/stable/skills.mdx: the
server declares the extension under `capabilities.extensions`, and a skill entry carries the URI of its
SKILL.md resource, that file's frontmatter as JSON, and every file of the skill with its sha256 digest
and size. A skill here is one file, the SKILL.md that `resources/read` serves, so each entry lists it
alone. The optional `resources/directory/read` is not offered (`directoryRead` stays false).

Each SKILL.md is rendered at its first request and kept: the bytes `resources/read` returns are the
bytes an entry's digest covers, and start-up renders nothing. Imported only by `mcp_server`, when a
server is built, like the SDK it uses.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any, Literal

import mcp.types as types
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel, ConfigDict

from nemo_skills.errors import InputError, NemoSkillsError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from mcp.server import ServerRequestContext
    from mcp.server.context import CallNext, HandlerResult
    from mcp.server.lowlevel import Server

    from nemo_skills.catalog.registry import Catalog
    from nemo_skills.catalog.skill import Skill

EXTENSION_ID = "io.modelcontextprotocol/skills"
LIST_METHOD = "skills/list"
GET_METHOD = "skills/get"
# The served text is fixed for the server's life; five minutes spares a host needless re-listing.
CACHE_TTL_MS = 300_000
# Schemas are built at first use, not when a server starts.
_LAZY = ConfigDict(defer_build=True)
_URI_RE = re.compile(r"^skill://([a-z0-9]+(?:-[a-z0-9]+)*)/SKILL\.md$")


def skill_uri(skill_name: str) -> str:
    """The resource URI of a skill's generated SKILL.md."""
    return f"skill://{skill_name}/SKILL.md"


class SkillFile(BaseModel):
    """One file of a skill: its resource URI, the sha256 of its bytes and their count."""

    model_config = _LAZY

    uri: str
    digest: str
    size: int


class SkillEntry(BaseModel):
    """A skill as the extension describes it: its SKILL.md URI, frontmatter and complete file list."""

    model_config = _LAZY

    uri: str
    frontmatter: dict[str, Any]
    resources: list[SkillFile]


class ListSkillsResult(types.PaginatedResult, types.CacheableResult):
    """The `skills/list` answer: every served skill on one page."""

    model_config = _LAZY

    skills: list[SkillEntry]
    ttl_ms: int = CACHE_TTL_MS
    cache_scope: Literal["public", "private"] = "public"


class GetSkillParams(types.RequestParams):
    """The `skills/get` request's parameters: the URI of a skill's SKILL.md."""

    model_config = _LAZY

    uri: str


class GetSkillResult(types.CacheableResult):
    """The `skills/get` answer: one skill's entry."""

    model_config = _LAZY

    skill: SkillEntry
    ttl_ms: int = CACHE_TTL_MS
    cache_scope: Literal["public", "private"] = "public"


class SkillDocs:
    """Each served skill's SKILL.md (API mode, ClawHub format), rendered at first use and kept."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._texts: dict[str, str] = {}
        self._entries: dict[str, SkillEntry] = {}

    def __repr__(self) -> str:
        return f"SkillDocs(rendered={sorted(self._texts)})"

    def skills(self) -> list[Skill]:
        """The served skills, in the catalog's order."""
        return self.catalog.skills()

    def text(self, uri: str) -> str:
        """The SKILL.md text a resource URI names; InputError for a URI that names no served skill."""
        match = _URI_RE.match(uri)
        if match is None:
            raise InputError(f"unknown resource {uri!r}; resources are skill://<name>/SKILL.md")
        return self._render(self.catalog.get(match.group(1)))

    def entry(self, uri: str) -> SkillEntry:
        """The extension's entry for the skill whose SKILL.md is at `uri`, exactly as listed."""
        match = _URI_RE.match(uri)
        if match is None or match.group(1) not in self.catalog:
            served = ", ".join(skill_uri(s.name) for s in self.skills())
            raise InputError(f"no skill is served at {uri!r}; served skills: {served}")
        entry = self._entries.get(uri)
        if entry is None:
            text = self._render(self.catalog.get(match.group(1)))
            data = text.encode("utf-8")
            digest = f"sha256:{hashlib.sha256(data).hexdigest()}"
            files = [SkillFile(uri=uri, digest=digest, size=len(data))]
            entry = self._entries[uri] = SkillEntry(uri=uri, frontmatter=_frontmatter(text), resources=files)
        return entry

    def description(self, skill: Skill) -> str:
        """The `description` of the skill's SKILL.md frontmatter."""
        return str(self.entry(skill_uri(skill.name)).frontmatter["description"])

    def _render(self, skill: Skill) -> str:
        text = self._texts.get(skill.name)
        if text is None:
            from nemo_skills.skillmd.generate import render_skill_md

            text = self._texts[skill.name] = render_skill_md(skill, format="clawhub", mode="api")
        return text


def _frontmatter(text: str) -> dict[str, Any]:
    """The frontmatter of a SKILL.md as a JSON object, read back from the served text itself."""
    import yaml

    from nemo_skills.skillmd.frontmatter import split

    head, _ = split(text)
    data = yaml.safe_load(head)
    if not isinstance(data, dict):
        raise InputError("a generated SKILL.md has no frontmatter mapping")
    return data


def add_skills_extension(server: Server[Any], docs: Callable[[], Awaitable[SkillDocs]]) -> None:
    """Serve `skills/list` and `skills/get` from `docs` and declare the extension in the capabilities."""

    async def list_skills(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams
    ) -> ListSkillsResult:
        if params.cursor is not None:
            # Every skill fits one page, so no cursor was ever handed out.
            raise MCPError(code=types.INVALID_PARAMS, message=f"unknown cursor {params.cursor!r}")
        shelf = await docs()
        return ListSkillsResult(skills=[shelf.entry(skill_uri(s.name)) for s in shelf.skills()])

    async def get_skill(ctx: ServerRequestContext[Any], params: GetSkillParams) -> GetSkillResult:
        try:
            return GetSkillResult(skill=(await docs()).entry(params.uri))
        except NemoSkillsError as exc:
            raise MCPError(
                code=types.INVALID_PARAMS, message=exc.user_message(), data={"uri": params.uri}
            ) from exc

    server.add_request_handler(LIST_METHOD, types.PaginatedRequestParams, list_skills)
    server.add_request_handler(GET_METHOD, GetSkillParams, get_skill)
    server.extensions[EXTENSION_ID] = {}
    server.middleware.append(_declare_on_handshake)


async def _declare_on_handshake(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """Keep the extension in an `initialize` result's capabilities.

    SEP-2133 declares extensions in `ServerCapabilities.extensions` whatever the protocol version, and
    hosts on the 2025 handshake (the MCP Inspector, TypeScript SDK clients) look for it there; the SDK's
    2025-11-25 result model has no such field and drops it. The 2026 `server/discover` keeps it as is.
    """
    result = await call_next(ctx)
    if ctx.method == "initialize" and isinstance(result, dict):
        capabilities = result.get("capabilities")
        if isinstance(capabilities, dict):
            declared = capabilities.setdefault("extensions", {})
            if isinstance(declared, dict):
                declared.setdefault(EXTENSION_ID, {})
    return result
