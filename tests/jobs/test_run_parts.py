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
    with pytest.raises(InputError, match="Not a usable --backend URL"):
        resolve_backend("ftp://example.com")
    with pytest.raises(InputError, match="port 65536 is not a number from 1 to 65535"):
        resolve_backend("http://127.0.0.1:65536")
    with pytest.raises(InputError, match="the backend is empty"):
        resolve_backend("")  # not the cloud: an unset shell variable, most likely
    server = Backend(label="http://127.0.0.1:8000", base_url="http://127.0.0.1:8000")
    command = resume_command(server, "sess_1", "render_2", Path("/tmp/my video.mp4"))
    assert command == (
        "nemo-skills export --backend http://127.0.0.1:8000 --session sess_1 --render render_2 -o '/tmp/my video.mp4'"
    )
    # A command that is shown never holds a URL's password; the user puts it back.
    guarded = Backend(label="http://me:pa55@127.0.0.1:8000", base_url="http://me:pa55@127.0.0.1:8000")
    assert "--backend 'http://***@127.0.0.1:8000'" in resume_command(guarded, "sess_1", "render_2", None)


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
    with pytest.raises(InputError) as caught:
        client_options_from_env()
    assert caught.value.message == (
        "NEMO_SKILLS_CLIENT_OPTIONS: poll_initial = -1 is not allowed; poll_initial takes a number of 0 or more."
    )
    monkeypatch.setenv("NEMO_SKILLS_CLIENT_OPTIONS", '{"render_id_retries": "3x"}')
    with pytest.raises(
        InputError, match=r'render_id_retries = "3x" is not allowed; .* a whole number of 0 or more'
    ):
        client_options_from_env()
    monkeypatch.setenv("NEMO_SKILLS_CLIENT_OPTIONS", '{"read_timout": 5}')
    with pytest.raises(InputError, match=r"names no option 'read_timout' \(did you mean read_timeout\?\)"):
        client_options_from_env()


def test_what_the_backend_says_is_shown_without_a_urls_password() -> None:
    from nemo_skills.client.models import Reply, SessionState
    from nemo_skills.draft import Draft, Segment, Track
    from nemo_skills.jobs.progress_events import Notice, ReplyText
    from nemo_skills.jobs.results import RunResult

    link = "https://me:pa55@example.com/clip.mp4"
    reply = Reply(text=f"Added {link}", changes=[f"added {link}"], timeline=link, error=f"no {link}")
    assert "pa55" not in reply.model_dump_json() and "https://***@example.com/clip.mp4" in reply.text
    # The draft goes back to the backend as it came (an export renders it); its summary is what is shown.
    draft = Draft(tracks=[Track(segments=[Segment(duration=1000, meta={"src": link})])])
    state = SessionState(draft=draft)
    assert "pa55" not in state.timeline and state.draft.tracks[0].segments[0].meta["src"] == link
    event = ReplyText(text=f"from me:pa55@example.com, {link}")
    assert "pa55" not in event.model_dump_json()
    assert "pa55" not in Notice(message=link).message
    result = RunResult(
        skill="s", session_id="x", backend="http://u:pa55@h:1", text=link, timeline=link, reason=link
    )
    assert "pa55" not in result.model_dump_json()
