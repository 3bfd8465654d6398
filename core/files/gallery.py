"""A batch's gallery: one HTML page showing each item's contact sheet, video, request, outcome and cost.

A batch of 50 videos is 50 files in a folder, and people would rather look than read. The page is
plain HTML and CSS written into the batch's folder: no script, nothing fetched from the network, and
only relative links to files inside that folder, so it opens from disk in any browser and moves with
its folder. Requests are user input, so every text on the page is escaped (jinja2's autoescape), and a
Content-Security-Policy forbids scripts outright.

    write_gallery(folder, [GalleryItem(...), ...], title="...")  ->  folder/index.html
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from pydantic import BaseModel, Field

from nemo_skills.files.atomic import atomic_write_text

if TYPE_CHECKING:
    import jinja2

GALLERY_NAME = "index.html"
UNKNOWN_CREDITS = "unknown"

# States a job ends in (or is in) that get a colour of their own; any other shows in grey.
_STATE_STYLES = {
    "done": "ok",
    "completed": "ok",
    "failed": "bad",
    "error": "bad",
    "skipped": "skip",
    "cancelled": "skip",
    "running": "wait",
    "pending": "wait",
}


class GalleryItem(BaseModel):
    """One item of a batch as its gallery shows it."""

    request: str = Field(description="What the user asked for, shown as text.")
    state: str = Field(description='Where the job is or ended: "done", "failed", "skipped", "running", ...')
    skill: str | None = Field(default=None, description="The skill that ran it, when one was chosen.")
    error: str | None = Field(default=None, description="Why it failed, in the words shown to a user.")
    credits_spent: int | float | None = Field(default=None, description='None shows as "unknown".')
    credits_estimated: bool = Field(default=False, description="The figure is an estimate, not exact.")
    video: Path | None = Field(
        default=None, description="The MP4, which the page links when it is in the folder."
    )
    sheet: Path | None = Field(default=None, description="Its contact sheet (JPEG), likewise.")
    job_id: str | None = None


class _FileView(BaseModel):
    """A file as the page shows it: a relative link, or why there is none."""

    name: str
    href: str | None
    problem: str | None


class _ItemView(BaseModel):
    """One item with what the template needs worked out: its number, colour, credit text and files."""

    number: int
    item: GalleryItem
    style: str
    credits: str
    video: _FileView | None
    sheet: _FileView | None


_TEMPLATE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="script-src 'none'; connect-src 'none'; object-src 'none'">
<title>{{ title }}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 24px; background: #f4f4f6; color: #1d1d22; }
h1 { font-size: 22px; margin: 0 0 4px; }
.summary { color: #55555f; margin: 0 0 20px; }
.items { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 20px; }
.item { background: #fff; border-radius: 8px; padding: 14px 16px; box-shadow: 0 1px 3px #0002; }
.item header { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: baseline; margin-bottom: 6px; }
.number { font-weight: 600; }
.state { padding: 1px 8px; border-radius: 10px; font-size: 13px; background: #e4e4ea; }
.state.ok { background: #d9f2de; color: #175c26; }
.state.bad { background: #fbdcdc; color: #8a1616; }
.state.skip { background: #fff0c9; color: #6b4d00; }
.state.wait { background: #dde8fb; color: #183f80; }
.request { white-space: pre-wrap; overflow-wrap: anywhere; margin: 6px 0 10px; }
.error { white-space: pre-wrap; color: #8a1616; margin: 6px 0; }
.media img, .media video { display: block; width: 100%; height: auto; border-radius: 4px; margin: 8px 0; }
.media video { max-height: 480px; background: #000; }
.missing { color: #6b4d00; background: #fff7e0; padding: 6px 10px; border-radius: 4px; margin: 8px 0; }
.files { font-size: 13px; color: #55555f; }
code { font-size: 13px; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="summary">{{ summary }}</p>
<main class="items">
{% for view in views %}
<article class="item" id="item-{{ view.number }}">
<header>
<span class="number">#{{ view.number }}</span>
<span class="state {{ view.style }}">{{ view.item.state }}</span>
<span class="skill">{{ view.item.skill or "no skill chosen" }}</span>
<span class="credits">credits spent: {{ view.credits }}</span>
</header>
<p class="request">{{ view.item.request }}</p>
{% if view.item.error %}
<p class="error">{{ view.item.error }}</p>
{% endif %}
<div class="media">
{% if view.sheet and view.sheet.href %}
<img src="{{ view.sheet.href }}" alt="Contact sheet of item {{ view.number }}">
{% elif view.sheet %}
<p class="missing">No contact sheet: <code>{{ view.sheet.name }}</code> {{ view.sheet.problem }}.</p>
{% else %}
<p class="missing">No contact sheet.</p>
{% endif %}
{% if view.video and view.video.href %}
<video controls preload="metadata" src="{{ view.video.href }}"></video>
{% elif view.video %}
<p class="missing">No video: <code>{{ view.video.name }}</code> {{ view.video.problem }}.</p>
{% else %}
<p class="missing">No video.</p>
{% endif %}
</div>
<p class="files">
{% if view.video and view.video.href %}<a href="{{ view.video.href }}">{{ view.video.name }}</a>{% endif %}
{% if view.item.job_id %} job <code>{{ view.item.job_id }}</code>{% endif %}
</p>
</article>
{% endfor %}
</main>
</body>
</html>
"""


