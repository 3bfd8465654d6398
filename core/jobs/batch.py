"""Batch requests: one JSON object per line, each its own request, render and output file.

A line looks like

    {"text": "a sunset over a city", "files": ["photo.jpg"], "urls": [], "output": "sunset.mp4"}

`text` may be spelled `prompt`; `file`/`url` take a single value. Relative file
paths are relative to the batch file's folder. Blank lines and lines starting
with `#` are skipped. A bad line becomes a `BatchItem` with an `error`, so the
other lines still run and the summary names it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nemo_skills.errors import InputError
from nemo_skills.files.edge import MAX_BATCH_LINES, mask_credentials, relative_name


class BatchLine(BaseModel):
    """The fields one batch line may carry."""

    model_config = ConfigDict(extra="forbid")

    text: str = ""
    files: list[str] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list)
    output: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"text": data}
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for alias, name in (("prompt", "text"), ("file", "files"), ("url", "urls"), ("o", "output")):
            if alias in data:
                if name in data:
                    raise ValueError(f"give either {alias!r} or {name!r}, not both")
                value = data.pop(alias)
                data[name] = [value] if name in ("files", "urls") and isinstance(value, str) else value
        return data


class BatchItem(BaseModel):
    """One request of a batch, or the reason its line could not be used."""

    line: int = Field(description="1-based line number in the batch file (0 when not from a file).")
    text: str = ""
    files: list[Path] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list)
    output: Path | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        """How the summary names this item (credentials in its links masked)."""
        return mask_credentials(self._label())

    def _label(self) -> str:
        if self.text.strip():
            words = self.text.strip().split()
            short = " ".join(words[:8])
            return short + (" ..." if len(words) > 8 else "")
        if self.files:
            return ", ".join(f.name for f in self.files)
        if self.urls:
            return " ".join(self.urls)
        return f"line {self.line}"


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else str(err["msg"])


def parse_batch_line(raw: str, line: int, base: Path) -> BatchItem:
    """One line of a batch file as an item; a bad line yields an item with `error` set."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return BatchItem(line=line, error=f"line {line}: not valid JSON ({exc.msg} at column {exc.colno})")
    try:
        parsed = BatchLine.model_validate(data)
    except ValidationError as exc:
        return BatchItem(line=line, error=f"line {line}: {_first_error(exc)}")
    if not (parsed.text.strip() or parsed.files or parsed.urls):
        return BatchItem(line=line, error=f"line {line}: no text, files or urls")
    if parsed.output is not None:
        try:
            relative_name(parsed.output, "output")
        except InputError as exc:
            return BatchItem(line=line, error=f"line {line}: {exc.message}")
    files = [p if p.is_absolute() else base / p for p in (Path(f).expanduser() for f in parsed.files)]
    return BatchItem(
        line=line,
        text=parsed.text,
        files=files,
        urls=parsed.urls,
        output=Path(parsed.output) if parsed.output else None,
    )


def read_batch_file(path: Path) -> list[BatchItem]:
    """Every request in a JSONL batch file, bad lines included as items with an error."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read batch file {path}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"batch file {path} is not UTF-8 text") from exc
    items: list[BatchItem] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        items.append(parse_batch_line(stripped, number, path.parent))
        if len(items) > MAX_BATCH_LINES:
            raise InputError(f"batch file {path} has more than {MAX_BATCH_LINES} requests; split it.")
    if not items:
        raise InputError(f"batch file {path} holds no requests (one JSON object per line).")
    return items
