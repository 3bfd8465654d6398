"""Under --json a failure is named by a stable `code`, the backend's number kept beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
