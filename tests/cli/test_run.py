"""`nemo-skills run`, `chat`, `state`, `export`, `credits`: the seeds' workflows from a terminal.

Every test runs the CLI as a subprocess against a local backend over loopback
HTTP: either one started by the test (`--backend <url>`) or the one the CLI
starts itself (`--backend local`).
"""

from __future__ import annotations

import json
import shlex
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nemo_skills import protocol
from nemo_skills.local import Faults
from nemo_skills.local.renderer.probe import probe
from tests.clirun import FAST_CLIENT, nemo, only_json, start

SMALL = {"resolution": 144, "fps": 10}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One small, fault-free backend for the workflow tests of this module."""
    from nemo_skills.local import LocalBackend

    with LocalBackend(data_dir=tmp_path_factory.mktemp("backend"), **SMALL) as backend:
        yield backend


def assert_video(path: Path) -> None:
    info = probe(path)
    assert info.has_video and info.duration > 0.5 and info.video_codec == "h264"


# --- quick edit ---------------------------------------------------------------------------------


def test_quick_edit_with_an_image_json_output(tmp_path: Path, server: Any, sample_media: Path) -> None:
    done = nemo(
        "run", "video-leonardo", "turn this image into a 5-second animated video clip",
        "--file", sample_media / "photo.jpg", "--backend", server.base_url, "-o", "leo.mp4", "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = only_json(done.stdout)
    for key in ("skill", "session_id", "text", "timeline", "output", "render_id"):
        assert key in result
    assert result["skill"] == "video-leonardo"
    assert result["output"] == str(tmp_path / "leo.mp4")
    assert result["render_id"].startswith("render_")
    assert result["uploaded"] == ["photo.jpg"]
    assert result["timeline"].startswith("Timeline (")
    assert_video(tmp_path / "leo.mp4")


def test_quick_edit_with_clips_and_music(tmp_path: Path, server: Any, sample_media: Path) -> None:
    done = nemo(
        "run", "auto", "generate a video from my clips and edit it with transitions and music",
        "--file", sample_media / "clip.mp4", "--file", sample_media / "clip2.mp4",
        "--file", sample_media / "music.mp3", "--backend", server.base_url,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Skill: free-generator-editor (auto:" in done.stdout
    out = tmp_path / "generate-a-video-from-my-clips-and-edit-it-with-transitions.mp4"
    assert f"Saved: {out}" in done.stdout
    info = probe(out)
    assert info.has_audio and info.duration > 1


def test_a_document_becomes_the_prompt_of_sora(tmp_path: Path, server: Any) -> None:
    script = tmp_path / "story.txt"
    script.write_text("A lighthouse on a cliff at night, waves crashing below.\n", encoding="utf-8")
    done = nemo("run", "auto", "--file", script, "--backend", server.base_url, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = only_json(done.stdout)
    assert result["skill"] == "ai-video-maker-sora"
    assert result["routed"] is True and "document" in result["reason"]
    assert result["timeline"].startswith("Timeline (1 track)")
    assert result["output"] == str(tmp_path / "story.mp4")
    assert_video(tmp_path / "story.mp4")


def test_other_skills_reject_a_document_and_point_to_sora(tmp_path: Path) -> None:
    script = tmp_path / "story.txt"
    script.write_text("A lighthouse.", encoding="utf-8")
    # Rejected before connecting: the backend URL is never called.
    done = nemo("run", "video-leonardo", "--file", script, "--backend", "http://127.0.0.1:9", cwd=tmp_path)
    assert done.returncode == 2
    assert "ai-video-maker-sora" in done.stderr
    assert "Traceback" not in done.stderr


# --- batch style --------------------------------------------------------------------------------


def test_batch_file_runs_each_line_with_its_own_render_and_survives_a_bad_line(
    tmp_path: Path, server: Any, sample_media: Path
) -> None:
    batch = tmp_path / "jobs.jsonl"
    lines = [
        json.dumps({"text": "a 2-second clip of falling snow", "output": "snow.mp4"}),
        "{this line is broken",
        json.dumps({"text": "animate this photo", "files": [str(sample_media / "photo.jpg")]}),
    ]
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outdir = tmp_path / "videos"
    done = nemo(
        "run", "nemo-video-gen", "--batch", batch, "-o", outdir, "--backend", server.base_url, cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr  # the bad line's code; the others still ran
    assert "Batch: 3 request(s), 2 done, 1 failed" in done.stdout
    assert "line 2: not valid JSON" in done.stdout
    assert "the first, [2] line 2: not valid JSON" in done.stderr and "line 2: line 2" not in done.stderr
    assert_video(outdir / "snow.mp4")
    assert_video(outdir / "animate-this-photo.mp4")
    sessions = {line.split()[-1] for line in done.stdout.splitlines() if line.startswith("Session:")}
    assert len(sessions) == 2  # each line is its own job in its own session


def test_a_batch_refused_as_a_whole_leaves_no_output_folder(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("\n# nothing here\n", encoding="utf-8")
    done = nemo("run", "nemo-video-gen", "--batch", "empty.jsonl", "-o", "videos", cwd=tmp_path)
    assert done.returncode == 2 and "holds no requests" in done.stderr
    assert not (tmp_path / "videos").exists()


def test_each_file_is_its_own_job_whose_video_holds_only_that_file(
    tmp_path: Path, server: Any, sample_media: Path
) -> None:
    files = [sample_media / "photo.jpg", sample_media / "photo2.png", sample_media / "photo.jpg"]
    done = nemo(
        "run", "video-leonardo", "animate it", *[a for f in files for a in ("--file", f)],
        "--each", "--concurrency", "3", "--backend", server.base_url, "--json", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = only_json(done.stdout)
    assert result["succeeded"] == 3 and result["failed"] == 0
    items = result["items"]
    assert [Path(i["output"]).name for i in items] == [
        "animate-it.mp4",
        "animate-it-2.mp4",
        "animate-it-3.mp4",
    ]
    assert len({i["render_id"] for i in items}) == 3
    assert len({i["session_id"] for i in items}) == 3
    assert len({i["job_id"] for i in items}) == 3
    # Not cumulative: every video is as long as one image's clip, not 1x, 2x, 3x.
    durations = {probe(i["output"]).duration_ms for i in items}
    assert max(durations) - min(durations) < 200, durations


# --- iterative ----------------------------------------------------------------------------------


def test_iterative_rough_cut_refine_then_export_across_invocations(tmp_path: Path) -> None:
    # --backend local: each command starts the backend anew; the session survives in the data folder.
    first = nemo(
        "run",
        "nemo-video-gen",
        "a rough cut of a beach day",
        "--backend",
        "local",
        "--no-export",
        cwd=tmp_path,
    )
    assert first.returncode == 0, first.stderr
    assert "Not exported." in first.stdout
    assert list(tmp_path.glob("*.mp4")) == []
    sid = next(line.split()[-1] for line in first.stdout.splitlines() if line.startswith("Session:"))

    second = nemo(
        "run", "--continue", 'add a title: "Urban Dreams"', "--backend", "local", "--no-export", "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    refined = only_json(second.stdout)
    assert refined["session_id"] == sid and refined["skill"] == "nemo-video-gen"
    assert 'Title: "Urban Dreams"' in refined["timeline"]
    assert refined["output"] is None

    state = nemo("state", "--backend", "local", cwd=tmp_path)
    assert state.returncode == 0, state.stderr
    assert 'Title: "Urban Dreams"' in state.stdout

    final = nemo("export", "--continue", "--backend", "local", "--json", cwd=tmp_path)
    assert final.returncode == 0, final.stderr
    exported = only_json(final.stdout)
    assert exported["session_id"] == sid
    assert exported["output"] == str(tmp_path / "a-rough-cut-of-a-beach-day.mp4")
    assert_video(tmp_path / "a-rough-cut-of-a-beach-day.mp4")


def test_a_cloud_nemo_token_does_not_break_the_local_backend(tmp_path: Path) -> None:
    # The in-process backend cannot know the cloud's tokens; it gets an anonymous one of its own.
    done = nemo(
        "run", "nemo-video-gen", "a quiet harbour", "--backend", "local", "--no-export", "--json",
        cwd=tmp_path, NEMO_TOKEN="cloud-token-SECRET-42",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert only_json(done.stdout)["timeline"].startswith("Timeline (1 track)")
    assert "SECRET" not in done.stdout + done.stderr


def test_chat_from_piped_stdin_and_continued_later(tmp_path: Path, server: Any, sample_media: Path) -> None:
    lines = [
        "make a 3-second clip of rain on a window",
        f"upload {sample_media / 'music.mp3'}",
        "add lo-fi background music at 35%",
        "status",
        "credits",
        "export rain.mp4",
        "quit",
    ]
    done = nemo(
        "chat", "nemo-video-gen", "--backend", server.base_url, cwd=tmp_path, stdin="\n".join(lines) + "\n"
    )
    assert done.returncode == 0, done.stderr
    assert "Uploaded music.mp3" in done.stdout
    assert "BGM:" in done.stdout and "35%" in done.stdout
    assert "Credits:" in done.stdout and "available" in done.stdout
    assert f"Saved: {tmp_path / 'rain.mp4'}" in done.stdout
    assert "Continue with: nemo-skills chat nemo-video-gen --session" in done.stderr
    assert_video(tmp_path / "rain.mp4")

    later = nemo(
        "chat", "nemo-video-gen", "--continue", "--backend", server.base_url, cwd=tmp_path, stdin="状态\n"
    )
    assert later.returncode == 0, later.stderr
    assert "BGM:" in later.stdout


# --- what the seeds say about errors ------------------------------------------------------------


def test_2001_no_credits_shows_the_registration_link(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = backend_factory(starting_credits=0, **SMALL)
    done = nemo("run", "nemo-video-gen", "a sunset", "--backend", backend.base_url, cwd=tmp_path)
    assert done.returncode == 4, done.stderr
    assert "https://nemovideo.ai/register?bind=" in done.stderr
    assert "Traceback" not in done.stderr


def test_4001_unsupported_file_lists_the_formats(tmp_path: Path) -> None:
    odd = tmp_path / "clip.flv"
    odd.write_bytes(b"FLV\x01" + b"\x00" * 64)
    done = nemo(
        "run", "free-generator-editor", "edit", "--file", odd, "--backend", "http://127.0.0.1:9", cwd=tmp_path
    )
    assert done.returncode == 2
    assert "mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a, aac" in done.stderr


def test_4002_file_too_large_suggests_compressing_or_trimming(tmp_path: Path) -> None:
    big = tmp_path / "huge.mp4"
    with big.open("wb") as fh:  # sparse: no disk is used
        fh.write(b"\x00\x00\x00\x18ftypmp42")
        fh.truncate(200 * 1024 * 1024 + 1)
    done = nemo(
        "run",
        "video-leonardo",
        "animate",
        "--file",
        big,
        "--backend",
        "http://127.0.0.1:9",
        "--json",
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "compress" in done.stderr.lower() and "trim" in done.stderr.lower()
    error = only_json(done.stdout)["error"]
    assert error["type"] == "FileTooLargeError" and error["exit_code"] == 2


def test_402_plan_tier_says_register_or_upgrade(tmp_path: Path, backend_factory: Callable[..., Any]) -> None:
    backend = backend_factory(plan_blocks_export=True, **SMALL)
    done = nemo("run", "nemo-video-gen", "a sunset", "--backend", backend.base_url, cwd=tmp_path)
    assert done.returncode == 5, done.stderr
    assert "Register or upgrade your plan to unlock export" in done.stderr
    assert list(tmp_path.glob("*.mp4")) == []


def test_429s_slow_the_run_down_and_one_asking_too_long_a_wait_is_reported(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    # The credits call: the anonymous-token endpoint keeps the seeds' rule (one wait, then reported).
    credits = (protocol.PATH_CREDITS,)
    limited = backend_factory(
        faults=Faults(rate_limit=2, rate_limit_retry_after=0, rate_limit_paths=credits), **SMALL
    )
    ok = nemo("credits", "--backend", limited.base_url, "--json", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert only_json(ok.stdout)["available"] > 0
    # Asked to wait longer than a request may (rate_limit_max_wait, 120 s by default): reported at once.
    closed = backend_factory(
        faults=Faults(rate_limit=2, rate_limit_retry_after=3600, rate_limit_paths=credits), **SMALL
    )
    refused = nemo("credits", "--backend", closed.base_url, cwd=tmp_path)
    assert refused.returncode == 6
    assert "rate limiting requests (HTTP 429): it asked to wait 3600 s" in refused.stderr
    assert refused.stderr.count("Error:") == 1


def test_1001_expired_token_is_replaced_and_the_run_succeeds(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = backend_factory(faults=Faults(expire_token_after=2, empty_reply_share=0.0), **SMALL)
    done = nemo("run", "nemo-video-gen", "a 2-second sunrise", "--backend", backend.base_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert_video(tmp_path / "a-2-second-sunrise.mp4")


def test_1002_lost_session_starts_a_new_one_and_says_so(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = backend_factory(**SMALL)
    first = nemo(
        "run",
        "nemo-video-gen",
        "a forest",
        "--backend",
        backend.base_url,
        "--no-export",
        "--json",
        cwd=tmp_path,
    )
    assert first.returncode == 0, first.stderr
    old = only_json(first.stdout)["session_id"]
    assert backend.lose_session(old)
    again = nemo(
        "run",
        "--continue",
        "a desert at noon",
        "--backend",
        backend.base_url,
        "--no-export",
        "--json",
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stderr
    result = only_json(again.stdout)
    assert result["session_replaced"] == old and result["session_id"] != old
    assert "the previous timeline is gone" in again.stderr


def _available(backend: Any, cwd: Path) -> float:
    done = nemo("credits", "--backend", backend.base_url, "--json", cwd=cwd)
    assert done.returncode == 0, done.stderr
    return float(only_json(done.stdout)["available"])


def test_a_stream_dropped_after_the_edit_landed_is_a_success_without_a_resend(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    # Slow heartbeats: the stream's 4th frame comes only after the edit is applied, and the drop is there.
    faults = Faults(drop_stream_after=3, empty_reply_share=0.0)
    backend = backend_factory(faults=faults, heartbeat_interval=30, **SMALL)
    before = _available(backend, tmp_path)
    done = nemo(
        "run", "nemo-video-gen", "a 5-second sunset", "--backend", backend.base_url, "-o", "out.mp4",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "broke off" in done.stdout and "shows the request was applied" in done.stdout
    assert "send the request again" not in done.stdout + done.stderr
    assert_video(tmp_path / "out.mp4")
    state = nemo("state", "--backend", backend.base_url, "--json", cwd=tmp_path)
    assert only_json(state.stdout)["timeline"] == "Timeline (1 track): 1. Video: sunset (0-5s)"
    assert backend.chat_requests == 1
    spent = before - _available(backend, tmp_path)
    assert spent > 0
    # The same request on a backend without faults costs the same: charged once, not twice.
    clean = backend_factory(**SMALL)
    reference = nemo(
        "run", "nemo-video-gen", "a 5-second sunset", "--backend", clean.base_url, "--no-export",
        cwd=tmp_path,
    )  # fmt: skip
    assert reference.returncode == 0, reference.stderr
    assert _available(clean, tmp_path) == before - spent


def test_a_reply_that_failed_before_the_edit_says_not_applied_and_sends_nothing_again(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = backend_factory(faults=Faults(stream_error_times=1, empty_reply_share=0.0), **SMALL)
    before = _available(backend, tmp_path)
    done = nemo(
        "run", "nemo-video-gen", "a 5-second sunset", "--backend", backend.base_url, "-o", "out.mp4",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 7, done.stderr
    assert "not applied" in done.stderr and "send the request again" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out.mp4").exists()
    assert backend.chat_requests == 1
    state = nemo("state", "--backend", backend.base_url, "--json", cwd=tmp_path)
    assert only_json(state.stdout)["timeline"] == "Timeline (0 tracks): empty"
    assert _available(backend, tmp_path) == before


def test_failed_render_exits_8(tmp_path: Path, backend_factory: Callable[..., Any]) -> None:
    backend = backend_factory(faults=Faults(render_fail=1, empty_reply_share=0.0), **SMALL)
    done = nemo("run", "nemo-video-gen", "a sunset", "--backend", backend.base_url, cwd=tmp_path)
    assert done.returncode == 8, done.stderr
    assert "failed" in done.stderr
    assert list(tmp_path.glob("*.mp4")) == []


def test_deadline_stops_waiting_and_prints_the_command_that_follows_the_job(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = backend_factory(faults=Faults(render_delay=1.5, empty_reply_share=0.0), **SMALL)
    done = nemo(
        "run", "nemo-video-gen", "a slow sunset", "--backend", backend.base_url, "--deadline", "0.2", "-o", "slow.mp4",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 9, done.stderr
    assert not (tmp_path / "slow.mp4").exists()
    command = next(line for line in done.stderr.splitlines() if "nemo-skills wait" in line)
    argv = shlex.split(command[command.index("nemo-skills wait") :])
    finish = nemo(*argv[1:], cwd=tmp_path)
    assert finish.returncode == 0, finish.stderr
    assert_video(tmp_path / "slow.mp4")
    assert backend.chat_requests == 1


def test_ctrl_c_during_the_render_leaves_the_job_to_its_worker(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = backend_factory(faults=Faults(render_delay=3.0, empty_reply_share=0.0), **SMALL)
    proc = start(
        "run", "nemo-video-gen", "a long sunset", "--backend", backend.base_url, "-o", "long.mp4",
        "--progress", "json",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.stderr is not None
    seen: list[str] = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("{") and json.loads(line)["kind"] == "render":
            break
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 130, "".join(seen) + rest
    assert "goes on in the background" in rest and "nemo-skills wait job_" in rest
    job_id = rest[rest.index("nemo-skills wait job_") :].split()[2]

    followed = nemo("wait", job_id, "--json", cwd=tmp_path)
    assert followed.returncode == 0, followed.stderr
    result = only_json(followed.stdout)
    assert result["output"] == str(tmp_path / "long.mp4")
    assert_video(tmp_path / "long.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.mp4"]  # no half-written MP4 left behind


def test_ctrl_c_during_the_reply_still_gives_json_its_one_object(
    tmp_path: Path, backend_factory: Callable[..., Any]
) -> None:
    backend = backend_factory(faults=Faults(stall_seconds=30.0, empty_reply_share=0.0), **SMALL)
    proc = start(
        "run", "nemo-video-gen", "a stalled sunset", "--backend", backend.base_url, "--json",
        "--progress", "json",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.stderr is not None and proc.stdout is not None
    for line in proc.stderr:
        if line.startswith("{") and json.loads(line).get("stage") == "chat":
            break
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 130, rest
    error = only_json(proc.stdout.read())["error"]
    assert error["type"] == "InterruptedByUser" and error["exit_code"] == 130


def test_progress_json_lines_on_stderr_result_alone_on_stdout(
    tmp_path: Path, backend_factory: Callable[..., Any], sample_media: Path
) -> None:
    backend = backend_factory(faults=Faults(stall_seconds=0.6, empty_reply_share=0.0), **SMALL)
    waits = {**FAST_CLIENT, "still_working_interval": 0.2}
    done = nemo(
        "run", "video-leonardo", "animate this photo slowly", "--file", sample_media / "photo.jpg",
        "--backend", backend.base_url, "-o", "slow.mp4", "--json", "--progress", "json",
        cwd=tmp_path, NEMO_SKILLS_CLIENT_OPTIONS=json.dumps(waits),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert only_json(done.stdout)["output"] == str(tmp_path / "slow.mp4")
    events = [json.loads(line) for line in done.stderr.splitlines()]  # every line is JSON
    kinds = {e["kind"] for e in events}
    assert {"stage", "upload", "still_working", "render", "download"} <= kinds
    stages = [e["stage"] for e in events if e["kind"] == "stage"]
    assert stages.index("connect") < stages.index("upload") < stages.index("chat") < stages.index("render")
    # A render this run started is never reported as resumed.
    messages = [e["message"] for e in events if e["kind"] == "stage" and e["stage"] == "render"]
    assert messages[0] == "Starting the export" and not any("Resuming" in m for m in messages), messages
    uploads = [e for e in events if e["kind"] == "upload"]
    assert uploads[-1]["done"] == uploads[-1]["total"] == (sample_media / "photo.jpg").stat().st_size


def test_export_preview_writes_a_contact_sheet_beside_the_mp4(tmp_path: Path, local_backend: Any) -> None:
    made = nemo("run", "nemo-video-gen", "a 2-second clip of a quay", "--backend", local_backend.base_url,
                "--no-export", "--json", cwd=tmp_path)  # fmt: skip
    session = only_json(made.stdout)["session_id"]
    done = nemo("export", "--session", session, "-o", "quay.mp4", "--preview", "--backend",
                local_backend.base_url, "--json", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    sheet = Path(only_json(done.stdout)["preview"])
    assert sheet == tmp_path / "quay.jpg" and sheet.read_bytes()[:3] == b"\xff\xd8\xff"
    text = nemo("export", "--session", session, "-o", "quay2.mp4", "--preview", "--backend",
                local_backend.base_url, cwd=tmp_path)  # fmt: skip
    assert f"Contact sheet: {tmp_path / 'quay2.jpg'}" in text.stdout
