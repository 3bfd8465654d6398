"""The input router: which skill suits a request, with a score table and a reason.

Deterministic and offline. The built-in policy is itself a plugin
(`nemo_skills.skills.default_routing`); any plugin's `route_input` hook can
out-score it for the inputs it knows better.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable, Sequence
from typing import Any

import pluggy
from pydantic import BaseModel, ConfigDict, Field

from nemo_skills import protocol
from nemo_skills.catalog import plugins
from nemo_skills.catalog.claims import Claim, RouteRequest
from nemo_skills.catalog.registry import Catalog, get_catalog
from nemo_skills.catalog.skill import Skill
from nemo_skills.errors import NoUsableInputError
from nemo_skills.files.edge import mask_credentials
from nemo_skills.files.links import find_links as find_urls


class ScoreRow(BaseModel):
    """One served skill's line in the score table (frozen: results with the same claims share their rows)."""

    model_config = ConfigDict(frozen=True)

    skill: str
    score: float
    reason: str
    priority: int


class RouteResult(BaseModel):
    """The router's answer: the chosen skill, why, and every skill's score."""

    skill: str
    reason: str
    scores: list[ScoreRow]
    urls: list[str]
    warnings: list[str] = Field(default_factory=list)


def accepted_inputs_text() -> str:
    """What the router accepts, for 'nothing usable' errors."""
    return (
        "a text prompt, a web or YouTube URL, images ("
        + ", ".join((*protocol.IMAGE_FORMATS, *protocol.FORMAT_ALIASES))
        + "), video clips ("
        + ", ".join(protocol.VIDEO_FORMATS)
        + "), audio ("
        + ", ".join(protocol.AUDIO_FORMATS)
        + ") or a document ("
        + ", ".join(protocol.DOCUMENT_FORMATS)
        + ")"
    )


try:  # pluggy's own call loop; under a pluggy without it, every call goes through pluggy's dispatch
    from pluggy._callers import _multicall as _plain_loop
except ImportError:  # pragma: no cover
    _plain_loop = None  # type: ignore[assignment]


def _call_loop(pm: pluggy.PluginManager) -> object:
    # pluggy swaps its call loop for a traced one while a host monitors hook calls (add_hookcall_monitoring).
    return getattr(pm, "_inner_hookexec", None)


