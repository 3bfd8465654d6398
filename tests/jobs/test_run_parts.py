"""The parts of `run` that need no server: output names, batch files, progress rendering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nemo_skills.errors import InputError
from nemo_skills.jobs.backends import Backend, client_options_from_env, resolve_backend
from nemo_skills.jobs.batch import read_batch_file
from nemo_skills.jobs.skill_session import resume_command


def test_batch_file_lines_aliases_and_bad_lines(tmp_path: Path) -> None:
    batch = tmp_path / "jobs.jsonl"
    batch.write_text(
        "\n".join(
            [
                "# my batch",
                json.dumps({"text": "a sunset", "output": "sunset.mp4"}),
                "",
                json.dumps({"prompt": "animate", "file": "photo.jpg"}),
                "{not json",
                json.dumps({"text": "x", "colour": "red"}),
                json.dumps({}),
                json.dumps("just a prompt"),
            ]
        ),
        encoding="utf-8",
    )
    items = read_batch_file(batch)
    assert [i.line for i in items] == [2, 4, 5, 6, 7, 8]
    assert items[0].text == "a sunset" and items[0].output == Path("sunset.mp4")
    assert items[1].files == [tmp_path / "photo.jpg"] and items[1].text == "animate"
    assert items[2].error is not None and "line 5" in items[2].error and "JSON" in items[2].error
    assert items[3].error is not None and "colour" in items[3].error
    assert items[4].error is not None and "no text" in items[4].error
    assert items[5].text == "just a prompt" and items[5].error is None


def test_empty_batch_file_is_bad_input(tmp_path: Path) -> None:
    batch = tmp_path / "empty.jsonl"
    batch.write_text("# nothing\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="no requests"):
        read_batch_file(batch)


def test_backend_spec_and_resume_command(monkeypatch: pytest.MonkeyPatch) -> None:
    cloud = resolve_backend("cloud")
    assert cloud is not None and cloud.base_url == "https://mega-api-prod.nemovideo.ai"
    monkeypatch.setenv("NEMO_API_BASE", "http://127.0.0.1:9/")
    cloud = resolve_backend(None)
    assert cloud is not None and cloud.base_url == "http://127.0.0.1:9" and cloud.label == "cloud"
    assert resolve_backend("local") is None
    with pytest.raises(InputError, match="Not a usable API base URL"):
        resolve_backend("ftp://example.com")
    server = Backend(label="http://127.0.0.1:8000", base_url="http://127.0.0.1:8000")
    command = resume_command(server, "sess_1", "render_2", Path("/tmp/my video.mp4"))
    assert command == (
        "nemo-skills export --backend http://127.0.0.1:8000 --session sess_1 --render render_2 -o '/tmp/my video.mp4'"
    )


def test_a_session_not_yet_open_has_a_repr_without_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from nemo_skills.catalog.registry import get_catalog
    from nemo_skills.jobs.skill_session import SkillSession

    monkeypatch.setenv("NEMO_TOKEN", "tok-SECRET-9")
    server = Backend(label="http://127.0.0.1:9", base_url="http://127.0.0.1:9")
    session = SkillSession(get_catalog().get("nemo-video-gen"), server)
    shown = repr(session)
    assert "session=None" in shown and "SECRET" not in shown


def test_client_options_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEMO_SKILLS_CLIENT_OPTIONS", '{"poll_initial": 0.01, "rate_limit_wait": 0}')
    options = client_options_from_env()
    assert options.poll_initial == 0.01 and options.rate_limit_wait == 0
    monkeypatch.setenv("NEMO_SKILLS_CLIENT_OPTIONS", '{"poll_initial": -1}')
    with pytest.raises(InputError, match="NEMO_SKILLS_CLIENT_OPTIONS"):
        client_options_from_env()
