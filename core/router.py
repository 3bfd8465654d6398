"""The input router: which skill suits a request, with a score table and a reason.

Deterministic and offline. The built-in policy is itself a plugin
(`nemo_skills.skills.default_routing`); any plugin's `route_input` hook can
out-score it for the inputs it knows better.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, Field

from nemo_skills import plugins, protocol
from nemo_skills.errors import InputError, NoUsableInputError
from nemo_skills.media import FileCheck, InputKind, check_file
from nemo_skills.registry import Catalog, get_catalog

_URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def find_urls(text: str) -> list[str]:
    """http(s) URLs in free text, without trailing punctuation."""
    return [m.group(0).rstrip(".,;:!?)]}") for m in _URL_RE.finditer(text)]


class RouteRequest(BaseModel):
    """A user's input as the router sees it: text, checked local files, URLs."""

    text: str = ""
    files: list[FileCheck] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list, description="URLs given apart from the text.")

    @classmethod
    def from_input(
        cls, text: str = "", files: Iterable[str | os.PathLike[str]] = (), urls: Iterable[str] = ()
    ) -> RouteRequest:
        """Build a request, checking each file by extension and leading bytes and each URL's form."""
        given = [u.strip() for u in urls]
        for url in given:
            if not _URL_RE.fullmatch(url):
                raise InputError(f"Not a usable link: {url!r} (expected an http:// or https:// URL).")
        return cls(text=text or "", files=[check_file(f) for f in files], urls=given)

    @property
    def all_urls(self) -> list[str]:
        """URLs given apart and URLs found in the text, de-duplicated in order."""
        return list(dict.fromkeys([*self.urls, *find_urls(self.text)]))

    def kinds(self) -> list[InputKind]:
        """Kinds of the usable files, in order."""
        return [f.kind for f in self.files if f.usable and f.kind is not None]

    def count(self, kind: InputKind) -> int:
        """How many usable files are of a kind."""
        return sum(1 for k in self.kinds() if k is kind)

    @property
    def problems(self) -> list[str]:
        """Why each unusable file cannot be used."""
        return [f.problem or f"{f.path}: unsupported file type" for f in self.files if not f.usable]


class Claim(BaseModel):
    """A plugin's bid for an input: a skill, a score (higher wins) and why."""

    skill: str
    score: float
    reason: str


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


def route_request(request: RouteRequest, *, catalog: Catalog | None = None) -> RouteResult:
    """Pick the skill for an already built request."""
    catalog = catalog if catalog is not None else get_catalog()
    best: dict[str, Claim] = {}
    for claim in _claims(request, catalog):
        if claim.skill not in best or claim.score > best[claim.skill].score:
            best[claim.skill] = claim
    rows = [
        ScoreRow(
            skill=s.name,
            score=best[s.name].score if s.name in best else 0.0,
            reason=best[s.name].reason if s.name in best else "no claim",
            priority=catalog.priority(s.name),
        )
        for s in catalog.skills()
    ]
    rows.sort(key=lambda r: (-r.score, r.priority, r.skill))
    if not rows or rows[0].score <= 0:
        problems = request.problems
        detail = ("; ".join(problems) + ". ") if problems else ""
        what = (
            "nothing to route"
            if not (request.text.strip() or request.files or request.urls)
            else ("no usable input")
        )
        raise NoUsableInputError(f"{what}: {detail}Accepted: {accepted_inputs_text()}.")
    top = rows[0]
    return RouteResult(
        skill=top.skill, reason=top.reason, scores=rows, urls=request.all_urls, warnings=request.problems
    )
