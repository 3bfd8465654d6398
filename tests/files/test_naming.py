"""Output names: safe names from the prompt, never overwriting without --force."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nemo_skills.errors import InputError
from nemo_skills.files.naming import OutputExistsError, resolve_output, slugify


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
