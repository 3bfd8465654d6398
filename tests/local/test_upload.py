"""Uploads: files streamed to disk and checked (4001/4002 with the skill's limit), links recorded."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from nemo_skills import protocol
from tests.local.helpers import Api


def test_files_are_recorded_with_kind_and_duration(local_backend: Any, sample_media: Path) -> None:
    api = Api.connect(local_backend.base_url)
    r = api.upload(sample_media / "clip.mp4", sample_media / "photo.jpg", sample_media / "music.wav")
    body = r.json()
    assert body["code"] == 0, body
    files = {f["name"]: f for f in body["data"]["files"]}
    assert files["clip.mp4"]["kind"] == "video" and files["clip.mp4"]["duration_ms"] == 2000
    assert files["clip.mp4"]["has_audio"] is True
    assert files["photo.jpg"]["kind"] == "image" and files["photo.jpg"]["width"] == 320
    assert files["music.wav"]["kind"] == "audio"
    infos = api.state()["state"]["video_infos"]
    assert [i["name"] for i in infos] == ["clip.mp4", "photo.jpg", "music.wav"]
    assert all("path" not in i for i in infos)


def test_links_are_recorded_not_fetched(local_backend: Any) -> None:
    api = Api.connect(local_backend.base_url)
    url = "https://www.youtube.com/watch?v=abc"
    r = api.http.post(
        protocol.upload_path(api.session_id), headers=api.headers, json={"urls": [url], "source_type": "url"}
    )
    assert r.json()["data"]["urls"] == [url]
    assert api.state()["state"]["video_infos"][0]["url"] == url
    assert "youtube.com" in api.reply("Generate a video from this link: " + url)


@pytest.mark.parametrize(
    "bad",
    [
        {"urls": []},
        {"urls": ["file:///etc/passwd"]},
        {"urls": "x"},
        {"urls": ["ftp://a/b"]},
        {"urls": ["http://[::1"]},
    ],
)
def test_bad_link_uploads_get_400(local_backend: Any, bad: dict[str, Any]) -> None:
    api = Api.connect(local_backend.base_url)
    r = api.http.post(protocol.upload_path(api.session_id), headers=api.headers, json=bad)
    assert r.status_code == 400 and r.json()["message"]


def test_unsupported_extension_is_4001_with_the_accepted_formats(local_backend: Any, tmp_path: Path) -> None:
    api = Api.connect(local_backend.base_url)
    path = tmp_path / "notes.exe"
    path.write_bytes(b"MZ\x90\x00")
    body = api.upload(path).json()
    assert body["code"] == 4001
    assert ".exe" in body["message"] and "mp4, mov" in body["message"]


def test_mislabelled_file_is_4001_naming_what_it_really_is(local_backend: Any, sample_media: Path) -> None:
    api = Api.connect(local_backend.base_url)
    body = api.upload(sample_media / "photo2.png", names=["photo.jpg"]).json()
    assert body["code"] == 4001
    assert "PNG" in body["message"] and "photo.jpg" in body["message"]
    assert api.state()["state"]["video_infos"] == []


def test_undecodable_media_is_4001(local_backend: Any, tmp_path: Path) -> None:
    api = Api.connect(local_backend.base_url)
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    body = api.upload(path).json()
    assert body["code"] == 4001 and "could not be read" in body["message"]


def test_too_large_is_4002_with_the_skills_limit(
    backend_factory: Any, tmp_path: Path, sample_media: Path
) -> None:
    registry = tmp_path / "registry.yaml"
    registry.write_text("version: 1\nskills:\n  video-leonardo:\n    overrides:\n      max_upload_mb: 1\n")
    backend = backend_factory(registry=str(registry))
    api = Api.connect(backend.base_url, skill="video-leonardo")
    big = tmp_path / "big.mp4"
    big.write_bytes((sample_media / "clip.mp4").read_bytes() + b"\x00" * (1024 * 1024))
    body = api.upload(big).json()
    assert body["code"] == 4002
    assert "1 MB" in body["message"] and "video-leonardo" in body["message"]
    assert not list((backend.data_dir / "uploads" / api.session_id).glob("*"))
    # Another skill keeps its own limit.
    other = Api.connect(backend.base_url, skill="free-generator-editor")
    assert other.upload(big).json()["code"] == 0


def test_path_tricks_in_file_names_stay_inside_the_data_folder(
    local_backend: Any, sample_media: Path
) -> None:
    api = Api.connect(local_backend.base_url)
    body = api.upload(sample_media / "photo.jpg", names=["../../../../tmp/evil.jpg"]).json()
    assert body["code"] == 0
    assert body["data"]["files"][0]["name"] == "evil.jpg"
    stored = list((local_backend.data_dir / "uploads" / api.session_id).iterdir())
    assert len(stored) == 1 and stored[0].name.startswith("media_")


def test_upload_without_files_or_with_a_wrong_content_type_is_400(local_backend: Any) -> None:
    api = Api.connect(local_backend.base_url)
    path = protocol.upload_path(api.session_id)
    r = api.http.post(path, headers=api.headers, files=[("other", ("a.jpg", b"x"))])
    assert r.status_code == 400 and "files" in r.json()["message"]
    r = api.http.post(path, headers={**api.headers, "content-type": "text/plain"}, content=b"hi")
    assert r.status_code == 400


def test_a_rejected_file_keeps_none_of_its_upload(
    local_backend: Any, sample_media: Path, tmp_path: Path
) -> None:
    api = Api.connect(local_backend.base_url)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    body = api.upload(sample_media / "photo.jpg", broken).json()
    assert body["code"] == 4001 and "broken.mp4" in body["message"]
    assert api.state()["state"]["video_infos"] == []
    assert list((local_backend.data_dir / "uploads" / api.session_id).iterdir()) == []


def test_an_upload_cut_off_by_the_client_leaves_no_partial_file(local_backend: Any) -> None:
    api = Api.connect(local_backend.base_url)
    folder = local_backend.data_dir / "uploads" / api.session_id
    head = (
        b'--XyZ\r\nContent-Disposition: form-data; name="files"; filename="a.mp4"\r\n\r\n'
    ) + b"\x00" * 50_000
    request = (
        f"POST {protocol.upload_path(api.session_id)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {api.token}\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
        "Content-Length: 10000000\r\n\r\n"
    ).encode()
    with socket.create_connection((urlparse(local_backend.base_url).hostname, local_backend.port)) as sock:
        sock.sendall(request + head)
        assert _eventually(lambda: any(folder.glob(".upload-*"))), "the upload never started spooling"
    assert _eventually(lambda: not any(folder.glob(".upload-*"))), list(folder.iterdir())


def _eventually(check: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
