"""Parameter types the commands share that need nothing but click, so the root group can use them too."""

from __future__ import annotations

import math
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


class Number(click.FloatRange):
    """A `click.FloatRange` of finite numbers: `nan` and `inf` are refused, and a word is "not a number"."""

    name = "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The number, or a usage error (exit 2) for a word, `nan`, `inf` or one out of range."""
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str | None:
        """NUMBER in the help, rather than click's FLOAT RANGE."""
        return "NUMBER"


class WholeNumber(click.IntRange):
    """A `click.IntRange` whose errors and help say "whole number" rather than "integer range"."""

    name = "whole number"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str | None:
        """N in the help, rather than click's INTEGER RANGE."""
        return "N"
