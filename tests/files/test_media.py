"""File kinds come from the extension, confirmed by the leading bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_skills.files.media import InputKind, check_file, sniff, upload_format


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpg"),
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"GIF89a", "gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "avi"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "wav"),
        (b"\x00\x00\x00\x20ftypisom", "mp4"),
        (b"\x00\x00\x00\x08wide", "mp4"),
        (b"\x1a\x45\xdf\xa3\x01", "mkv"),
        (b"ID3\x04\x00", "mp3"),
        (b"\xff\xfb\x90\x00", "mp3"),
        (b"\xff\xf1\x50\x80", "aac"),
        (b"%PDF-1.4", "pdf"),
        (b"PK\x03\x04", "zip"),
        ("字幕 hello".encode(), "text"),
        (b"", "empty"),
        (b"MZ\x90\x00\x03\x00", "unknown"),
    ],
)
def test_sniff(head: bytes, fmt: str) -> None:
    assert sniff(head) == fmt


def test_upload_formats_accept_aliases_and_reject_documents() -> None:
    assert upload_format("JPEG") == "jpg"
    assert upload_format(".mp4") == "mp4"
    assert upload_format("pdf") is None
    assert upload_format("exe") is None


def test_check_file_flags_content_that_disagrees_with_the_name(tmp_path: Path) -> None:
    png_named_mp4 = tmp_path / "clip.mp4"
    png_named_mp4.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 10)
    check = check_file(png_named_mp4)
    assert not check.usable
    assert "PNG image" in (check.problem or "")
    good = tmp_path / "Clip.MP4"
    good.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    assert check_file(good).kind is InputKind.VIDEO and check_file(good).usable


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "x.jpg"
    folder.mkdir()
    assert not check_file(folder).usable


def test_an_unreadable_file_is_a_problem_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0")

    def denied(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    # Root reads any file whatever its mode, so the refusal is simulated.
    monkeypatch.setattr(Path, "open", denied)
    check = check_file(photo)
    assert not check.usable
    assert check.problem == "photo.jpg: cannot be read (Permission denied)"
