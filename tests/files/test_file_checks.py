"""One local file check: an upload and a job's input refuse a file with the same error and message."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_skills.catalog.registry import get_catalog
from nemo_skills.client.upload import check_upload
from nemo_skills.errors import FileTooLargeError, InputError, NemoSkillsError, UnsupportedFileError
from nemo_skills.files.checks import require_file
from nemo_skills.files.media import InputKind
from nemo_skills.jobs.inputs import check_media

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
PNG_HEAD = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
ACCEPTED = "mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a, aac"


def _file(tmp_path: Path, name: str, head: bytes, size: int) -> Path:
    path = tmp_path / name
    with path.open("wb") as fh:  # sparse: a large file uses no disk
        fh.write(head)
        fh.truncate(size)
    return path


@pytest.mark.parametrize(
    ("name", "head", "size", "error", "text"),
    [
        ("setup.exe", b"MZ" + b"\x00" * 40, 100, UnsupportedFileError, ACCEPTED),
        ("clip.mp4", PNG_HEAD, 100, UnsupportedFileError, "its content is a PNG image"),
        ("big.mp4", MP4_HEAD, 200 * 1024 * 1024 + 1, FileTooLargeError, "over the 200 MB upload limit"),
        ("empty.png", b"", 0, InputError, "empty.png is empty."),
    ],
)
def test_upload_and_job_inputs_refuse_a_file_alike(
    tmp_path: Path, name: str, head: bytes, size: int, error: type[NemoSkillsError], text: str
) -> None:
    path = _file(tmp_path, name, head, size)
    skill = get_catalog().get("nemo-video-gen")
    with pytest.raises(error) as upload:
        check_upload(path, skill)
    with pytest.raises(error) as job:
        check_media(path, skill)
    assert type(upload.value) is type(job.value)
    assert upload.value.user_message() == job.value.user_message()
    assert text in upload.value.user_message()


def test_the_size_error_names_the_skill_and_suggests_compressing_or_trimming(tmp_path: Path) -> None:
    big = _file(tmp_path, "big.mp4", MP4_HEAD, 200 * 1024 * 1024 + 1)
    with pytest.raises(FileTooLargeError) as info:
        check_upload(big, get_catalog().get("video-leonardo"))
    message = info.value.user_message()
    assert message.startswith("big.mp4 is 200.0 MB, over the 200 MB upload limit of video-leonardo.")
    assert "compress" in message.lower() and "trim" in message.lower()
    assert info.value.code == 4002


def test_a_file_just_at_the_limit_passes(tmp_path: Path) -> None:
    exact = _file(tmp_path, "clip.mp4", MP4_HEAD, 1024 * 1024)
    check = require_file(exact, max_bytes=1024 * 1024)
    assert (check.kind, check.size) == (InputKind.VIDEO, 1024 * 1024)
    with pytest.raises(FileTooLargeError, match=r"over the 0\.5 MB upload limit\.$"):
        require_file(exact, max_bytes=512 * 1024)


def test_documents_are_read_by_jobs_but_never_uploaded(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("a storyboard " * 100, encoding="utf-8")
    sora = get_catalog().get("ai-video-maker-sora")
    assert check_media(notes, sora) is InputKind.DOCUMENT
    # A document is read locally, so an upload limit does not apply to it.
    assert require_file(notes, max_bytes=10, documents=True).kind is InputKind.DOCUMENT
    with pytest.raises(UnsupportedFileError, match=r"notes\.txt: unsupported file type \(\.txt\)"):
        check_upload(notes, sora)


@pytest.mark.parametrize("make", ["missing", "folder"])
def test_a_path_that_is_not_a_file_is_an_input_error_not_4001(tmp_path: Path, make: str) -> None:
    path = tmp_path / "clip.mp4"
    if make == "folder":
        path.mkdir()
    with pytest.raises(InputError) as info:
        require_file(path, max_bytes=None)
    assert not isinstance(info.value, UnsupportedFileError)
    assert ("no such file" if make == "missing" else "is not a file") in info.value.user_message()
