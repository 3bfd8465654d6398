"""The values the `route_input` hook exchanges: a user's input (RouteRequest) and a plugin's bid (Claim).

They live apart from the router that calls the hook, so the hook specifications import no caller.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from pydantic import BaseModel, Field

from nemo_skills.files.links import check_link, find_links
from nemo_skills.files.media import FileCheck, InputKind, check_file

__all__ = ["Claim", "RouteRequest", "find_links"]


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
        given = [check_link(u) for u in urls]
        return cls(text=text or "", files=[check_file(f) for f in files], urls=given)

    @property
    def all_urls(self) -> list[str]:
        """URLs given apart and URLs found in the text, de-duplicated in order."""
        return list(dict.fromkeys([*self.urls, *find_links(self.text)]))

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
