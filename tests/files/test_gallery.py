"""The batch gallery's HTML: relative links only, every text escaped, missing files said plainly."""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

import pytest

from nemo_skills.files.gallery import GalleryItem, credits_text, relative_href, write_gallery


class _Page(HTMLParser):
    """The tags and attributes of a page, and its text, as a browser's parser sees them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def urls(self) -> list[str]:
        return [v for _, attrs in self.tags for k, v in attrs.items() if k in ("src", "href") and v]

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


def _files(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"not really media; the page only links it")


def _item(folder: Path, stem: str, **kw: object) -> GalleryItem:
    values: dict[str, object] = {
        "request": f"a video of {stem}",
        "state": "done",
        "skill": "nemo-video-gen",
        "credits_spent": 10,
        "video": folder / f"{stem}.mp4",
        "sheet": folder / f"{stem}.jpg",
    }
    return GalleryItem.model_validate(values | kw)


def test_the_page_links_each_video_and_sheet_relatively(tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    _files(folder, "one.mp4", "one.jpg", "two.mp4", "two.jpg")
    path = write_gallery(folder, [_item(folder, "one"), _item(folder, "two")], title="My batch")

    assert path == folder / "index.html"
    page = _Page(path.read_text(encoding="utf-8"))
    assert [v["src"] for v in page.all("video")] == ["./one.mp4", "./two.mp4"]
    assert all("controls" in v for v in page.all("video"))
    assert [i["src"] for i in page.all("img")] == ["./one.jpg", "./two.jpg"]
    # Nothing leaves the folder: no scheme, no absolute path, no parent folder.
    for url in page.urls():
        assert url.startswith("./") and ".." not in url and "://" not in url, url
    assert page.all("script") == [] and page.all("link") == []
    assert "My batch" in page.plain and "a video of two" in page.plain
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_paths_relative_to_the_working_folder_link_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _files(tmp_path / "out" / "videos", "a b#1?.mp4")
    monkeypatch.chdir(tmp_path)
    item = _item(Path("out"), "x", video=Path("out/videos/a b#1?.mp4"), sheet=None)
    page = _Page(write_gallery(Path("out"), [item], title="t").read_text(encoding="utf-8"))

    assert [v["src"] for v in page.all("video")] == ["./videos/a%20b%231%3F.mp4"]


def test_a_request_with_markup_is_shown_as_text(tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    _files(folder, "x.mp4", "x.jpg")
    request = 'make <script>alert("hi")</script> a <b>bold</b> & "quoted" video'
    item = _item(folder, "x", request=request, error="<img src=x onerror=alert(1)>", skill="<i>skill</i>")
    html = write_gallery(folder, [item], title="<title> & co").read_text(encoding="utf-8")
    page = _Page(html)

    assert page.all("script") == [] and page.all("b") == [] and page.all("i") == []
    assert [i["src"] for i in page.all("img")] == ["./x.jpg"]
    assert request in page.plain
    assert "<img src=x onerror=alert(1)>" in page.plain
    assert "&lt;script&gt;" in html and "<title>&lt;title&gt; &amp; co</title>" in html
    # No script could run even if one slipped through.
    assert "script-src 'none'" in html


def test_missing_files_are_said_plainly_instead_of_broken_elements(tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    _files(folder, "ok.mp4", "ok.jpg", "nosheet.mp4", "novideo.jpg")
    outside = tmp_path / "elsewhere.mp4"
    outside.write_bytes(b"x")
    items = [
        _item(folder, "ok"),
        _item(folder, "nosheet"),
        _item(folder, "novideo"),
        _item(folder, "failed", state="failed", error="2001: no credits", video=None, sheet=None),
        _item(folder, "far", video=outside, sheet=None),
    ]
    page = _Page(write_gallery(folder, items, title="t").read_text(encoding="utf-8"))

    assert [v["src"] for v in page.all("video")] == ["./ok.mp4", "./nosheet.mp4"]
    assert [i["src"] for i in page.all("img")] == ["./ok.jpg", "./novideo.jpg"]
    text = page.plain
    assert "No contact sheet: nosheet.jpg is missing." in text
    assert "No video: novideo.mp4 is missing." in text
    assert "No video. " in text and "2001: no credits" in text
    assert f"No video: {outside} is outside this folder" in text
    for url in page.urls():
        assert (folder / url).is_file(), url


def test_each_item_shows_its_skill_state_and_credits(tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    items = [
        _item(folder, "a", credits_spent=10),
        _item(folder, "b", credits_spent=2.5, credits_estimated=True, skill="video-leonardo"),
        _item(folder, "c", credits_spent=None, state="failed", skill=None),
    ]
    text = _Page(write_gallery(folder, items, title="t").read_text(encoding="utf-8")).plain

    assert "credits spent: 10 " in text
    assert "video-leonardo credits spent: about 2.5 (estimate)" in text
    assert "failed no skill chosen credits spent: unknown" in text
    assert "3 items · 2 done · 1 failed · credits spent: about 12.5 (estimate), 1 unknown" in text


def test_the_batch_total_is_the_callers_when_given(tmp_path: Path) -> None:
    items = [_item(tmp_path, "a", credits_spent=None), _item(tmp_path, "b", credits_spent=None)]
    text = _Page(write_gallery(tmp_path, items, title="t", total_credits=20).read_text("utf-8")).plain
    assert "2 items · 2 done · credits spent: 20" in text
    text = _Page(write_gallery(tmp_path, items, title="t").read_text("utf-8")).plain
    assert "credits spent: unknown" in text


def test_a_rerun_rewrites_the_page(tmp_path: Path) -> None:
    first = write_gallery(tmp_path, [_item(tmp_path, "a", state="running")], title="t")
    mode = os.stat(first).st_mode
    second = write_gallery(tmp_path, [_item(tmp_path, "a", state="done")], title="t")
    assert first == second and os.stat(second).st_mode == mode
    assert "running" not in second.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("value", "estimated", "text"),
    [(None, False, "unknown"), (10, False, "10"), (10.0, False, "10"), (2.5, True, "about 2.5 (estimate)")],
)
def test_credit_figures(value: float | None, estimated: bool, text: str) -> None:
    assert credits_text(value, estimated=estimated) == text


def test_relative_hrefs_stay_inside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    assert relative_href(folder, folder / "sub" / "v.mp4") == "./sub/v.mp4"
    assert relative_href(folder, folder / "c:d.mp4") == "./c%3Ad.mp4"
    assert relative_href(folder, folder / ".." / "v.mp4") is None
    assert relative_href(folder, tmp_path / "batch2" / "v.mp4") is None
    assert relative_href(folder, folder) is None
