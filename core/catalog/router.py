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

from pydantic import BaseModel, Field

from nemo_skills import protocol
from nemo_skills.catalog import plugins
from nemo_skills.catalog.claims import Claim, RouteRequest
from nemo_skills.catalog.registry import Catalog, get_catalog
from nemo_skills.errors import NoUsableInputError
from nemo_skills.files.links import find_links as find_urls


class ScoreRow(BaseModel):
    """One served skill's line in the score table."""

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


def _claims(request: RouteRequest, catalog: Catalog) -> list[Claim]:
    pm = plugins.load_plugins()
    results = pm.hook.route_input(request=request, skills=catalog.by_name())
    claims: list[Claim] = []
    for result in results:
        if result is None:
            continue
        claims.extend([result] if isinstance(result, Claim) else result)
    return [c for c in claims if c.skill in catalog]


def route(
    text: str = "",
    files: Sequence[str | os.PathLike[str]] = (),
    urls: Sequence[str] = (),
    *,
    catalog: Catalog | None = None,
) -> RouteResult:
    """Pick the skill for an input; NoUsableInputError when nothing can be routed."""
    request = RouteRequest.from_input(text, files, urls)
    return route_request(request, catalog=catalog)


# The result, its rows with it, built by one validator call: routing is on every request's path.
_by_score = operator.itemgetter("score")
_route_result: Callable[[dict[str, Any]], RouteResult] = RouteResult.__pydantic_validator__.validate_python


def route_request(request: RouteRequest, *, catalog: Catalog | None = None) -> RouteResult:
    """Pick the skill for an already built request."""
    catalog = catalog if catalog is not None else get_catalog()
    best: dict[str, Claim] = {}
    for claim in _claims(request, catalog):
        if claim.skill not in best or claim.score > best[claim.skill].score:
            best[claim.skill] = claim
    rows: list[dict[str, Any]] = []
    for entry in catalog.entries:
        name = entry.skill.name
        won = best.get(name)
        score, reason = (won.score, won.reason) if won is not None else (0.0, "no claim")
        rows.append({"skill": name, "score": score, "reason": reason, "priority": entry.priority})
    # Entries come by priority, then name; a stable sort on the score keeps that order within a score.
    rows.sort(key=_by_score, reverse=True)
    if not rows:
        raise NoUsableInputError(
            "no skill is served: every skill is disabled or filtered out.",
            action="Enable a skill in the registry (--registry / NEMO_SKILLS_REGISTRY) "
            "or widen NEMO_SKILLS_PLUGINS; `nemo-skills list` shows what is served.",
        )
    if rows[0]["score"] <= 0:
        problems = request.problems
        detail = ("; ".join(problems) + ". ") if problems else ""
        what = (
            "nothing to route"
            if not (request.text.strip() or request.files or request.urls)
            else ("no usable input")
        )
        raise NoUsableInputError(f"{what}: {detail}Accepted: {accepted_inputs_text()}.")
    top = rows[0]
    # Every link has "://": without it and without given URLs, there is no link to look for.
    urls = request.all_urls if request.urls or "://" in request.text else []
    return _route_result(
        {
            "skill": top["skill"],
            "reason": top["reason"],
            "scores": rows,
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