def write_gallery(
    folder: Path,
    items: Sequence[GalleryItem],
    *,
    title: str,
    total_credits: int | float | None = None,
) -> Path:
    """Write `folder/index.html` (atomically) showing `items`; returns its path.

    `total_credits` is the batch's exact total when the caller knows it; otherwise the page adds up
    the items' figures and says when some are unknown.
    """
    folder = Path(folder)
    views = [
        _ItemView(
            number=number,
            item=item,
            style=_STATE_STYLES.get(item.state.strip().lower(), "other"),
            credits=credits_text(item.credits_spent, estimated=item.credits_estimated),
            video=_file_view(folder, item.video),
            sheet=_file_view(folder, item.sheet),
        )
        for number, item in enumerate(items, start=1)
    ]
    page = _template().render(title=title, summary=_summary(items, total_credits), views=views)
    path = folder / GALLERY_NAME
    atomic_write_text(path, page)
    return path


def credits_text(value: int | float | None, *, estimated: bool = False) -> str:
    """A credit figure as the page shows it: "10", "2.5", "about 10 (estimate)" or "unknown"."""
    if value is None:
        return UNKNOWN_CREDITS
    text = f"{value:g}"
    return f"about {text} (estimate)" if estimated else text


def relative_href(folder: Path, path: Path) -> str | None:
    """A relative URL from `folder/index.html` to `path`, or None when `path` is not inside `folder`.

    Both are ordinary paths (a relative one is taken from the working folder, as everywhere). Each part
    is percent-encoded, and the URL starts with "./" so a name with a colon never reads as a scheme.
    """
    # abspath, not resolve: a symlink in the folder to a file elsewhere still opens from the page.
    base = os.path.abspath(folder)
    target = os.path.abspath(path)
    if os.path.commonpath([base, target]) != base or target == base:
        return None
    parts = Path(os.path.relpath(target, base)).parts
    return "./" + "/".join(quote(part, safe="") for part in parts)


def _file_view(folder: Path, path: Path | None) -> _FileView | None:
    if path is None:
        return None
    href = relative_href(folder, path)
    if href is None:
        return _FileView(name=str(path), href=None, problem="is outside this folder, so it is not linked")
    if not path.is_file():
        return _FileView(name=path.name, href=None, problem="is missing")
    return _FileView(name=path.name, href=href, problem=None)


def _summary(items: Sequence[GalleryItem], total_credits: int | float | None) -> str:
    count = len(items)
    parts = [f"{count} item" + ("" if count == 1 else "s")]
    states: dict[str, int] = {}
    for item in items:
        states[item.state] = states.get(item.state, 0) + 1
    parts += [f"{n} {state}" for state, n in states.items()]
    if total_credits is not None:
        parts.append(f"credits spent: {credits_text(total_credits)}")
    elif count:
        known = [item for item in items if item.credits_spent is not None]
        text = credits_text(
            sum(item.credits_spent or 0 for item in known) if known else None,
            estimated=any(item.credits_estimated for item in known),
        )
        if known and len(known) < count:
            text += f", {count - len(known)} unknown"
        parts.append(f"credits spent: {text}")
    return " · ".join(parts)


def _template() -> jinja2.Template:
    # jinja2 loads at the first gallery, not when the batch runner imports this module.
    import jinja2

    env = jinja2.Environment(
        autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True
    )
    return env.from_string(_TEMPLATE)
