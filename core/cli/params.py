"""Parameter types the commands share that need nothing but click, so the root group can use them too."""

from __future__ import annotations

import os
from typing import Any

import click


class GivenPath(click.Path):
    """A `click.Path` that refuses an empty value.

    click reads `-o ""` as the current folder, so an unset shell variable (`-o "$OUT"`) would
    quietly write a default name here; an empty path is a mistake to report, not a choice.
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The path, or a usage error (exit 2) when the value is empty or only spaces."""
        if isinstance(value, str | bytes | os.PathLike) and not os.fsdecode(value).strip():
            self.fail("the value is empty: name a file or folder.", param, ctx)
        return super().convert(value, param, ctx)
