"""Under --json a failure is named by a stable `code`, the backend's number kept beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nemo_skills.jobs.journal import JobSpec, Journal
from tests.clirun import nemo, only_json


def test_a_batch_names_each_failed_item(tmp_path: Path, local_backend: Any) -> None:
    (tmp_path / "setup.exe").write_bytes(b"MZ\x90\x00" + bytes(60))
    lines = [{"text": "x", "files": ["missing.jpg"]}, {"text": "y", "files": ["setup.exe"]}]
    (tmp_path / "b.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    done = nemo(
        "run", "auto", "--batch", "b.jsonl", "--backend", local_backend.base_url, "--json", cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    items = only_json(done.stdout)["items"]
    assert [(i["error_code"], i["exit_code"]) for i in items] == [("bad_input", 2), ("unsupported_file", 2)]


def test_the_protocol_code_stays_beside_the_name(tmp_path: Path) -> None:
    (tmp_path / "setup.exe").write_bytes(b"MZ\x90\x00" + bytes(60))
    done = nemo("run", "auto", "x", "--file", "setup.exe", "--json", cwd=tmp_path)
    assert done.returncode == 2
    error = only_json(done.stdout)["error"]
    assert error["code"] == "unsupported_file" and error["protocol_code"] == 4001
    assert error["type"] == "UnsupportedFileError" and error["exit_code"] == 2


def test_an_existing_output_is_named_output_exists(tmp_path: Path, local_backend: Any) -> None:
    (tmp_path / "mine.mp4").write_bytes(b"keep me")
    done = nemo("run", "auto", "a sunrise", "-o", "mine.mp4", "--backend", local_backend.base_url, "--json",
                cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2, done.stderr
    error = only_json(done.stdout)["error"]
    assert (error["code"], error["type"], error["exit_code"]) == ("output_exists", "OutputExistsError", 2)
    assert "--force" in error["action"] + error["message"]
    assert (tmp_path / "mine.mp4").read_bytes() == b"keep me"


def test_an_unreadable_document_is_named_bad_document(tmp_path: Path, local_backend: Any) -> None:
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4\nnot really a PDF")
    done = nemo("run", "auto", "make a video of this", "--file", "notes.pdf", "--backend",
                local_backend.base_url, "--json", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2, done.stderr
    error = only_json(done.stdout)["error"]
    assert (error["code"], error["type"], error["exit_code"]) == ("bad_document", "DocumentError", 2)
    assert "notes.pdf" in error["message"] and "Traceback" not in done.stderr


def test_a_job_another_process_works_on_is_followed_not_taken_over(
    tmp_path: Path, local_backend: Any
) -> None:
    # This test process stands for the other one: it is alive, and it is not the CLI's process.
    journal = Journal()
    job = journal.add(JobSpec(skill="auto", text="a sunrise", backend=local_backend.base_url))
    done = nemo("resume", job.job_id, "--deadline", "0.3", "--json", cwd=tmp_path)
    assert done.returncode == 9, done.stderr
    (item,) = only_json(done.stdout)["items"]
    assert (item["error_code"], item["exit_code"]) == ("still_running", 9)
    assert f"nemo-skills wait {job.job_id}" in item["error"]
    after = journal.get(job.job_id)
    assert after is not None and after.owner == job.owner and after.state == "queued"
