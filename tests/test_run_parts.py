"""The parts of `run` that need no server: output names, batch files, progress rendering."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from nemo_skills.cli.display import JsonReporter, RichReporter, SilentReporter
from nemo_skills.errors import InputError
from nemo_skills.files.naming import OutputExistsError, resolve_output, slugify
from nemo_skills.jobs.backends import Backend, client_options_from_env, resolve_backend
from nemo_skills.jobs.batch import read_batch_file
from nemo_skills.jobs.progress_events import Notice, RenderUpdate, ReplyText, Stage, Transfer
from nemo_skills.jobs.skill_session import resume_command


def test_slug_is_ascii_lowercase_hyphenated_and_short() -> None:
    assert slugify("a 5-second sunset over a city skyline") == "a-5-second-sunset-over-a-city-skyline"
    assert slugify("Café Déjà Vu: ÉTÉ!") == "cafe-deja-vu-ete"
    long = slugify("word " * 40)
    assert len(long) <= 60 and not long.endswith("-")
    assert slugify("城市的黄昏") == "video"
    assert slugify("../../etc/passwd") == "etc-passwd"
    assert slugify("CON") == "con-video"


def test_output_defaults_to_a_name_from_the_prompt_in_cwd(tmp_path: Path) -> None:
    out = resolve_output(None, "A sunset, please!", cwd=tmp_path)
    assert out == tmp_path / "a-sunset-please.mp4"
    assert resolve_output(Path("clip"), "x", cwd=tmp_path) == tmp_path / "clip.mp4"
    folder = tmp_path / "videos"
    folder.mkdir()
    assert resolve_output(folder, "city lights", cwd=tmp_path) == folder / "city-lights.mp4"


def test_existing_output_is_never_overwritten_without_force(tmp_path: Path) -> None:
    existing = tmp_path / "sunset.mp4"
    existing.write_bytes(b"old")
    with pytest.raises(OutputExistsError) as info:
        resolve_output(Path("sunset.mp4"), "x", cwd=tmp_path)
    assert "--force" in info.value.user_message() and "-o" in info.value.user_message()
    with pytest.raises(OutputExistsError):
        resolve_output(None, "sunset", cwd=tmp_path)
    assert resolve_output(Path("sunset.mp4"), "x", cwd=tmp_path, force=True) == existing
    with pytest.raises(InputError, match="does not exist"):
        resolve_output(Path("missing/dir/out.mp4"), "x", cwd=tmp_path)


def test_an_unwritable_output_folder_is_refused_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    # Tests may run as root, for whom every folder is writable: make this one read-only in effect.
    monkeypatch.setattr(
        "nemo_skills.files.naming.os.access", lambda p, mode: Path(p) != locked and real_access(p, mode)
    )
    with pytest.raises(InputError, match="not writable"):
        resolve_output(Path("locked/out.mp4"), "x", cwd=tmp_path)
    assert resolve_output(Path("out.mp4"), "x", cwd=tmp_path) == tmp_path / "out.mp4"


def test_batch_siblings_get_distinct_automatic_names(tmp_path: Path) -> None:
    taken: set[Path] = set()
    first = resolve_output(None, "same prompt", cwd=tmp_path, taken=taken)
    taken.add(first)
    second = resolve_output(None, "same prompt", cwd=tmp_path, taken=taken)
    assert first.name == "same-prompt.mp4" and second.name == "same-prompt-2.mp4"
    with pytest.raises(InputError, match="two requests"):
        resolve_output(Path("same-prompt.mp4"), "x", cwd=tmp_path, taken=taken)


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


def test_json_progress_is_one_object_per_line() -> None:
    out = io.StringIO()
    reporter = JsonReporter(out)
    reporter(Stage(stage="connect", message="Connecting"))
    reporter(Transfer(kind="upload", name="a.jpg", done=10, total=10))
    reporter(RenderUpdate(render_id="render_1", status="processing", progress=0.5))
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["kind"] for line in lines] == ["stage", "upload", "render"]
    assert lines[2]["progress"] == 0.5


def test_silent_progress_shows_only_warnings() -> None:
    out = io.StringIO()
    reporter = SilentReporter(out)
    reporter(Stage(stage="connect"))
    reporter(Notice(message="routed"))
    reporter(Notice(level="warning", message="the previous timeline is gone"))
    assert out.getvalue() == "warning: the previous timeline is gone\n"


def test_rich_progress_draws_bars_and_honours_no_color() -> None:
    out = io.StringIO()
    with RichReporter(no_color=True, file=out) as reporter:
        reporter(Stage(stage="route", message="video-leonardo: 1 image(s) to animate [x]"))
        reporter(Stage(stage="connect", message="Connecting"))
        reporter(Transfer(kind="upload", name="photo.jpg", done=512, total=1024))
        reporter(ReplyText(text="Adding a ", partial=True))
        reporter(RenderUpdate(render_id="render_1", status="processing", progress=0.4))
        reporter(Notice(level="warning", message="session [old] was lost"))
    text = out.getvalue()
    assert "video-leonardo: 1 image(s) to animate [x]" in text
    assert "session [old] was lost" in text
    assert "\x1b[3" not in text  # no colour codes
