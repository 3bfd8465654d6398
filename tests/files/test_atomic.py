"""Atomic writes: readers see the old file or the new one, never a mix."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from nemo_skills.files.atomic import atomic_write_text


def test_atomic_write_leaves_the_old_file_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "f.txt"
    atomic_write_text(target, "old")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("nemo_skills.files.atomic.os.fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["f.txt"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
