"""Uploads: local checks before any byte is sent, the streamed multipart body, URLs and progress."""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import pytest

from nemo_skills import protocol
from nemo_skills.catalog.registry import get_catalog
from nemo_skills.client.upload import MultipartFile, check_upload
from nemo_skills.errors import FileTooLargeError, InputError, UnsupportedFileError
from tests.client_fakes import FakeGateway, fail, on

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
PNG_HEAD = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


def _file(tmp_path: Path, name: str, head: bytes, size: int) -> Path:
    path = tmp_path / name
    with path.open("wb") as fh:
        fh.write(head)
        fh.truncate(size)
    return path


@pytest.mark.parametrize(
    ("name", "head", "size", "error", "text"),
    [
        ("notes.exe", b"MZ" + b"\x00" * 40, 100, UnsupportedFileError, "mp4, mov, avi"),
        ("clip.mp4", PNG_HEAD, 100, UnsupportedFileError, "a PNG image"),
        ("big.mp4", MP4_HEAD, 200 * 1024 * 1024 + 1, FileTooLargeError, "compress"),
        ("empty.png", b"", 0, InputError, "empty"),
    ],
)
async def test_local_checks_fail_before_any_byte_is_sent(
    tmp_path: Path, name: str, head: bytes, size: int, error: type[Exception], text: str
) -> None:
    path = _file(tmp_path, name, head, size)
    gw = FakeGateway()
    async with gw.client("nemo-video-gen") as client:
        with pytest.raises(error) as info:
            await client.upload_file(path)
    assert text in info.value.user_message().lower() or text in info.value.user_message()  # type: ignore[attr-defined]
    assert gw.requests == []


def test_the_size_limit_is_the_skills() -> None:
    catalog = get_catalog()
    assert catalog.get("free-generator-editor").max_upload_bytes == 500 * 1024 * 1024
    assert catalog.get("nemo-video-gen").max_upload_bytes == 200 * 1024 * 1024


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        check_upload(tmp_path / "nope.mp4", get_catalog().get("nemo-video-gen"))


async def test_multipart_body_is_well_formed_streamed_and_reports_progress(tmp_path: Path) -> None:
    payload = MP4_HEAD + bytes(range(256)) * 40
    path = tmp_path / 'my "odd"\nname.mp4'
    path.write_bytes(payload)
    progress: list[tuple[int, int]] = []
    gw = FakeGateway()
    async with gw.client() as client:
        result = await client.upload_file(
            path, on_progress=lambda sent, total: progress.append((sent, total))
        )
    request, body = gw.requests[-1], gw.bodies[-1]
    assert request.url.path == protocol.upload_path("sess-1")
    assert int(request.headers["Content-Length"]) == len(body)
    assert "Transfer-Encoding" not in request.headers
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + request.headers["Content-Type"].encode() + b"\r\n\r\n" + body
    )
    parts = list(message.iter_parts())
    assert len(parts) == 1
    assert parts[0].get_param("name", header="content-disposition") == "files"
    assert parts[0].get_filename() == "my _odd__name.mp4"
    assert parts[0].get_content_type() == "video/mp4"
    assert parts[0].get_payload(decode=True) == payload
    # Progress climbs in chunks (1 KiB in these tests) to the file size.
    assert progress[0] == (0, len(payload)) and progress[-1] == (len(payload), len(payload))
    assert len(progress) > 5 and [s for s, _ in progress] == sorted(s for s, _ in progress)
    assert result.files == ["clip.mp4"] and result.items[0].kind == "video"


async def test_file_that_shrinks_while_uploading_is_reported(tmp_path: Path) -> None:
    path = _file(tmp_path, "clip.mp4", MP4_HEAD, 10_000)
    plan = check_upload(path, get_catalog().get("nemo-video-gen"))
    path.write_bytes(MP4_HEAD)
    with pytest.raises(InputError, match="changed while"):
        async for _ in MultipartFile(plan).stream():
            pass


async def test_urls_go_as_json(tmp_path: Path) -> None:
    gw = FakeGateway()
    async with gw.client("generator-by-link") as client:
        result = await client.upload_urls([" https://youtu.be/abc "])
    assert json.loads(gw.bodies[-1]) == {"urls": ["https://youtu.be/abc"], "source_type": "url"}
    assert result.urls == ["https://youtu.be/abc"]


@pytest.mark.parametrize("bad", ["youtu.be/abc", "javascript:alert(1)", "http://", "https://a b.com"])
async def test_bad_urls_are_refused_locally(bad: str) -> None:
    gw = FakeGateway()
    async with gw.client("generator-by-link") as client:
        with pytest.raises(InputError, match="Not a usable link"):
            await client.upload_urls([bad])
    assert gw.requests == []


async def test_upload_to_a_lost_session_moves_to_a_new_one_and_says_so(tmp_path: Path) -> None:
    path = _file(tmp_path, "clip.mp4", MP4_HEAD, 2000)
    gw = FakeGateway(script=[on(protocol.PATH_UPLOAD_PREFIX, fail(1002, "session not found"))])
    async with gw.client() as client:
        await client.connect()
        result = await client.upload_file(path)
        assert client.session_id == "sess-2"
    assert result.session_replaced == "sess-1"
    # The whole file went out twice: the retried body is rebuilt, not a drained stream.
    uploads = [b for r, b in zip(gw.requests, gw.bodies, strict=True) if r.url.path.startswith("/api/upload")]
    assert len(uploads) == 2 and uploads[0].count(MP4_HEAD) == uploads[1].count(MP4_HEAD) == 1
    assert len(uploads[1]) > 2000
