"""Shared fixtures: every test runs with its own config and data folders, offline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nemo_skills import plugins

SEEDS = Path(__file__).parent / "data" / "seeds"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep tokens, sessions and settings of tests out of the user's real folders."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("NEMO_SKILLS_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("NEMO_SKILLS_DATA_DIR", str(home / "data"))
    for var in (
        "NEMO_TOKEN",
        "NEMO_API_BASE",
        "NEMO_SKILLS_REGISTRY",
        "NEMO_SKILLS_PLUGINS",
        "NEMO_SKILLS_PLATFORM",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def sixth_skill() -> Iterator[str]:
    """Register the third-party test plugin for one test; yields its skill name."""
    from tests.plugins import sixth_skill as module

    plugins.register_plugin(module, name="sixth_skill")
    try:
        yield module.SKILL.name
    finally:
        plugins.unregister_plugin("sixth_skill")