class _Hook:
    """The route_input implementations, called in pluggy's order without its dispatch on every request."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self.impls = pm.hook.route_input.get_hookimpls()
        self.loop = _call_loop(pm)
        # Wrappers and monitoring need pluggy's machinery; plain implementations are called directly,
        # last registered first, as pluggy calls them.
        plain = self.loop is not None and self.loop is _plain_loop
        self.direct = plain and not any(i.hookwrapper or i.wrapper for i in self.impls)
        self.calls = [(i.function, tuple(i.argnames)) for i in reversed(self.impls)]

    def current(self, pm: pluggy.PluginManager) -> bool:
        """Whether the implementations are still the ones read (a plugin may be registered at any time)."""
        return (
            pm is self.pm
            and _call_loop(pm) is self.loop
            and pm.hook.route_input.get_hookimpls() == self.impls
        )

    def __call__(self, request: RouteRequest, skills: dict[str, Skill]) -> list[object]:
        if not self.direct:
            return list(self.pm.hook.route_input(request=request, skills=skills))
        results = []
        for function, argnames in self.calls:
            if argnames == _BOTH:
                result = function(request, skills)
            else:
                given = {"request": request, "skills": skills}
                result = function(*[given[name] for name in argnames])
            if result is not None:
                results.append(result)
        return results


_BOTH = ("request", "skills")
_hook: list[_Hook] = []


def _claims(request: RouteRequest, catalog: Catalog) -> list[Claim]:
    pm = plugins.load_plugins()
    hook = _hook[0] if _hook and _hook[0].current(pm) else None
    if hook is None:
        hook = _Hook(pm)
        _hook[:] = [hook]
    claims: list[Claim] = []
    for result in hook(request, catalog.skill_map):
        if isinstance(result, Claim):
            claims.append(result)
        else:
            claims.extend(result)  # type: ignore[arg-type]
    return claims


# A text-only request skips the file and link checks; the validator alone still checks the text.
_text_request: Callable[[dict[str, Any]], RouteRequest] = RouteRequest.__pydantic_validator__.validate_python


def route(
    text: str = "",
    files: Sequence[str | os.PathLike[str]] = (),
    urls: Sequence[str] = (),
    *,
    catalog: Catalog | None = None,
) -> RouteResult:
    """Pick the skill for an input; NoUsableInputError when nothing can be routed."""
    if not files and not urls and type(text) is str:
        request = _text_request({"text": text})
    else:
        request = RouteRequest.from_input(text, files, urls)
    return route_request(request, catalog=catalog)


# Built by their validators, without BaseModel.__init__: routing is on every request's path. A result's
# rows are already ScoreRow instances, which its validator takes as they are.
_row: Callable[[dict[str, Any]], ScoreRow] = ScoreRow.__pydantic_validator__.validate_python
_result: Callable[[dict[str, Any]], RouteResult] = RouteResult.__pydantic_validator__.validate_python
_by_score = operator.attrgetter("score")
# Score tables by catalog and claims: most requests get the same few claims (the built-in policy's are fixed).
_tables: dict[tuple[object, ...], tuple[ScoreRow, ...]] = {}
_MAX_TABLES = 512


def _table(claims: list[Claim], catalog: Catalog) -> tuple[ScoreRow, ...]:
    """The score table for these claims: every served skill's best claim, best score first."""
    key = (catalog, *[(c.skill, c.score, c.reason) for c in claims])
    rows = _tables.get(key)
    if rows is not None:
        return rows
    best: dict[str, Claim] = {}
    for claim in claims:
        if claim.skill in catalog and (claim.skill not in best or claim.score > best[claim.skill].score):
            best[claim.skill] = claim
    table: list[ScoreRow] = []
    for entry in catalog.entries:
        name = entry.skill.name
        won = best.get(name)
        # A reason is shown (route, run, progress, MCP): a link a plugin quotes shows no user or password.
        score, reason = (won.score, mask_credentials(won.reason)) if won is not None else (0.0, "no claim")
        table.append(_row({"skill": name, "score": score, "reason": reason, "priority": entry.priority}))
    # Entries come by priority, then name; a stable sort on the score keeps that order within a score.
    table.sort(key=_by_score, reverse=True)
    if len(_tables) >= _MAX_TABLES:
        _tables.clear()
    rows = _tables[key] = tuple(table)
    return rows


def route_request(request: RouteRequest, *, catalog: Catalog | None = None) -> RouteResult:
    """Pick the skill for an already built request."""
    catalog = catalog if catalog is not None else get_catalog()
    rows = _table(_claims(request, catalog), catalog)
    if not rows:
        raise NoUsableInputError(
            "no skill is served: every skill is disabled or filtered out.",
            action="Enable a skill in the registry (--registry / NEMO_SKILLS_REGISTRY) "
            "or widen NEMO_SKILLS_PLUGINS; `nemo-skills list` shows what is served.",
        )
    top = rows[0]
    if top.score <= 0:
        problems = request.problems
        detail = ("; ".join(problems) + ". ") if problems else ""
        what = (
            "nothing to route"
            if not (request.text.strip() or request.files or request.urls)
            else ("no usable input")
        )
        raise NoUsableInputError(f"{what}: {detail}Accepted: {accepted_inputs_text()}.")
    urls = request.all_urls
    return _result(
        {
            "skill": top.skill,
            "reason": top.reason,
            "scores": list(rows),
            "urls": urls,
            "warnings": request.problems,
        }
    )


__all__ = [
    "Claim",
    "RouteRequest",
    "RouteResult",
    "ScoreRow",
    "accepted_inputs_text",
    "find_urls",
    "route",
    "route_request",
]
